/**
 * The shape of a trigger kind. Everything the engine does with one kind of trigger is in its
 * descriptor (one file per kind in this folder, collected in ./index.ts): how it is detected,
 * how urgent it is, how often it may fire, how the run ends when it cannot be fixed, what
 * re-runs after a patch, the rule-based patch, and what the Rectifier's prompt says about it.
 */
import type { Config, Patch, Pool, RunStatus, Trigger } from '../schemas';
import type { TurnOutcome } from '../turnOutcome';

/** The run as detection sees it (pure values; the workflow builds it from s_t). */
export interface RunView {
  costUsd: number;
  budgetUsd: number;
  /** θ_C as a fraction of the budget. */
  thetaFraction: number;
  /** Projected cost of the agents that still have to run (computed only when a kind asks). */
  projectedRemainingUsd: () => number;
  configVersion: number;
  /** Whether the Rectifier can still act on a trigger: it is on and under its cap. */
  rectifierCanAct: boolean;
}

/** Why a trigger could not be fixed. */
export interface Unfixable {
  cause: 'rectifier off' | 'cap reached' | 'no patch' | 'patch inapplicable';
  /** Says why, in words, for the run's reason. */
  why: string;
}

/** How a run ends: its final status and the reason shown to the user. */
export interface Ending {
  status: Extract<RunStatus, 'failed' | 'unverified'>;
  reason: string;
}

/** What a rule-based patch may look at. */
export interface PatchContext {
  config: Config;
  pool: Pool;
  trigger: Trigger;
  /** Agents whose outputs are finished (a patch should not make them run again for nothing). */
  finished: ReadonlySet<string>;
}

export interface TriggerDescriptor {
  /**
   * When several triggers are pending, the lowest fires first: a failure blocks progress, a
   * verdict is a fact, an operator's request comes next, budgets are forecasts.
   */
  priority: number;
  /** How often the kind may fire: every time it is detected, once per run, or once per config version (M_t). */
  once: 'run' | 'config version' | null;
  /** How the kind is named in the Rectifier's introduction ("a verifier rejection"). */
  noun: string;
  /** The line the Rectifier's prompt adds after a trigger of this kind: what a good patch does. */
  rectifierHint: string;
  /** Detection from how an agent's turn loop ended (mas/turnOutcome.ts). */
  fromOutcome?(o: TurnOutcome, run: RunView): Trigger | null;
  /** Detection from the run state, checked after every model call and before agents start. */
  fromState?(run: RunView): Trigger | null;
  /** Detection from an operator's signal (the `rectify` signal's reason). */
  fromSignal?(reason: string): Trigger;
  /** How the run ends when the trigger cannot be fixed; null: it goes on (the hard budget guard still stops an overrun). */
  unfixable(t: Trigger, u: Unfixable): Ending | null;
  /** Agents to run again after any patch for this trigger, beyond those the patch itself invalidates. */
  rerun?(t: Trigger): string[];
  /** Rule-based patches, best first; the Rectifier's fallback takes the first not applied before. */
  patches(c: PatchContext): Patch[];
}

/** The usual ending: the run fails and the reason names the trigger and why it stands. */
export function endsFailed(t: Trigger, u: Unfixable): Ending {
  return { status: 'failed', reason: `${t.kind} trigger: ${t.detail} (${u.why})` };
}

/** Budget kinds: without a fix the run goes on, and the hard budget guard stops it before any overrun. */
export function budgetGuardDecides(): null {
  return null;
}
