/**
 * One agent's turn loop: model call → tool calls → model call, until it answers, the run
 * pauses for the Rectifier, or a bound (budget, wall time, turns) stops it. What it has done
 * so far is kept in s.partial so it resumes where it left off. The loop returns how it ended
 * (mas/turnOutcome.ts); what that means for the run is decided in ./triggers.ts.
 */
import { condition, isCancellation, patched } from '@temporalio/workflow';
import { FAILURE_TYPES } from '../../mas/contract';
import { addCall, callReservation, firstPromptChars, formatUsd, worstCaseCallCost } from '../../mas/cost';
import { fingerprints, predecessors } from '../../mas/graph';
import { extraLatencyMs, modelErrors, toolCrashes } from '../../mas/faults';
import { backboneById } from '../../mas/pool';
import { toolDefinitionsFrom } from '../../mas/tools';
import { outputChars, storedText } from '../../mas/content';
import type { PartialAgent } from '../../mas/runState';
import type { TurnOutcome } from '../../mas/turnOutcome';
import { AGENT_LIMITS, DEFAULT_MAX_WALL_SECONDS, splitToolCalls, toolSignature, wallTimeExceeded, withoutToolsReason } from '../../mas/agentLoop';
import { MODEL_ATTEMPTS, TOOL_ATTEMPTS, failureInfo, models, tools } from './activities';
import { storageFaultReason, type StorageFaultDetails } from '../../mas/storageFault';
import type { RunContext } from './context';
import { raiseFromState, verdictFor } from './triggers';

/** An agent stops between calls when the run ends or the Rectifier is about to run. */
function paused(ctx: RunContext): boolean {
  const s = ctx.s;
  return s.status !== 'running' || s.pendingTrigger !== null || s.pendingExternal.length > 0;
}

/**
 * The blob store failed the call (after the activity's retries): not the model's fault, so no
 * Rectifier. The run ends `failed` with the fault named and s_t saved for `mas2 resume`; the
 * agent's turn restarts from `resumeAt` then.
 */
function storageFault(ctx: RunContext, agentId: string, backboneId: string, resumeAt: PartialAgent, fault: StorageFaultDetails, step: number, detail: string): TurnOutcome {
  ctx.s.partial[agentId] = resumeAt;
  const where = { ...fault, agent: agentId, step, detail };
  return { kind: 'storage_fault', fault: where, reason: storageFaultReason(where, ctx.info.workflowId), agent: agentId, backbone: backboneId, step };
}

/** No room for the next call: the agent keeps its partial work; the table decides (the Rectifier may make room, else the budget guard stops the run). */
function overBudget(ctx: RunContext, agentId: string, backboneId: string, partial: PartialAgent, detail: string): TurnOutcome {
  ctx.s.partial[agentId] = partial;
  return { kind: 'over_budget', detail, agent: agentId, backbone: backboneId, step: ctx.s.steps.length - 1 };
}

