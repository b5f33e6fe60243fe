/**
 * The Rectifier's triggers: one descriptor per kind (this folder, one file each), collected in
 * TRIGGERS. Everything the engine decides about a trigger goes through the functions below, so
 * the workflow, the rule-based Rectifier and the Rectifier's prompt read one table. Adding a
 * kind: docs/ARCHITECTURE.md, "Adding a trigger kind".
 */
import type { Trigger } from '../schemas';
import type { TurnOutcome } from '../turnOutcome';
import { budget } from './budget';
import { external } from './external';
import { failure } from './failure';
import { projectedBudget } from './projectedBudget';
import type { Ending, RunView, TriggerDescriptor, Unfixable } from './types';
import { verifier } from './verifier';

export type { Ending, PatchContext, RunView, TriggerDescriptor, Unfixable } from './types';

/** The trigger kinds: one line per kind, its descriptor. TriggerKindSchema (mas/schemas.ts) is built from these keys. */
export const TRIGGERS = {
  failure,
  verifier,
  external,
  budget,
  projected_budget: projectedBudget,
} satisfies Record<string, TriggerDescriptor>;

export type TriggerKind = keyof typeof TRIGGERS;
export const TRIGGER_KINDS = Object.keys(TRIGGERS) as [TriggerKind, ...TriggerKind[]];

/** The kinds, most urgent first. */
export const KINDS_BY_URGENCY: readonly TriggerKind[] = (Object.keys(TRIGGERS) as TriggerKind[]).sort((a, b) => TRIGGERS[a].priority - TRIGGERS[b].priority);

export function descriptorOf(kind: TriggerKind): TriggerDescriptor {
  return TRIGGERS[kind];
}

/** The config version at which each once-only kind last fired (RunState.fired). */
export type FiredAt = Partial<Record<TriggerKind, number>>;

/** Whether a kind may fire now, by its `once` rule. */
export function mayFire(kind: TriggerKind, fired: FiredAt, configVersion: number): boolean {
  const once = TRIGGERS[kind].once;
  if (once === 'run') return fired[kind] === undefined;
  if (once === 'config version') return fired[kind] !== configVersion;
  return true;
}

/** The record that a trigger fired (for the once-only kinds; others leave it as it was). */
export function markFired(fired: FiredAt, t: Trigger, configVersion: number): FiredAt {
  return TRIGGERS[t.kind].once ? { ...fired, [t.kind]: configVersion } : fired;
}

/** The most urgent trigger the detector finds, among the kinds that may fire. */
function detect(fired: FiredAt, run: RunView, find: (d: TriggerDescriptor) => Trigger | null | undefined): Trigger | null {
  for (const kind of KINDS_BY_URGENCY) {
    if (!mayFire(kind, fired, run.configVersion)) continue;
    const t = find(TRIGGERS[kind]);
    if (t) return t;
  }
  return null;
}

/** The trigger an agent's turn outcome fires, or null. */
export function triggerFromOutcome(o: TurnOutcome, run: RunView, fired: FiredAt): Trigger | null {
  return detect(fired, run, (d) => d.fromOutcome?.(o, run));
}

/** The trigger the run state calls for (spending, forecasts), or null. */
export function triggerFromState(run: RunView, fired: FiredAt): Trigger | null {
  return detect(fired, run, (d) => d.fromState?.(run));
}

/** The trigger an operator's `rectify` signal stands for. */
export function triggerFromSignal(reason: string): Trigger {
  for (const kind of KINDS_BY_URGENCY) {
    const from = TRIGGERS[kind].fromSignal;
    if (from) return from(reason);
  }
  throw new Error('no trigger kind is raised by a signal');
}

/** Whether `a` fires before `b` (strictly more urgent; equal kinds keep the first raised). */
export function moreUrgent(a: Trigger, b: Trigger): boolean {
  return TRIGGERS[a.kind].priority < TRIGGERS[b.kind].priority;
}

/** How the run ends when the trigger cannot be fixed; null: the run goes on. */
export function giveUp(t: Trigger, u: Unfixable): Ending | null {
  return TRIGGERS[t.kind].unfixable(t, u);
}

/** Agents that re-run after a patch for this trigger, beyond those the patch invalidates. */
export function rerunAfter(t: Trigger): string[] {
  return TRIGGERS[t.kind].rerun?.(t) ?? [];
}
