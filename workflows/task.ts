/**
 * mas2Task: one task, end to end. Generator → Implementer → the team's DAG
 * (ready agents in parallel, each agent's model → tools → model loop here),
 * with the Rectifier rewriting M_t when a trigger fires and execution
 * resuming from s_t. Deterministic: imports only mas/ and the workflow API.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  patched,
  CancellationScope,
  proxyActivities,
  setDefaultSignalHandler,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Mas2Activities } from '../mas/contract';
import { NON_RETRYABLE_TYPES, FAILURE_TYPES } from '../mas/contract';
import type { MetaDecision, MetaRole, Patch, Rectification, Result, Step, TaskInput, Template, Trigger, Usage } from '../mas/schemas';
import { addCall, firstPromptChars, formatUsd, worstCaseCallCost } from '../mas/cost';
import { fingerprints, predecessors, readyAgents } from '../mas/graph';
import { applyPatch, survivingOutputs } from '../mas/patch';
import { fallbackPatch } from '../mas/fallback';
import { evaluateTrigger, projectRemainingCost } from '../mas/triggers';
import { extraLatencyMs, modelErrors, toolCrashes } from '../mas/faults';
import { backboneById, metaBackbone } from '../mas/pool';
import { toolDefinitionsFrom, toolNamesOf } from '../mas/tools';
import { DEFAULT_TEMPLATE, fallbackTemplate } from '../mas/templates';
import { feedbackLoop, withoutAgents } from '../mas/loops';
import { summariseState } from '../mas/summary';
import { outputChars, storedText } from '../mas/content';
import { initialState, toResult, type PartialAgent, type RunState } from '../mas/runState';
import { AGENT_LIMITS, DEFAULT_MAX_WALL_SECONDS, splitToolCalls, toolSignature, wallTimeExceeded, withoutToolsReason } from '../mas/agentLoop';
import { checkRaiseBudgetArgs, checkRectifyArgs, recordRejected, signalProblem } from '../mas/handlerInputs';

export const stateQuery = defineQuery<Result>('state');
export const rectifySignal = defineSignal<[{ reason: string }]>('rectify');
export const raiseBudgetUpdate = defineUpdate<{ budgetUsd: number }, [{ budgetUsd: number }]>('raiseBudget');

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] } as const;
const MODEL_ATTEMPTS = 5;
const TOOL_ATTEMPTS = 3;

// Cancelling a run waits until its running calls have actually stopped, so nothing runs on
// unaccounted after the result says "cancelled".
const models = proxyActivities<Mas2Activities>({
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { ...retry, nonRetryableErrorTypes: [...retry.nonRetryableErrorTypes], maximumAttempts: MODEL_ATTEMPTS },
});
const tools = proxyActivities<Mas2Activities>({
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { ...retry, nonRetryableErrorTypes: [...retry.nonRetryableErrorTypes], maximumAttempts: TOOL_ATTEMPTS },
});

/** A meta-agent prompt is a few KB; this bounds what one meta call may cost before it is made. */
const META_PROMPT_CHARS = 12_000;

interface FailureInfo {
  message: string;
  type?: string;
  attempts: number;
  tool?: string;
}

/** Reads an activity failure by its fields, never instanceof (Jest realms, DESIGN §6). */
function failureInfo(e: unknown, maxAttempts: number): FailureInfo {
  const err = e as { message?: string; retryState?: string; cause?: { message?: string; type?: string; details?: unknown[] } };
  const cause = err.cause ?? {};
  const details = (cause.details?.[0] ?? {}) as { tool?: string };
  return {
    message: cause.message ?? err.message ?? String(e),
    type: cause.type,
    attempts: err.retryState === 'MAXIMUM_ATTEMPTS_REACHED' ? maxAttempts : 1,
    tool: details.tool,
  };
}

