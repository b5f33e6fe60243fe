/**
 * The table of trigger kinds (mas/triggers/): the functions the workflow calls to detect a
 * trigger, pick the most urgent, end a run that cannot be fixed and re-run after a patch.
 */
import {
  KINDS_BY_URGENCY,
  TRIGGERS,
  giveUp,
  markFired,
  mayFire,
  moreUrgent,
  rerunAfter,
  triggerFromOutcome,
  triggerFromSignal,
  triggerFromState,
  type RunView,
  type TriggerDescriptor,
} from '../../../mas/triggers';
import { endingOf, type TurnOutcome } from '../../../mas/turnOutcome';
import type { Trigger, TriggerKind } from '../../../mas/schemas';
import { TriggerKindSchema } from '../../../mas/schemas';
import type { Verdict } from '../../../mas/verdict';
import { out } from './fixtures';

/** A quiet run: $0.10 spent of $1, θ = 80%, $0.10 projected, version 1, the Rectifier free to act. */
function quiet(over: Partial<Omit<RunView, 'projectedRemainingUsd'>> & { projected?: number } = {}): RunView {
  const { projected = 0.1, ...rest } = over;
  return { costUsd: 0.1, budgetUsd: 1, thetaFraction: 0.8, projectedRemainingUsd: () => projected, configVersion: 1, rectifierCanAct: true, ...rest };
}

const at = { agent: 'B', backbone: 'mid', step: 7 };
const answered = (text: string, verifier: boolean, verdict: Verdict | null): TurnOutcome => ({
  kind: 'answered',
  ...at,
  output: out(text, 'k'),
  verifier,
  verdict,
});

describe('the table', () => {
  test('its keys are the kinds the schema accepts, and the priorities order them without ties', () => {
    expect([...TriggerKindSchema.options].sort()).toEqual(Object.keys(TRIGGERS).sort());
    expect(TriggerKindSchema.safeParse('nope').success).toBe(false);
    expect(new Set(KINDS_BY_URGENCY.map((k) => TRIGGERS[k].priority)).size).toBe(KINDS_BY_URGENCY.length);
    expect(KINDS_BY_URGENCY).toEqual(['failure', 'verifier', 'external', 'budget', 'projected_budget']);
  });

  test('TypeScript rejects a descriptor without a fallback patch, and a trigger of a kind the table lacks', () => {
    // @ts-expect-error a descriptor must say its rule-based patch
    const noPatch: TriggerDescriptor = { priority: 9, once: null, noun: 'x', rectifierHint: 'x', unfixable: () => null };
    // @ts-expect-error the kinds are the table's keys
    const unknown: Trigger = { kind: 'empty_answer', detail: 'x' };
    const kind: TriggerKind = 'budget';
    expect([noPatch, unknown, kind]).toHaveLength(3);
  });

  test('every kind says what the Rectifier should do about it', () => {
    for (const k of KINDS_BY_URGENCY) expect(TRIGGERS[k].rectifierHint.length).toBeGreaterThan(20);
  });
});

