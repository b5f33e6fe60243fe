/**
 * mas2Task: one task, end to end. Generator → Implementer → the team's DAG
 * (ready agents in parallel, each agent's model → tools → model loop here),
 * with the Rectifier rewriting M_t when a trigger fires and execution
 * resuming from s_t. Deterministic: imports only mas/ and the workflow API.
 *
 * This file wires the parts in workflows/task/ around one RunContext: design.ts
 * (Generator, Implementer), agent.ts (one agent's turn loop), rectify.ts (the
 * Rectifier), scheduler.ts (the DAG loop, continue-as-new), handlers.ts.
 */
import { CancellationScope, condition, isCancellation, workflowInfo } from '@temporalio/workflow';
import type { Result, TaskInput } from '../mas/schemas';
import { initialState, resumeState, toResult, upgradeState, type RunState } from '../mas/runState';
import { RunContext } from './task/context';
import { registerHandlers } from './task/handlers';
import { design } from './task/design';
import { commitPatch } from './task/rectify';
import { execute } from './task/scheduler';

export { stateQuery, rectifySignal, raiseBudgetUpdate } from './task/handlers';

export async function mas2Task(input: TaskInput, carried?: RunState): Promise<Result> {
  const info = workflowInfo();
  // A branch, or a run resumed after a storage fault, is a new run that starts at s_t: same history of decisions, its own future.
  const resumed = !carried && input.resume ? resumeState(input.resume.state as RunState, new Date(info.runStartTime).toISOString()) : undefined;
  const s: RunState = upgradeState(carried ?? resumed ?? initialState(input, new Date(info.runStartTime).toISOString()));
  s.stepsAtRunStart = s.steps.length;
  const ctx = new RunContext(s, input, info);

  // Any client can send anything: every handler checks its arguments first and never throws
  // from a signal (that would fail every later workflow task and wedge the run).
  registerHandlers(ctx);
  ctx.setSearch();

  try {
    if (resumed && input.resume?.patch && input.resume.trigger) {
      s.decisions.push({ role: 'rectifier', source: 'forced', output: input.resume.patch, rationale: input.resume.rationale || input.resume.patch.rationale, costUsd: 0 });
      commitPatch(ctx, input.resume.trigger, input.resume.patch, 'rectifier', 0);
    }
    if (!s.config) await design(ctx);
    if (s.status === 'running') await execute(ctx);
  } catch (e) {
    if (!isCancellation(e)) throw e;
    s.status = 'cancelled';
    s.reason = 'cancelled by request';
    // Let in-flight agents record how far they got before the result is returned.
    await CancellationScope.nonCancellable(() => condition(() => ctx.running.size === 0));
  }
  s.finishedAt = new Date().toISOString();
  ctx.setSearch();
  return toResult(s, input, info.workflowId);
}
