/**
 * One agent's turn: its operator's (./operators/: programmer, ensemble, test step) or the plain
 * turn loop — model call → tool calls → model call, until it answers, the run pauses for the
 * Rectifier, or a bound (budget, wall time, turns) stops it. Each model call goes through
 * ./modelCall.ts. What it has done so far is kept in s.partial so it resumes where it left
 * off. The turn returns how it ended (mas/turnOutcome.ts); what that means for the run is
 * decided in ./triggers.ts.
 */
import { isCancellation, patched } from '@temporalio/workflow';
import { FAILURE_TYPES } from '../../mas/contract';
import { firstPromptChars } from '../../mas/cost';
import { fingerprints, predecessors } from '../../mas/graph';
import { toolCrashes } from '../../mas/faults';
import { backboneById } from '../../mas/pool';
import { outputChars, storedText } from '../../mas/content';
import type { PartialAgent } from '../../mas/runState';
import type { TurnOutcome } from '../../mas/turnOutcome';
import { AGENT_LIMITS, splitToolCalls, toolSignature, withoutToolsReason } from '../../mas/agentLoop';
import { TOOL_ATTEMPTS, failureInfo, tools } from './activities';
import type { RunContext } from './context';
import { verdictFor } from './triggers';
import { callAgentModel, storageFault, type CallRequest } from './modelCall';
import { runProgrammer } from './operators/programmer';
import { runEnsemble } from './operators/ensemble';
import { runTestStep } from './operators/testStep';

/** What every kind of agent starts from: its spec, backbone, inputs fingerprint, upstream outputs and first prompt size. */
export function agentSetup(ctx: RunContext, agentId: string) {
  const { s, pool, input } = ctx;
  const config = s.config!;
  const agent = config.template.agents.find((a) => a.id === agentId)!;
  const backboneId = config.assignment[agentId];
  const backbone = backboneById(pool, backboneId)!;
  const inputsKey = fingerprints(config.template, config.assignment, s.rounds)[agentId];
  const upstream = predecessors(config.template, agentId).map((p) => ({
    agent: p,
    role: config.template.agents.find((a) => a.id === p)?.role ?? p,
    ref: s.outputs[p].ref,
  }));
  const promptChars = firstPromptChars(
    input.task,
    agent,
    upstream.map((u) => outputChars(s.outputs[u.agent])),
  );
  return { config, agent, backbone, inputsKey, upstream, promptChars };
}

/** The partial work saved under `key` for these inputs, taken out of s_t (or a fresh start). */
export function takePartial(ctx: RunContext, key: string, inputsKey: string): PartialAgent {
  const saved = ctx.s.partial[key];
  delete ctx.s.partial[key];
  return saved && saved.inputsKey === inputsKey ? saved : { inputsKey, conversation: [], turns: 0 };
}

/** An agent's turn: its operator's (patched: histories recorded before operators have none and take the plain loop), or the plain turn loop. */
export async function runAgent(ctx: RunContext, agentId: string): Promise<TurnOutcome> {
  const op = ctx.s.config!.template.agents.find((a) => a.id === agentId)?.operator;
  if (op && patched('operators')) {
    switch (op.kind) {
      case 'programmer':
        return runProgrammer(ctx, agentId, op);
      case 'ensemble':
        return runEnsemble(ctx, agentId, op);
      case 'test':
        return runTestStep(ctx, agentId);
    }
  }
  return turnLoop(ctx, agentId);
}

/** How an ensemble's sample differs from the agent's own turn loop: its own partial work, spec, sampling and step note. */
export type SampleCall = Pick<CallRequest, 'spec' | 'sampling' | 'sample' | 'answer' | 'note'> & { partialKey: string };

/** The plain turn loop: model call → tool calls → model call, until the agent answers or a bound stops it. */
export async function turnLoop(ctx: RunContext, agentId: string, sample?: SampleCall): Promise<TurnOutcome> {
  const { s, input, info } = ctx;
  const { config, agent, backbone, inputsKey, upstream, promptChars: firstChars } = agentSetup(ctx, agentId);
  const backboneId = backbone.id;
  const site = { agent, backbone, partialKey: sample?.partialKey ?? agentId };
  const partial = takePartial(ctx, site.partialKey, inputsKey);
  let promptChars = firstChars;
  const { partialKey: _key, ...sampleFields } = sample ?? { partialKey: agentId };

  while (partial.turns < agent.maxTurns) {
    // Small models repeat calls and never stop: past these bounds the turn gets no tools, so it answers.
    const noTools = withoutToolsReason({
      turns: partial.turns,
      maxTurns: agent.maxTurns,
      toolRounds: partial.toolRounds ?? 0,
      repeated: partial.repeated ?? false,
      promptChars,
      hasTools: agent.tools.length > 0,
    });
    // Where this turn starts again if the blob store fails a tool call.
    const turnStart: PartialAgent = { ...partial, conversation: [...partial.conversation], signatures: partial.signatures && [...partial.signatures] };
    const called = await callAgentModel(ctx, site, partial, promptChars, {
      ...sampleFields,
      upstream,
      feedbackRef: s.feedback[agentId],
      conversation: partial.conversation,
      withoutTools: noTools ?? undefined,
      maxToolCalls: AGENT_LIMITS.maxToolCallsPerTurn,
    });
    if (called.kind === 'stopped') return called.outcome;
    const out = called.out;
    partial.turns++;
    promptChars = out.promptChars + out.replyChars;

    if (out.toolCalls.length === 0) {
      // Only a preview and the length come back (mas/content.ts); `content` is from histories recorded before.
      let stored = out.preview != null ? { text: out.preview, chars: out.contentChars ?? out.preview.length } : storedText(out.content ?? '');
      let ref = out.contentRef!;
      // patched(): histories recorded before executable checks existed replay without them.
      if (agent.verifier && patched('executable-check')) ({ stored, ref } = await executedVerdict(ctx, agentId, backboneId, upstream, stored, ref));
      const output = { ...stored, ref, configVersion: config.version, backbone: backboneId, inputsKey };
      return {
        kind: 'answered',
        output,
        verifier: agent.verifier === true,
        verdict: verdictFor(config.template, agent, stored.text),
        agent: agentId,
        backbone: backboneId,
        step: s.steps.length - 1,
        ...(out.extracted !== undefined ? { extracted: out.extracted } : {}),
      };
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
        ctx.record({ agent: agentId, backbone: backboneId, kind: 'tool', name: call.name, callIndex: toolIndex, status: 'completed', attempts: r.attempts, costUsd: 0, durationMs: r.durationMs, error: r.ok ? undefined : r.preview, ...(sample?.note ? { note: sample.note } : {}) });
        partial.conversation = [...partial.conversation, r.messageRef];
        promptChars += r.chars;
      } catch (e) {
        if (isCancellation(e)) throw e;
        const f = failureInfo(e, TOOL_ATTEMPTS);
        const step = ctx.record({ agent: agentId, backbone: backboneId, kind: 'tool', name: call.name, callIndex: toolIndex, status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message });
        if (f.storage) return storageFault(ctx, site, turnStart, f.storage, step, f.message);
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