describe('detection from a turn outcome', () => {
  test('a failed model call, a failed tool and used-up turns fire the failure trigger', () => {
    expect(triggerFromOutcome({ kind: 'call_failed', error: '503', ...at }, quiet(), {})).toEqual({ kind: 'failure', detail: '503', agent: 'B', backbone: 'mid', step: 7 });
    expect(triggerFromOutcome({ kind: 'tool_failed', tool: 'python', error: 'crashed', ...at }, quiet(), {})).toEqual({
      kind: 'failure',
      detail: 'crashed',
      agent: 'B',
      tool: 'python',
      backbone: 'mid',
      step: 7,
    });
    expect(triggerFromOutcome({ kind: 'turns_exhausted', maxTurns: 3, ...at }, quiet(), {})?.detail).toBe('agent B did not finish within 3 model calls (it kept calling tools)');
  });

  test('an operator without an answer (a program still failing, an ensemble with nothing to vote on) fires the failure trigger', () => {
    expect(triggerFromOutcome({ kind: 'no_answer', tool: 'python', detail: 'the program of B still fails after 3 rounds: NameError', ...at }, quiet(), {})).toEqual({
      kind: 'failure',
      detail: 'the program of B still fails after 3 rounds: NameError',
      agent: 'B',
      tool: 'python',
      backbone: 'mid',
      step: 7,
    });
    expect(triggerFromOutcome({ kind: 'no_answer', detail: 'no extractable answer from the 5 samples of B', ...at }, quiet(), {})).toEqual({ kind: 'failure', detail: 'no extractable answer from the 5 samples of B', agent: 'B', backbone: 'mid', step: 7 });
  });

  test('a verifier answering FAIL fires the verifier trigger; PASS, or FAIL from a non-verifier, does not', () => {
    expect(triggerFromOutcome(answered('**FAIL** 2+2 is not 5', true, 'FAIL'), quiet(), {})).toEqual({ kind: 'verifier', detail: '**FAIL** 2+2 is not 5', agent: 'B', step: 7 });
    expect(triggerFromOutcome(answered('PASS', true, 'PASS'), quiet(), {})).toBeNull();
    expect(triggerFromOutcome(answered('FAIL', false, null), quiet(), {})).toBeNull();
  });

  test('a call that does not fit the budget fires projected_budget once per config version while the Rectifier can act', () => {
    const over: TurnOutcome = { kind: 'over_budget', detail: 'B could cost $1', ...at };
    expect(triggerFromOutcome(over, quiet(), {})?.kind).toBe('projected_budget');
    expect(triggerFromOutcome(over, quiet(), { projected_budget: 1 })).toBeNull();
    expect(triggerFromOutcome(over, quiet({ configVersion: 2 }), { projected_budget: 1 })?.kind).toBe('projected_budget');
    expect(triggerFromOutcome(over, quiet({ rectifierCanAct: false }), {})).toBeNull();
  });

  test('what fires no trigger ends the run by its own rule, or not at all', () => {
    const over: TurnOutcome = { kind: 'over_budget', detail: 'B could cost $1', ...at };
    expect(endingOf(over)).toEqual({ status: 'budget_exhausted', reason: 'stopped before the overrun: B could cost $1' });
    expect(endingOf({ kind: 'out_of_wall_time', agent: 'B', maxWallSeconds: 60 })).toEqual({ status: 'failed', reason: "the run's wall-time bound of 60 s was reached before B's next model call" });
    expect(endingOf({ kind: 'paused', agent: 'B' })).toBeNull();
    expect(triggerFromOutcome({ kind: 'paused', agent: 'B' }, quiet(), {})).toBeNull();
  });
});

describe('detection from the run state', () => {
  test('nothing fires in a quiet run', () => {
    expect(triggerFromState(quiet(), {})).toBeNull();
  });

  test('budget fires strictly above θ_C, once per run', () => {
    expect(triggerFromState(quiet({ costUsd: 0.8, projected: 0 }), {})).toBeNull();
    expect(triggerFromState(quiet({ costUsd: 0.81, projected: 0 }), {})).toEqual({ kind: 'budget', detail: 'cost so far $0.810000 is above θ_C = 80% of the $1 budget' });
    expect(triggerFromState(quiet({ costUsd: 0.6, thetaFraction: 0.5, projected: 0 }), {})?.kind).toBe('budget');
    expect(triggerFromState(quiet({ costUsd: 0.95, projected: 0 }), { budget: 1 })).toBeNull();
    expect(triggerFromState(quiet({ costUsd: 0.95, projected: 0, configVersion: 5 }), { budget: 1 })).toBeNull();
  });

  test('projected_budget fires when spent + projected exceeds the budget, once per config version', () => {
    expect(triggerFromState(quiet({ costUsd: 0.3, projected: 0.7 }), {})).toBeNull();
    expect(triggerFromState(quiet({ costUsd: 0.3, projected: 0.75 }), {})).toEqual({
      kind: 'projected_budget',
      detail: 'cost so far $0.300000 + projected $0.750000 for unfinished agents exceeds the $1 budget',
    });
    expect(triggerFromState(quiet({ costUsd: 0.5, projected: 0.6, configVersion: 2 }), { projected_budget: 2 })).toBeNull();
    expect(triggerFromState(quiet({ costUsd: 0.5, projected: 0.6, configVersion: 3 }), { projected_budget: 2 })?.kind).toBe('projected_budget');
  });

  test('budget comes before projected_budget; after budget fired, the projection still can', () => {
    expect(triggerFromState(quiet({ costUsd: 0.9, projected: 5 }), {})?.kind).toBe('budget');
    expect(triggerFromState(quiet({ costUsd: 0.9, projected: 5 }), { budget: 1 })?.kind).toBe('projected_budget');
  });

  test('the projection is computed only when the cheaper checks leave it to decide', () => {
    let computed = 0;
    const view = { ...quiet({ costUsd: 0.9 }), projectedRemainingUsd: () => ++computed };
    triggerFromState(view, {});
    expect(computed).toBe(0);
  });
});