export async function runAgent(ctx: RunContext, agentId: string): Promise<TurnOutcome> {
  const { s, opts, pool, input, info } = ctx;
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

  /** The exact worst case the activity reported for a call it did not start (its prompt was larger than estimated). */
  let exactNeed: number | undefined;
  while (partial.turns < agent.maxTurns) {
    if (paused(ctx)) {
      s.partial[agentId] = partial;
      return { kind: 'paused', agent: agentId };
    }
    // Where this turn starts again if the blob store fails it.
    const turnStart: PartialAgent = { ...partial, conversation: [...partial.conversation], signatures: partial.signatures && [...partial.signatures] };
    // patched(): runs recorded before reservations replay with the old estimate and no reservation.
    const reserving = patched('budget-reservations');
    const worst = reserving ? Math.max(callReservation(promptChars, backbone), exactNeed ?? 0) : worstCaseCallCost(promptChars, backbone);
    if (!ctx.room(worst)) {
      if (reserving && ctx.reservations.size > 0) {
        // Calls of other agents hold part of the budget until they end: look again then.
        await condition(() => ctx.reservations.size === 0 || paused(ctx));
        continue;
      }
      return overBudget(ctx, agentId, backboneId, partial, `${agentId}'s next model call on ${backboneId} could cost up to ${formatUsd(worst)} and only ${formatUsd(ctx.left())} of the ${formatUsd(s.budgetUsd)} budget is left`);
    }
    if (wallTimeExceeded(Date.parse(s.resumedAt ?? s.startedAt), Date.now(), opts.maxWallSeconds)) {
      s.partial[agentId] = partial;
      return { kind: 'out_of_wall_time', agent: agentId, maxWallSeconds: opts.maxWallSeconds ?? DEFAULT_MAX_WALL_SECONDS };
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
    const callIndex = ctx.nextIndex(s.counters.llmIndex, agentId);
    const callKey = `${agentId}:llm:${callIndex}`;
    if (reserving) ctx.reservations.set(callKey, worst);
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
        ...(reserving ? { maxCostUsd: worst } : {}),
      });
    } catch (e) {
      if (isCancellation(e)) throw e;
      const f = failureInfo(e, MODEL_ATTEMPTS);
      if (f.type === FAILURE_TYPES.budget) {
        // Not started, nothing spent: try once more with the exact need reserved, or stop for the budget.
        if (exactNeed === undefined && f.needUsd !== undefined) {
          exactNeed = f.needUsd;
          continue;
        }
        return overBudget(ctx, agentId, backboneId, partial, f.message);
      }
      const step = ctx.record({ agent: agentId, backbone: backboneId, kind: 'llm', callIndex, status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message });
      if (f.storage) return storageFault(ctx, agentId, backboneId, turnStart, f.storage, step, f.message);
      return { kind: 'call_failed', error: f.message, agent: agentId, backbone: backboneId, step };
    } finally {
      ctx.reservations.delete(callKey);
    }
    exactNeed = undefined;
    s.cost = addCall(s.cost, backboneId, out.usage, out.costUsd);
    ctx.record({ agent: agentId, backbone: backboneId, kind: 'llm', callIndex, status: 'completed', attempts: out.attempts, usage: out.usage, costUsd: out.costUsd, durationMs: out.durationMs });
    partial.turns++;
    promptChars = out.promptChars + out.replyChars;
    raiseFromState(ctx);

    if (out.toolCalls.length === 0) {
      // Only a preview and the length come back (mas/content.ts); `content` is from histories recorded before.
      let stored = out.preview != null ? { text: out.preview, chars: out.contentChars ?? out.preview.length } : storedText(out.content ?? '');
      let ref = out.contentRef!;
      // patched(): histories recorded before executable checks existed replay without them.
      if (agent.verifier && patched('executable-check')) ({ stored, ref } = await executedVerdict(ctx, agentId, backboneId, upstream, stored, ref));
      const output = { ...stored, ref, configVersion: config.version, backbone: backboneId, inputsKey };
      return { kind: 'answered', output, verifier: agent.verifier === true, verdict: verdictFor(config.template, agent, stored.text), agent: agentId, backbone: backboneId, step: s.steps.length - 1 };
    }
    partial.conversation = [...partial.conversation, out.messageRef];
    const { run: toRun } = splitToolCalls(out.toolCalls);
    const signatures = toRun.map(toolSignature);
    partial.repeated = signatures.some((sig, i) => (partial.signatures ?? []).includes(sig) || signatures.indexOf(sig) !== i);
    partial.signatures = [...(partial.signatures ?? []), ...signatures];
    partial.toolRounds = (partial.toolRounds ?? 0) + 1;
    for (const call of toRun) {
      const n = (s.counters.tool[call.name] = (s.counters.tool[call.name] ?? 0) + 1);
      const toolIndex = ctx.nextIndex(s.counters.toolIndex, agentId);
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
        ctx.record({ agent: agentId, backbone: backboneId, kind: 'tool', name: call.name, callIndex: toolIndex, status: 'completed', attempts: r.attempts, costUsd: 0, durationMs: r.durationMs, error: r.ok ? undefined : r.preview });
        partial.conversation = [...partial.conversation, r.messageRef];
        promptChars += r.chars;
      } catch (e) {
        if (isCancellation(e)) throw e;
        const f = failureInfo(e, TOOL_ATTEMPTS);
        const step = ctx.record({ agent: agentId, backbone: backboneId, kind: 'tool', name: call.name, callIndex: toolIndex, status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message });
        if (f.storage) return storageFault(ctx, agentId, backboneId, turnStart, f.storage, step, f.message);
        const crashed = f.type === FAILURE_TYPES.toolCrash;
        return { kind: 'tool_failed', error: f.message, agent: agentId, tool: crashed ? (f.tool ?? call.name) : call.name, backbone: backboneId, step };
      }
    }
    // Calls past the per-turn cap were answered with an error by the model activity.
    partial.conversation = [...partial.conversation, ...(out.refusedMessageRefs ?? [])];
  }
  return { kind: 'turns_exhausted', maxTurns: agent.maxTurns, agent: agentId, backbone: backboneId, step: s.steps.length - 1 };
}

/**
 * Checks that can be executed are executed: the code the verifier checked (and the team's
 * tests) runs in the sandbox, in an activity that reads the full texts from the blob store;
 * the executed verdict replaces the model's. A sandbox failure is no evidence either way.
 */
export async function executedVerdict(
  ctx: RunContext,
  agentId: string,
  backboneId: string,
  upstream: { ref: string }[],
  stored: { text: string; chars: number },
  ref: string,
): Promise<{ stored: { text: string; chars: number }; ref: string }> {
  const { s, info } = ctx;
  const toolIndex = ctx.nextIndex(s.counters.toolIndex, agentId);
  try {
    const r = await tools.checkCode({ workflowId: info.workflowId, agent: agentId, callKey: `${agentId}:tool:${toolIndex}`, upstreamRefs: upstream.map((u) => u.ref), verdictRef: ref });
    if (!r.checked) return { stored, ref };
    ctx.record({ agent: agentId, backbone: backboneId, kind: 'tool', name: 'python', callIndex: toolIndex, status: 'completed', attempts: r.attempts, costUsd: 0, durationMs: r.durationMs, error: r.ok ? undefined : r.runPreview });
    return { stored: { text: r.preview, chars: r.chars }, ref: r.ref };
  } catch (e) {
    if (isCancellation(e)) throw e;
    const f = failureInfo(e, TOOL_ATTEMPTS);
    ctx.record({ agent: agentId, backbone: backboneId, kind: 'tool', name: 'python', callIndex: toolIndex, status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message });
    return { stored, ref };
  }
}
