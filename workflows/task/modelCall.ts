/**
 * One model call of a team agent, with everything that guards it: the run pausing for the
 * Rectifier, the budget (a reservation of the call's worst case, or a wait for calls in
 * flight), the wall-time bound, the chaos faults, the step record and the cost. A plain turn
 * loop (./agent.ts) and the operators (./operators/) call models through it alike; it returns
 * the call's output, or the turn outcome that stops the agent here.
 */
import { condition, isCancellation, patched } from '@temporalio/workflow';
import { FAILURE_TYPES, type CallModelInput, type CallModelOutput } from '../../mas/contract';
import { addCall, callReservation, formatUsd, worstCaseCallCost } from '../../mas/cost';
import { extraLatencyMs, modelErrors } from '../../mas/faults';
import { toolDefinitionsFrom } from '../../mas/tools';
import type { AgentSpec, Backbone } from '../../mas/schemas';
import type { PartialAgent } from '../../mas/runState';
import type { TurnOutcome } from '../../mas/turnOutcome';
import { DEFAULT_MAX_WALL_SECONDS, wallTimeExceeded } from '../../mas/agentLoop';
import { storageFaultReason, type StorageFaultDetails } from '../../mas/storageFault';
import { MODEL_ATTEMPTS, failureInfo, models } from './activities';
import type { RunContext } from './context';
import { raiseFromState } from './triggers';

/** Who calls: the agent, its backbone, and where its partial work is kept (an ensemble's sample has its own). */
export interface CallSite {
  agent: AgentSpec;
  backbone: Backbone;
  /** The key of s.partial this work is saved under. */
  partialKey: string;
}

export type CallResult = { kind: 'done'; out: CallModelOutput; callIndex: number } | { kind: 'stopped'; outcome: TurnOutcome };

/** The fields of a call that differ between callers. */
export type CallRequest = Pick<CallModelInput, 'upstream' | 'conversation'> &
  Partial<Pick<CallModelInput, 'feedbackRef' | 'withoutTools' | 'maxToolCalls' | 'sampling' | 'sample' | 'answer'>> & {
    /** The spec the model reads, when it differs from the agent's (a sample's hint). */
    spec?: AgentSpec;
    /** What the step is, for the audit and the activity's summary in the Temporal UI. */
    note?: string;
  };

/** An agent stops between calls when the run ends or the Rectifier is about to run. */
export function paused(ctx: RunContext): boolean {
  const s = ctx.s;
  return s.status !== 'running' || s.pendingTrigger !== null || s.pendingExternal.length > 0;
}

/**
 * The blob store failed the call (after the activity's retries): not the model's fault, so no
 * Rectifier. The run ends `failed` with the fault named and s_t saved for `mas2 resume`; the
 * agent's turn restarts from `resumeAt` then.
 */
export function storageFault(ctx: RunContext, site: CallSite, resumeAt: PartialAgent, fault: StorageFaultDetails, step: number, detail: string): TurnOutcome {
  ctx.s.partial[site.partialKey] = resumeAt;
  const where = { ...fault, agent: site.agent.id, step, detail };
  return { kind: 'storage_fault', fault: where, reason: storageFaultReason(where, ctx.info.workflowId), agent: site.agent.id, backbone: site.backbone.id, step };
}

/** No room for the next call: the agent keeps its partial work; the table decides (the Rectifier may make room, else the budget guard stops the run). */
function overBudget(ctx: RunContext, site: CallSite, partial: PartialAgent, detail: string): TurnOutcome {
  ctx.s.partial[site.partialKey] = partial;
  return { kind: 'over_budget', detail, agent: site.agent.id, backbone: site.backbone.id, step: ctx.s.steps.length - 1 };
}

export async function callAgentModel(ctx: RunContext, site: CallSite, partial: PartialAgent, promptChars: number, req: CallRequest): Promise<CallResult> {
  const { s, opts, input, info } = ctx;
  const { agent, backbone } = site;
  const agentId = agent.id;
  const backboneId = backbone.id;
  const stop = (outcome: TurnOutcome): CallResult => ({ kind: 'stopped', outcome });
  /** The exact worst case the activity reported for a call it did not start (its prompt was larger than estimated). */
  let exactNeed: number | undefined;
  for (;;) {
    if (paused(ctx)) {
      s.partial[site.partialKey] = partial;
      return stop({ kind: 'paused', agent: agentId });
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
      return stop(overBudget(ctx, site, partial, `${agentId}'s next model call on ${backboneId} could cost up to ${formatUsd(worst)} and only ${formatUsd(ctx.left())} of the ${formatUsd(s.budgetUsd)} budget is left`));
    }
    if (wallTimeExceeded(Date.parse(s.resumedAt ?? s.startedAt), Date.now(), opts.maxWallSeconds)) {
      s.partial[site.partialKey] = partial;
      return stop({ kind: 'out_of_wall_time', agent: agentId, maxWallSeconds: opts.maxWallSeconds ?? DEFAULT_MAX_WALL_SECONDS });
    }
    const nOnBackbone = (s.counters.model[backboneId] = (s.counters.model[backboneId] ?? 0) + 1);
    const nAll = ++s.counters.modelAll;
    const callIndex = ctx.nextIndex(s.counters.llmIndex, agentId);
    const callKey = `${agentId}:llm:${callIndex}`;
    if (reserving) ctx.reservations.set(callKey, worst);
    let out: CallModelOutput;
    try {
      const { spec, note, ...fields } = req;
      const call: CallModelInput = {
        workflowId: info.workflowId,
        task: input.task,
        agent: spec ?? agent,
        backbone,
        seed: opts.seed,
        callKey,
        ...fields,
        injectError: modelErrors(input.faults, backboneId, nOnBackbone, nAll),
        ...(input.tools ? { toolDefs: toolDefinitionsFrom(input.tools, agent.tools) } : {}),
        extraLatencyMs: extraLatencyMs(input.faults, backboneId) || undefined,
        ...(reserving ? { maxCostUsd: worst } : {}),
      };
      out = note ? await models.callModel.executeWithOptions({ summary: `${agentId}: ${note}` }, [call]) : await models.callModel(call);
    } catch (e) {
      if (isCancellation(e)) throw e;
      const f = failureInfo(e, MODEL_ATTEMPTS);
      if (f.type === FAILURE_TYPES.budget) {
        // Not started, nothing spent: try once more with the exact need reserved, or stop for the budget.
        if (exactNeed === undefined && f.needUsd !== undefined) {
          exactNeed = f.needUsd;
          continue;
        }
        return stop(overBudget(ctx, site, partial, f.message));
      }
      const step = ctx.record({ agent: agentId, backbone: backboneId, kind: 'llm', callIndex, status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message, ...(req.note ? { note: req.note } : {}) });
      if (f.storage) return stop(storageFault(ctx, site, turnStart, f.storage, step, f.message));
      return stop({ kind: 'call_failed', error: f.message, agent: agentId, backbone: backboneId, step });
    } finally {
      ctx.reservations.delete(callKey);
    }
    s.cost = addCall(s.cost, backboneId, out.usage, out.costUsd);
    ctx.record({ agent: agentId, backbone: backboneId, kind: 'llm', callIndex, status: 'completed', attempts: out.attempts, usage: out.usage, costUsd: out.costUsd, durationMs: out.durationMs, ...(req.note ? { note: req.note } : {}) });
    raiseFromState(ctx);
    return { kind: 'done', out, callIndex };
  }
}