describe('priority, once rules, signals', () => {
  const failure: Trigger = { kind: 'failure', detail: 'x', agent: 'B' };
  const verdict: Trigger = { kind: 'verifier', detail: 'FAIL', agent: 'V' };
  const request: Trigger = { kind: 'external', detail: 'cheaper' };
  const spend: Trigger = { kind: 'budget', detail: 'over' };

  test('moreUrgent follows failure > verifier > external > budget > projected_budget, strictly', () => {
    expect(moreUrgent(failure, verdict)).toBe(true);
    expect(moreUrgent(verdict, request)).toBe(true);
    expect(moreUrgent(request, spend)).toBe(true);
    expect(moreUrgent(spend, { kind: 'projected_budget', detail: '' })).toBe(true);
    expect(moreUrgent(verdict, failure)).toBe(false);
    expect(moreUrgent(failure, { ...failure, agent: 'C' })).toBe(false);
  });

  test('markFired records only once-only kinds; mayFire reads it', () => {
    expect(markFired({}, failure, 3)).toEqual({});
    const f = markFired(markFired({}, spend, 3), { kind: 'projected_budget', detail: '' }, 3);
    expect(f).toEqual({ budget: 3, projected_budget: 3 });
    expect(mayFire('budget', f, 9)).toBe(false);
    expect(mayFire('projected_budget', f, 3)).toBe(false);
    expect(mayFire('projected_budget', f, 4)).toBe(true);
    expect(mayFire('failure', f, 3)).toBe(true);
  });

  test('an operator signal is an external trigger', () => {
    expect(triggerFromSignal('use cheaper models')).toEqual({ kind: 'external', detail: 'use cheaper models' });
  });
});

describe('what cannot be fixed, and what re-runs', () => {
  const why = { cause: 'no patch' as const, why: 'no patch: nothing applies' };

  test('a failure ends the run failed, naming the trigger', () => {
    expect(giveUp({ kind: 'failure', detail: 'python crashed', agent: 'B' }, why)).toEqual({ status: 'failed', reason: 'failure trigger: python crashed (no patch: nothing applies)' });
  });

  test('a rejection that cannot be fixed ends unverified, never failed or completed', () => {
    for (const cause of ['rectifier off', 'cap reached', 'no patch', 'patch inapplicable'] as const) {
      expect(giveUp({ kind: 'verifier', detail: 'FAIL: 5', agent: 'V' }, { cause, why: 'w' })).toEqual({ status: 'unverified', reason: 'the verifier V rejected the answer and w: FAIL: 5' });
    }
  });

  test('budget kinds leave it to the hard budget guard; an operator request past the cap is declined', () => {
    for (const kind of ['budget', 'projected_budget'] as const) expect(giveUp({ kind, detail: '' }, why)).toBeNull();
    expect(giveUp({ kind: 'external', detail: 'x' }, { cause: 'cap reached', why: 'cap' })).toBeNull();
    expect(giveUp({ kind: 'external', detail: 'x' }, { cause: 'rectifier off', why: 'off' })?.status).toBe('failed');
  });

  test('the rejecting verifier re-runs after any patch; other kinds add nobody', () => {
    expect(rerunAfter({ kind: 'verifier', detail: 'FAIL', agent: 'V' })).toEqual(['V']);
    expect(rerunAfter({ kind: 'failure', detail: 'x', agent: 'B' })).toEqual([]);
  });
});
