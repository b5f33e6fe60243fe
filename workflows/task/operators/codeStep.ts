/**
 * One sandbox run of an operator's code (the runCode activity), recorded as a `python` tool
 * step like a tool call of the turn loop. A sandbox crash or an activity failure ends the
 * agent with `tool_failed` (the failure trigger, tool python); a blob-store fault ends the run
 * resumable, as every storage fault does.
 */
import { isCancellation } from '@temporalio/workflow';
import type { RunCodeInput, RunCodeOutput } from '../../../mas/contract';
import type { PartialAgent } from '../../../mas/runState';
import type { TurnOutcome } from '../../../mas/turnOutcome';
import { TOOL_ATTEMPTS, failureInfo, tools } from '../activities';
import type { RunContext } from '../context';
import { storageFault, type CallSite } from '../modelCall';

export type CodeStepResult = { kind: 'ran'; r: RunCodeOutput; step: number } | { kind: 'stopped'; outcome: TurnOutcome };

export async function runCodeStep(
  ctx: RunContext,
  site: CallSite,
  resumeAt: PartialAgent,
  input: Omit<RunCodeInput, 'workflowId' | 'agent' | 'callKey' | 'task'>,
  note: string,
): Promise<CodeStepResult> {
  const { s, info } = ctx;
  const agentId = site.agent.id;
  const backboneId = site.backbone.id;
  const toolIndex = ctx.nextIndex(s.counters.toolIndex, agentId);
  const at = { agent: agentId, backbone: backboneId, kind: 'tool' as const, name: 'python', callIndex: toolIndex, note };
  try {
    const r = await tools.runCode.executeWithOptions({ summary: `${agentId}: ${note}` }, [
      { workflowId: info.workflowId, agent: agentId, callKey: `${agentId}:tool:${toolIndex}`, task: ctx.input.task, ...input },
    ]);
    const step = ctx.record({ ...at, status: 'completed', attempts: r.attempts, costUsd: 0, durationMs: r.durationMs, ...(r.ok ? {} : { error: r.detail.slice(0, 500) }) });
    return { kind: 'ran', r, step };
  } catch (e) {
    if (isCancellation(e)) throw e;
    const f = failureInfo(e, TOOL_ATTEMPTS);
    const step = ctx.record({ ...at, status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message });
    if (f.storage) return { kind: 'stopped', outcome: storageFault(ctx, site, resumeAt, f.storage, step, f.message) };
    return { kind: 'stopped', outcome: { kind: 'tool_failed', error: f.message, agent: agentId, tool: 'python', backbone: backboneId, step } };
  }
}
