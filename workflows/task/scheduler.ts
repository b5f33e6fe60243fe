/**
 * The scheduler: runs the ready agents of the team's DAG in parallel, hands pending triggers
 * to the Rectifier once nothing is running, and continues as new when history grows long.
 */
import { allHandlersFinished, condition, continueAsNew, isCancellation, workflowInfo } from '@temporalio/workflow';
import { readyAgents } from '../../mas/graph';
import type { mas2Task } from '../task';
import { runAgent } from './agent';
import type { RunContext } from './context';
import { rectifyOn } from './rectify';
import { raiseFromState, settle, takeNextTrigger } from './triggers';

/** Starts an agent's turn loop and settles how it ended; the scheduler wakes then. */
function launch(ctx: RunContext, id: string): void {
  ctx.running.add(id);
  runAgent(ctx, id)
    .then((outcome) => settle(ctx, outcome))
    .catch((e) => {
      // Cancellation reaches the main loop through its own await; anything else is a bug
      // and must fail the workflow task (Temporal retries it once the code is fixed).
      if (!isCancellation(e)) throw e;
    })
    .finally(() => {
      ctx.running.delete(id);
      ctx.wake++;
    });
}

/** Continue as new when Temporal suggests it, or after the caller's step bound (tests use it). */
function canContinueAsNew(ctx: RunContext): boolean {
  const { s, opts } = ctx;
  return (
    workflowInfo().continueAsNewSuggested ||
    (opts.continueAsNewAfterSteps !== undefined && s.steps.length - s.stepsAtRunStart >= opts.continueAsNewAfterSteps)
  );
}

export async function execute(ctx: RunContext): Promise<void> {
  const { s, input } = ctx;
  while (s.status === 'running') {
    if (s.pendingTrigger || s.pendingExternal.length) {
      await condition(() => ctx.running.size === 0);
      if (s.status !== 'running') break;
      const trigger = takeNextTrigger(ctx);
      if (trigger) await rectifyOn(ctx, trigger);
      continue;
    }
    const config = s.config!;
    if (s.outputs[config.template.finalAgent]) {
      ctx.finish('completed');
      break;
    }
    if (canContinueAsNew(ctx)) {
      await condition(() => ctx.running.size === 0);
      if (s.pendingTrigger || s.pendingExternal.length || s.status !== 'running') continue;
      await condition(allHandlersFinished);
      await continueAsNew<typeof mas2Task>(input, { ...s, continuedAsNew: s.continuedAsNew + 1 });
    }
    // The projection is checked before agents start too: the point is to fire before the overrun.
    if (ctx.running.size === 0) {
      raiseFromState(ctx);
      if (s.pendingTrigger) continue;
    }
    const ready = readyAgents(config.template, new Set(Object.keys(s.outputs)), ctx.running);
    for (const id of ready) launch(ctx, id);
    if (ctx.running.size === 0) {
      ctx.finish('failed', 'no agent can run: the template leaves the final agent unreachable');
      break;
    }
    const seen = ctx.wake;
    await condition(() => ctx.wake !== seen);
  }
  await condition(() => ctx.running.size === 0);
}
