/**
 * Where triggers enter the run state. The table of trigger kinds (mas/triggers/) decides which
 * trigger an agent's turn outcome or the run state calls for; this file writes the decision
 * into s_t: the one pending trigger (the most urgent wins), an agent's output and its feedback
 * loop, or the end of the run.
 */
import { patched } from '@temporalio/workflow';
import type { AgentSpec, Template, Trigger } from '../../mas/schemas';
import { moreUrgent, triggerFromOutcome, triggerFromSignal, triggerFromState, type RunView } from '../../mas/triggers';
import { projectRemainingCost } from '../../mas/projection';
import { endingOf, type TurnOutcome } from '../../mas/turnOutcome';
import { legacyVerdictOf, verdictOf, type Verdict } from '../../mas/verdict';
import { feedbackLoop, startsLoop, withoutAgents } from '../../mas/loops';
import type { RunContext } from './context';

/** The run as trigger detection sees it. */
function runView(ctx: RunContext): RunView {
  const { s, opts, pool } = ctx;
  const config = s.config!;
  return {
    costUsd: s.cost.usd,
    budgetUsd: s.budgetUsd,
    thetaFraction: opts.thetaFraction,
    projectedRemainingUsd: () => projectRemainingCost(config, pool, new Set(Object.keys(s.outputs)), s.steps),
    configVersion: config.version,
    rectifierCanAct: opts.rectifier && s.rectifications.length < opts.maxRectifications,
  };
}

/**
 * Makes `t` the pending trigger, unless a more urgent one is pending. The agent of the trigger
 * that waits loses its output, so it runs again and its condition is seen again (a rejected
 * verdict must not stand as a finished output). Runs recorded before this rule kept the first
 * trigger raised and every output (patched: 'trigger-priority').
 */
function raise(ctx: RunContext, t: Trigger): void {
  const s = ctx.s;
  const pending = s.pendingTrigger;
  if (!pending) {
    s.pendingTrigger = t;
    return;
  }
  if (!patched('trigger-priority')) return;
  const [keep, wait] = moreUrgent(t, pending) ? [t, pending] : [pending, t];
  s.pendingTrigger = keep;
  if (wait.agent) delete s.outputs[wait.agent];
}

/** Raises the trigger the run state calls for (spending above θ_C, a projected overrun), when none is pending. */
export function raiseFromState(ctx: RunContext): void {
  const s = ctx.s;
  if (s.pendingTrigger || !s.config) return;
  const t = triggerFromState(runView(ctx), s.fired);
  if (t) s.pendingTrigger = { ...t, step: s.steps.length - 1 };
}

/** What an agent's turn loop ended with, written into the run: its output, the trigger it fires, or the end of the run. */
export function settle(ctx: RunContext, o: TurnOutcome): void {
  const s = ctx.s;
  if (o.kind === 'answered') s.outputs[o.agent] = o.output;
  if (o.kind === 'storage_fault') s.storageFault = o.fault;
  const t = triggerFromOutcome(o, runView(ctx), s.fired);
  if (t) return raise(ctx, t);
  const end = endingOf(o);
  if (end) return ctx.finish(end.status, end.reason);
  if (o.kind !== 'answered') return;
  const loop = feedbackLoop(s.config!.template, o.agent, o.verdict, s.rounds);
  if (loop.target) {
    s.rounds = loop.rounds;
    s.feedback[loop.target] = o.output.ref;
    s.outputs = withoutAgents(s.outputs, loop.invalidated);
  }
}

/**
 * The trigger the scheduler hands to the Rectifier next: the pending one or the oldest operator
 * request, whichever is more urgent, taken out of the run state. Runs recorded before the
 * table's priorities always took the pending one first (patched: 'trigger-priority').
 */
export function takeNextTrigger(ctx: RunContext): Trigger | null {
  const s = ctx.s;
  const requested = s.pendingExternal.length ? triggerFromSignal(s.pendingExternal[0]) : null;
  const pending = s.pendingTrigger;
  const next = pending && requested && moreUrgent(requested, pending) && patched('trigger-priority') ? requested : (pending ?? requested);
  if (next === requested) s.pendingExternal.shift();
  else s.pendingTrigger = null;
  return next;
}

/**
 * The verdict the workflow acts on, for a verifier or a feedback loop's sender (null for other
 * agents: their text is an answer, not a verdict). Runs recorded before the one grammar read
 * only a plain FAIL or REVISE at the start (patched: 'verdict-grammar').
 */
export function verdictFor(t: Template, agent: AgentSpec, text: string): Verdict | null {
  if (!agent.verifier && !startsLoop(t, agent.id)) return null;
  const now = verdictOf(text);
  const before = legacyVerdictOf(text);
  if ((now === 'PASS' ? null : now) === before) return now;
  return patched('verdict-grammar') ? now : before;
}
