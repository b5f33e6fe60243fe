/**
 * The run's query, signal and update handlers. Any client can send anything: every handler
 * checks its arguments first and never throws from a signal (that would fail every later
 * workflow task and wedge the run).
 */
import { ApplicationFailure, defineQuery, defineSignal, defineUpdate, setDefaultSignalHandler, setHandler } from '@temporalio/workflow';
import type { Result } from '../../mas/schemas';
import { formatUsd } from '../../mas/cost';
import { toResult } from '../../mas/runState';
import { checkRaiseBudgetArgs, checkRectifyArgs, recordRejected, signalProblem } from '../../mas/handlerInputs';
import type { RunContext } from './context';

export const stateQuery = defineQuery<Result>('state');
export const rectifySignal = defineSignal<[{ reason: string }]>('rectify');
export const raiseBudgetUpdate = defineUpdate<{ budgetUsd: number }, [{ budgetUsd: number }]>('raiseBudget');

export function registerHandlers(ctx: RunContext): void {
  const { s, input, info } = ctx;
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
    ctx.wake++;
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
      ctx.wake++;
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
}