export async function mas2Task(input: TaskInput, carried?: RunState): Promise<Result> {
  const info = workflowInfo();
  const resumed = !carried && input.resume ? (JSON.parse(JSON.stringify(input.resume.state)) as RunState) : undefined;
  const s: RunState = carried ?? resumed ?? initialState(input, new Date(info.runStartTime).toISOString());
  if (resumed) {
    // A branch is a new run that starts at s_t: same history of decisions, its own future.
    s.status = 'running';
    s.reason = undefined;
    s.branch = undefined;
    s.pendingTrigger = null;
    s.pendingExternal = [];
    s.rejectedSignals = [];
    s.rejectedSignalCount = 0;
  }
  s.stepsAtRunStart = s.steps.length;
  const opts = input.options;
  const pool = input.pool;
  // The run's tool catalogue (absent in runs started before catalogues: the built-ins).
  const knownTools = toolNamesOf(input.tools);
  const running = new Set<string>();
  let wake = 0;

  // Any client can send anything: every handler checks its arguments first and never throws
  // from a signal (that would fail every later workflow task and wedge the run).
  s.rejectedSignals ??= [];
  s.rejectedSignalCount ??= 0;
  const reject = (name: string, problem: string) => {
    s.rejectedSignalCount = recordRejected(s.rejectedSignals, s.rejectedSignalCount, { name, at: new Date().toISOString(), problem });
  };
  setHandler(stateQuery, () => toResult(s, input, info.workflowId));
  setHandler(rectifySignal, (...args: unknown[]) => {
    const c = checkRectifyArgs(args);
    if (!c.ok) return reject('rectify', c.problem);
    s.pendingExternal.push(c.value.reason);
    wake++;
  });
  setDefaultSignalHandler((name: string) => reject(name, signalProblem(name, [], ['rectify'])!));
  setHandler(
    raiseBudgetUpdate,
    (...args: unknown[]) => {
      const c = checkRaiseBudgetArgs(args);
      // The validator refuses bad input before it reaches history; this only guards a replay of one that slipped by.
      if (!c.ok) throw ApplicationFailure.nonRetryable(c.problem);
      const { budgetUsd } = c.value;
      s.budgetUsd = budgetUsd;
      if (s.status === 'budget_exhausted') s.reason = `${s.reason} (budget later raised to $${budgetUsd})`;
      wake++;
      return { budgetUsd };
    },
    {
      validator: (...args: unknown[]) => {
        const c = checkRaiseBudgetArgs(args);
        if (!c.ok) throw new Error(c.problem);
        if (!(c.value.budgetUsd > s.cost.usd)) {
          throw new Error(`the new budget must be above what is already spent (${formatUsd(s.cost.usd)})`);
        }
        if (s.status !== 'running') throw new Error(`the run is ${s.status}; the budget can no longer change it`);
      },
    },
  );

  const setSearch = () => {
    if (opts.searchAttributes) upsertSearchAttributes({ Mas2Status: [s.status], Mas2CostUsd: [s.cost.usd], Mas2Task: [input.task.slice(0, 200)] });
  };
  setSearch();

  const finish = (status: RunState['status'], reason?: string) => {
    if (s.status !== 'running') return;
    s.status = status;
    s.reason = reason;
  };

  const record = (step: Omit<Step, 'configVersion'>): number => {
    s.steps.push({ ...step, configVersion: s.config?.version ?? 0 });
    return s.steps.length - 1;
  };

  const nextIndex = (table: Record<string, number>, key: string): number => {
    const n = table[key] ?? 0;
    table[key] = n + 1;
    return n;
  };

  const room = (usd: number) => s.cost.usd + usd <= s.budgetUsd;

  const payMeta = (role: MetaRole, backbone: string, usage: Usage, decision: MetaDecision, attempts: number, durationMs: number) => {
    s.cost = addCall(s.cost, backbone, usage, decision.costUsd, role);
    s.decisions.push(decision);
    record({ agent: role, backbone, kind: 'meta', name: role, callIndex: nextIndex(s.counters.metaIndex, role), status: 'completed', attempts, usage, costUsd: decision.costUsd, durationMs });
  };

  const metaBase = (role: MetaRole) => ({
    workflowId: info.workflowId,
    task: input.task,
    pool,
    seed: opts.seed,
    callKey: `${role}:${s.counters.metaIndex[role] ?? 0}`,
    allowModel: room(worstCaseCallCost(META_PROMPT_CHARS, metaBackbone(pool, role))),
    ...(input.tools ? { tools: input.tools } : {}),
  });

  // ------------------------------------------------------------ design: Generator, Implementer
  async function design(): Promise<void> {
    let template: Template;
    if (opts.template) {
      template = opts.template;
      s.decisions.push({ role: 'generator', source: 'forced', output: template, rationale: 'template given by the caller', costUsd: 0 });
    } else if (!opts.generator) {
      template = DEFAULT_TEMPLATE;
      s.decisions.push({ role: 'generator', source: 'ablation', output: template, rationale: '--no-generator: fixed default template', costUsd: 0 });
    } else {
      try {
        const r = await models.generateTemplate(metaBase('generator'));
        payMeta('generator', r.backbone, r.usage, r.decision, r.attempts, r.durationMs);
        template = r.value;
      } catch (e) {
        if (isCancellation(e)) throw e;
        const f = failureInfo(e, MODEL_ATTEMPTS);
        // The workflow cannot look at the documents folder: the built-in team then goes without search.
        template = fallbackTemplate(input.task, knownTools.filter((t) => t !== 'search'));
        s.decisions.push({ role: 'generator', source: 'fallback', output: template, rationale: `Generator failed (${f.message}); built-in template`, costUsd: 0 });
        record({ agent: 'generator', kind: 'meta', name: 'generator', callIndex: nextIndex(s.counters.metaIndex, 'generator'), status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message });
      }
    }
    let assignment: Record<string, string>;
    const allDefault = Object.fromEntries(template.agents.map((a) => [a.id, pool.default]));
    if (opts.assignment) {
      assignment = { ...allDefault, ...opts.assignment };
      s.decisions.push({ role: 'implementer', source: 'forced', output: assignment, rationale: 'assignment given by the caller', costUsd: 0 });
    } else if (!opts.implementer) {
      assignment = allDefault;
      s.decisions.push({ role: 'implementer', source: 'ablation', output: assignment, rationale: `--no-implementer: every agent on ${pool.default}`, costUsd: 0 });
    } else {
      try {
        const r = await models.implementAssignment({ ...metaBase('implementer'), template });
        payMeta('implementer', r.backbone, r.usage, r.decision, r.attempts, r.durationMs);
        assignment = r.value.assignment;
      } catch (e) {
        if (isCancellation(e)) throw e;
        const f = failureInfo(e, MODEL_ATTEMPTS);
        assignment = allDefault;
        s.decisions.push({ role: 'implementer', source: 'fallback', output: assignment, rationale: `Implementer failed (${f.message}); default backbone`, costUsd: 0 });
        record({ agent: 'implementer', kind: 'meta', name: 'implementer', callIndex: nextIndex(s.counters.metaIndex, 'implementer'), status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message });
      }
    }
    s.config = { template, assignment, version: 1 };
  }

  // ------------------------------------------------------------ one agent's turn loop
  const paused = () => s.status !== 'running' || s.pendingTrigger !== null || s.pendingExternal.length > 0;

  const checkBudgetTriggers = () => {
    if (s.pendingTrigger || !s.config) return;
    const finished = new Set(Object.keys(s.outputs));
    const t = evaluateTrigger({
      costUsd: s.cost.usd,
      budgetUsd: s.budgetUsd,
      thetaFraction: opts.thetaFraction,
      projectedRemainingUsd: projectRemainingCost(s.config, pool, finished, s.steps),
      externalReasons: [],
      budgetTriggerFired: s.budgetTriggerFired,
      projectedFiredAtVersion: s.projectedFiredAtVersion,
      configVersion: s.config.version,
    });
    if (t) s.pendingTrigger = { ...t, step: s.steps.length - 1 };
  };

  async function runAgent(agentId: string): Promise<void> {
    const config = s.config!;
    const agent = config.template.agents.find((a) => a.id === agentId)!;
    const backboneId = config.assignment[agentId];
    const backbone = backboneById(pool, backboneId)!;
    const inputsKey = fingerprints(config.template, config.assignment, s.rounds)[agentId];
    const saved = s.partial[agentId];
    const partial: PartialAgent = saved && saved.inputsKey === inputsKey ? saved : { inputsKey, conversation: [], turns: 0 };
    delete s.partial[agentId];
    const upstream = predecessors(config.template, agentId).map((p) => ({
      agent: p,
      role: config.template.agents.find((a) => a.id === p)?.role ?? p,
      ref: s.outputs[p].ref,
    }));
    let promptChars = firstPromptChars(
      input.task,
      agent,
      upstream.map((u) => outputChars(s.outputs[u.agent])),
    );

    while (partial.turns < agent.maxTurns) {
      if (paused()) {
        s.partial[agentId] = partial;
        return;
      }
      const worst = worstCaseCallCost(promptChars, backbone);
      if (!room(worst)) {
        const detail = `${agentId}'s next model call on ${backboneId} could cost up to ${formatUsd(worst)} and only ${formatUsd(s.budgetUsd - s.cost.usd)} of the ${formatUsd(s.budgetUsd)} budget is left`;
        s.partial[agentId] = partial;
        // Once per config version the Rectifier may make room (cheaper backbones); after that the guard stops the run.
        if (opts.rectifier && s.projectedFiredAtVersion !== config.version && s.rectifications.length < opts.maxRectifications) {
          s.pendingTrigger = s.pendingTrigger ?? { kind: 'projected_budget', detail, agent: agentId, backbone: backboneId, step: s.steps.length - 1 };
        } else {
          finish('budget_exhausted', `stopped before the overrun: ${detail}`);
        }
        return;
      }
      if (wallTimeExceeded(Date.parse(s.startedAt), Date.now(), opts.maxWallSeconds)) {
        s.partial[agentId] = partial;
        finish('failed', `the run's wall-time bound of ${opts.maxWallSeconds ?? DEFAULT_MAX_WALL_SECONDS} s was reached before ${agentId}'s next model call`);
        return;
      }
      // Small models repeat calls and never stop: past these bounds the turn gets no tools, so it answers.
      const noTools = withoutToolsReason({
        turns: partial.turns,
        maxTurns: agent.maxTurns,
        toolRounds: partial.toolRounds ?? 0,
        repeated: partial.repeated ?? false,
        promptChars,
        hasTools: agent.tools.length > 0,
      });
      const nOnBackbone = (s.counters.model[backboneId] = (s.counters.model[backboneId] ?? 0) + 1);
      const nAll = ++s.counters.modelAll;
      const callIndex = nextIndex(s.counters.llmIndex, agentId);
      const callKey = `${agentId}:llm:${callIndex}`;
      let out;
      try {
        out = await models.callModel({
          workflowId: info.workflowId,
          task: input.task,
          agent,
          backbone,
          seed: opts.seed,
          callKey,
          upstream,
          feedbackRef: s.feedback[agentId],
          conversation: partial.conversation,
          withoutTools: noTools ?? undefined,
          maxToolCalls: AGENT_LIMITS.maxToolCallsPerTurn,
          injectError: modelErrors(input.faults, backboneId, nOnBackbone, nAll),
          ...(input.tools ? { toolDefs: toolDefinitionsFrom(input.tools, agent.tools) } : {}),
          extraLatencyMs: extraLatencyMs(input.faults, backboneId) || undefined,
        });
      } catch (e) {
        if (isCancellation(e)) throw e;
        const f = failureInfo(e, MODEL_ATTEMPTS);
        const step = record({ agent: agentId, backbone: backboneId, kind: 'llm', callIndex, status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message });
        s.pendingTrigger = s.pendingTrigger ?? { kind: 'failure', detail: f.message, agent: agentId, backbone: backboneId, step };
        return;
      }
      s.cost = addCall(s.cost, backboneId, out.usage, out.costUsd);
      record({ agent: agentId, backbone: backboneId, kind: 'llm', callIndex, status: 'completed', attempts: out.attempts, usage: out.usage, costUsd: out.costUsd, durationMs: out.durationMs });
      partial.turns++;
      promptChars = out.promptChars + out.replyChars;
      checkBudgetTriggers();

      if (out.toolCalls.length === 0) {
        // Only a preview and the length come back (mas/content.ts); `content` is from histories recorded before.
        let stored = out.preview != null ? { text: out.preview, chars: out.contentChars ?? out.preview.length } : storedText(out.content ?? '');
        let ref = out.contentRef!;
        // patched(): histories recorded before executable checks existed replay without them.
        if (agent.verifier && patched('executable-check')) ({ stored, ref } = await executedVerdict(agentId, backboneId, upstream, stored, ref));
        s.outputs[agentId] = { ...stored, ref, configVersion: config.version, backbone: backboneId, inputsKey };
        afterOutput(agentId, stored.text, ref);
        return;
      }
      partial.conversation = [...partial.conversation, out.messageRef];
      const { run: toRun } = splitToolCalls(out.toolCalls);
      const signatures = toRun.map(toolSignature);
      partial.repeated = signatures.some((sig, i) => (partial.signatures ?? []).includes(sig) || signatures.indexOf(sig) !== i);
      partial.signatures = [...(partial.signatures ?? []), ...signatures];
      partial.toolRounds = (partial.toolRounds ?? 0) + 1;
      for (const call of toRun) {
        const n = (s.counters.tool[call.name] = (s.counters.tool[call.name] ?? 0) + 1);
        const toolIndex = nextIndex(s.counters.toolIndex, agentId);
        try {
          const toolInput = {
            workflowId: info.workflowId,
            agent: agentId,
            callKey: `${agentId}:tool:${toolIndex}`,
            call,
            allowedTools: agent.tools,
            injectCrash: toolCrashes(input.faults, call.name, n),
          };
          // With a catalogue, each call's activity is labelled with the tool's name (`<server>__<tool>` for MCP)
          // and gets the tool's own timeout; runs without one schedule exactly as before (their histories replay).
          const timeoutMs = input.tools?.find((t) => t.name === call.name)?.timeoutMs;
          const r = input.tools
            ? await tools.runTool.executeWithOptions({ summary: call.name, ...(timeoutMs ? { startToCloseTimeout: timeoutMs } : {}) }, [toolInput])
            : await tools.runTool(toolInput);
          record({ agent: agentId, backbone: backboneId, kind: 'tool', name: call.name, callIndex: toolIndex, status: 'completed', attempts: r.attempts, costUsd: 0, durationMs: r.durationMs, error: r.ok ? undefined : r.preview });
          partial.conversation = [...partial.conversation, r.messageRef];
          promptChars += r.chars;
        } catch (e) {
          if (isCancellation(e)) throw e;
          const f = failureInfo(e, TOOL_ATTEMPTS);
          const step = record({ agent: agentId, backbone: backboneId, kind: 'tool', name: call.name, callIndex: toolIndex, status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message });
          const crashed = f.type === FAILURE_TYPES.toolCrash;
          s.pendingTrigger = s.pendingTrigger ?? { kind: 'failure', detail: f.message, agent: agentId, tool: crashed ? (f.tool ?? call.name) : call.name, backbone: backboneId, step };
          return;
        }
      }
      // Calls past the per-turn cap were answered with an error by the model activity.
      partial.conversation = [...partial.conversation, ...(out.refusedMessageRefs ?? [])];
    }
    s.pendingTrigger = s.pendingTrigger ?? {
      kind: 'failure',
      detail: `agent ${agentId} did not finish within ${agent.maxTurns} model calls (it kept calling tools)`,
      agent: agentId,
      backbone: backboneId,
      step: s.steps.length - 1,
    };
  }

  /**
   * Checks that can be executed are executed: the code the verifier checked (and the team's
   * tests) runs in the sandbox, in an activity that reads the full texts from the blob store;
   * the executed verdict replaces the model's. A sandbox failure is no evidence either way.
   */
  async function executedVerdict(
    agentId: string,
    backboneId: string,
    upstream: { ref: string }[],
    stored: { text: string; chars: number },
    ref: string,
  ): Promise<{ stored: { text: string; chars: number }; ref: string }> {
    const toolIndex = nextIndex(s.counters.toolIndex, agentId);
    try {
      const r = await tools.checkCode({ workflowId: info.workflowId, agent: agentId, callKey: `${agentId}:tool:${toolIndex}`, upstreamRefs: upstream.map((u) => u.ref), verdictRef: ref });
      if (!r.checked) return { stored, ref };
      record({ agent: agentId, backbone: backboneId, kind: 'tool', name: 'python', callIndex: toolIndex, status: 'completed', attempts: r.attempts, costUsd: 0, durationMs: r.durationMs, error: r.ok ? undefined : r.runPreview });
      return { stored: { text: r.preview, chars: r.chars }, ref: r.ref };
    } catch (e) {
      if (isCancellation(e)) throw e;
      const f = failureInfo(e, TOOL_ATTEMPTS);
      record({ agent: agentId, backbone: backboneId, kind: 'tool', name: 'python', callIndex: toolIndex, status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message });
      return { stored, ref };
    }
  }

  /** Verifier verdicts and feedback loops look at an agent's finished output. */
  function afterOutput(agentId: string, text: string, ref: string): void {
    const config = s.config!;
    const agent = config.template.agents.find((a) => a.id === agentId)!;
    if (agent.verifier && /^\s*FAIL\b/i.test(text)) {
      s.pendingTrigger = s.pendingTrigger ?? { kind: 'verifier', detail: text.slice(0, 300), agent: agentId, step: s.steps.length - 1 };
      return;
    }
    const loop = feedbackLoop(config.template, agentId, text, s.rounds);
    if (loop.target) {
      s.rounds = loop.rounds;
      s.feedback[loop.target] = ref;
      s.outputs = withoutAgents(s.outputs, loop.invalidated);
    }
  }

  // ------------------------------------------------------------ the Rectifier
  async function rectifyOn(trigger: Trigger): Promise<void> {
    const config = s.config!;
    if (trigger.kind === 'budget') s.budgetTriggerFired = true;
    if (trigger.kind === 'projected_budget') s.projectedFiredAtVersion = config.version;
    const budgetKind = trigger.kind === 'budget' || trigger.kind === 'projected_budget';
    const named = `${trigger.kind} trigger: ${trigger.detail}`;
    // A rejection that cannot be fixed is never a completed answer: the run ends unverified
    // with the rejected candidate as its answer (mas/answer.ts), and the reason says why.
    const giveUp = (why: string) =>
      trigger.kind === 'verifier' ? finish('unverified', `the verifier ${trigger.agent} rejected the answer and ${why}: ${trigger.detail}`) : finish('failed', `${named} (${why})`);
    if (!opts.rectifier) {
      if (budgetKind) return; // without a Rectifier the hard budget alone guards spending
      giveUp('the Rectifier is off (--no-rectifier)');
      return;
    }
    if (s.rectifications.length >= opts.maxRectifications) {
      if (budgetKind || trigger.kind === 'external') return;
      giveUp(`the rectification cap of ${opts.maxRectifications} was reached`);
      return;
    }
    if (opts.branchOnTrigger) {
      s.branch = { trigger, state: JSON.parse(JSON.stringify({ ...s, status: 'running', branch: undefined })) as RunState };
      finish('branched', `stopped at the ${trigger.kind} trigger so Rectifier samples can branch from here`);
      return;
    }
    const finished = Object.keys(s.outputs);
    let value: { patch: Patch | null; source: Rectification['source']; reason?: string };
    try {
      const r = await models.rectify({
        ...metaBase('rectifier'),
        config,
        trigger,
        state: summariseState(s.cost.usd, s.budgetUsd, s.outputs, s.steps, s.appliedPatches),
        finished,
        previousPatches: s.appliedPatches,
      });
      payMeta('rectifier', r.backbone, r.usage, r.decision, r.attempts, r.durationMs);
      value = r.value;
    } catch (e) {
      if (isCancellation(e)) throw e;
      const f = failureInfo(e, MODEL_ATTEMPTS);
      const patch = fallbackPatch(config, pool, trigger, new Set(finished), s.appliedPatches);
      value = patch ? { patch, source: 'fallback' } : { patch: null, source: 'fallback', reason: `Rectifier failed (${f.message}) and no rule applies` };
      s.decisions.push({ role: 'rectifier', source: 'fallback', output: patch, rationale: `Rectifier failed (${f.message}); rule-based fallback`, costUsd: 0 });
      record({ agent: 'rectifier', kind: 'meta', name: 'rectifier', callIndex: nextIndex(s.counters.metaIndex, 'rectifier'), status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message });
    }
    if (!value.patch) {
      if (budgetKind) return;
      giveUp(`no patch: ${value.reason ?? 'the Rectifier proposed nothing'}`);
      return;
    }
    commitPatch(trigger, value.patch, value.source, s.decisions[s.decisions.length - 1]?.costUsd ?? 0);
  }

  /** M_{t+1} = apply(M_t, patch); keep what the patch does not invalidate and resume from s_t. */
  function commitPatch(trigger: Trigger, patch: Patch, source: Rectification['source'], costUsd: number): void {
    const config = s.config!;
    const budgetKind = trigger.kind === 'budget' || trigger.kind === 'projected_budget';
    let next;
    try {
      next = applyPatch(config, patch, pool, knownTools);
    } catch (e) {
      if (budgetKind) return;
      finish('failed', `${trigger.kind} trigger: ${trigger.detail}; the patch could not be applied: ${(e as Error).message}`);
      return;
    }
    const { kept, rerun } = survivingOutputs(s.outputs, next, s.rounds);
    // A rejected verdict must be given again after the fix, even when the verifier itself is unchanged.
    if (trigger.kind === 'verifier' && trigger.agent) delete kept[trigger.agent];
    s.rectifications.push({
      version: next.version,
      fromVersion: config.version,
      trigger,
      scope: patch.scope,
      patch: patch.ops,
      rationale: patch.rationale,
      source,
      rerun: trigger.kind === 'verifier' && trigger.agent && !rerun.includes(trigger.agent) ? [...rerun, trigger.agent] : rerun,
      kept: Object.keys(kept),
      costUsd,
    });
    s.appliedPatches.push(patch.ops);
    s.config = next;
    s.outputs = kept;
  }

  // ------------------------------------------------------------ the scheduler loop
  const launch = (id: string) => {
    running.add(id);
    runAgent(id)
      .catch((e) => {
        // Cancellation reaches the main loop through its own await; anything else is a bug
        // and must fail the workflow task (Temporal retries it once the code is fixed).
        if (!isCancellation(e)) throw e;
      })
      .finally(() => {
        running.delete(id);
        wake++;
      });
  };

  const canContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested ||
    (opts.continueAsNewAfterSteps !== undefined && s.steps.length - s.stepsAtRunStart >= opts.continueAsNewAfterSteps);

  async function execute(): Promise<void> {
    while (s.status === 'running') {
      if (s.pendingTrigger || s.pendingExternal.length) {
        await condition(() => running.size === 0);
        if (s.status !== 'running') break;
        const trigger: Trigger = s.pendingTrigger ?? { kind: 'external', detail: s.pendingExternal[0] };
        if (!s.pendingTrigger) s.pendingExternal.shift();
        s.pendingTrigger = null;
        await rectifyOn(trigger);
        continue;
      }
      const config = s.config!;
      if (s.outputs[config.template.finalAgent]) {
        finish('completed');
        break;
      }
      if (canContinueAsNew()) {
        await condition(() => running.size === 0);
        if (s.pendingTrigger || s.pendingExternal.length || s.status !== 'running') continue;
        await condition(allHandlersFinished);
        await continueAsNew<typeof mas2Task>(input, { ...s, continuedAsNew: s.continuedAsNew + 1 });
      }
      // The projection is checked before agents start too: the point is to fire before the overrun.
      if (running.size === 0) {
        checkBudgetTriggers();
        if (s.pendingTrigger) continue;
      }
      const ready = readyAgents(config.template, new Set(Object.keys(s.outputs)), running);
      for (const id of ready) launch(id);
      if (running.size === 0) {
        finish('failed', 'no agent can run: the template leaves the final agent unreachable');
        break;
      }
      const seen = wake;
      await condition(() => wake !== seen);
    }
    await condition(() => running.size === 0);
  }

  try {
    if (resumed && input.resume) {
      s.decisions.push({ role: 'rectifier', source: 'forced', output: input.resume.patch, rationale: input.resume.rationale || input.resume.patch.rationale, costUsd: 0 });
      commitPatch(input.resume.trigger, input.resume.patch, 'rectifier', 0);
    }
    if (!s.config) await design();
    if (s.status === 'running') await execute();
  } catch (e) {
    if (!isCancellation(e)) throw e;
    s.status = 'cancelled';
    s.reason = 'cancelled by request';
    // Let in-flight agents record how far they got before the result is returned.
    await CancellationScope.nonCancellable(() => condition(() => running.size === 0));
  }
  s.finishedAt = new Date().toISOString();
  setSearch();
  return toResult(s, input, info.workflowId);
}
