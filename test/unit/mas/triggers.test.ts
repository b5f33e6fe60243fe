import { evaluateTrigger, observedCallUsage, PRIOR_CALL_USAGE, projectRemainingCost, type TriggerInput } from '../../../mas/triggers';
import { priceOf } from '../../../mas/cost';
import type { Step, Trigger } from '../../../mas/schemas';
import { cfg, llmStep, POOL, tmpl } from './fixtures';

/** A quiet state: $0.10 spent of $1, θ = 80%, nothing pending. */
function quiet(over: Partial<TriggerInput> = {}): TriggerInput {
  return {
    costUsd: 0.1,
    budgetUsd: 1,
    thetaFraction: 0.8,
    projectedRemainingUsd: 0.1,
    externalReasons: [],
    budgetTriggerFired: false,
    projectedFiredAtVersion: null,
    configVersion: 1,
    ...over,
  };
}

const failure: Trigger = { kind: 'failure', detail: 'tool python crashed', agent: 'B', tool: 'python' };
const verdict: Trigger = { kind: 'verifier', detail: 'FAIL: wrong sum', agent: 'V' };

describe('evaluateTrigger: each kind', () => {
  test('nothing fires in a quiet state', () => {
    expect(evaluateTrigger(quiet())).toBeNull();
  });

  test('failure is passed through as is', () => {
    expect(evaluateTrigger(quiet({ failure }))).toBe(failure);
  });

  test('verifier is passed through as is', () => {
    expect(evaluateTrigger(quiet({ verifier: verdict }))).toBe(verdict);
  });

  test('external takes the first pending reason', () => {
    expect(evaluateTrigger(quiet({ externalReasons: ['use cheaper models', 'second'] }))).toEqual({ kind: 'external', detail: 'use cheaper models' });
  });

  test('budget fires strictly above θ_C', () => {
    expect(evaluateTrigger(quiet({ costUsd: 0.8, projectedRemainingUsd: 0 }))).toBeNull();
    const t = evaluateTrigger(quiet({ costUsd: 0.81, projectedRemainingUsd: 0 }));
    expect(t?.kind).toBe('budget');
    expect(t?.detail).toBe('cost so far $0.810000 is above θ_C = 80% of the $1 budget');
  });

  test('θ_C follows thetaFraction', () => {
    expect(evaluateTrigger(quiet({ costUsd: 0.6, thetaFraction: 0.5, projectedRemainingUsd: 0 }))?.kind).toBe('budget');
    expect(evaluateTrigger(quiet({ costUsd: 0.6, thetaFraction: 0.7, projectedRemainingUsd: 0 }))).toBeNull();
  });

  test('projected_budget fires when spent + projected exceeds the budget', () => {
    expect(evaluateTrigger(quiet({ costUsd: 0.3, projectedRemainingUsd: 0.7 }))).toBeNull();
    const t = evaluateTrigger(quiet({ costUsd: 0.3, projectedRemainingUsd: 0.75 }));
    expect(t).toEqual({
      kind: 'projected_budget',
      detail: 'cost so far $0.300000 + projected $0.750000 for unfinished agents exceeds the $1 budget',
    });
  });
});

describe('evaluateTrigger: priority failure > verifier > external > budget > projected_budget', () => {
  const everything = quiet({
    failure,
    verifier: verdict,
    externalReasons: ['stop'],
    costUsd: 0.9,
    projectedRemainingUsd: 5,
  });

  test('walks down the chain as the more urgent kinds go away', () => {
    expect(evaluateTrigger(everything)?.kind).toBe('failure');
    expect(evaluateTrigger({ ...everything, failure: undefined })?.kind).toBe('verifier');
    expect(evaluateTrigger({ ...everything, failure: undefined, verifier: undefined })?.kind).toBe('external');
    expect(evaluateTrigger({ ...everything, failure: undefined, verifier: undefined, externalReasons: [] })?.kind).toBe('budget');
    expect(evaluateTrigger({ ...everything, failure: undefined, verifier: undefined, externalReasons: [], budgetTriggerFired: true })?.kind).toBe(
      'projected_budget',
    );
  });
});

describe('evaluateTrigger: once-only rules', () => {
  test('budget fires once: after it fired, only the projected trigger can fire', () => {
    expect(evaluateTrigger(quiet({ costUsd: 0.95, projectedRemainingUsd: 0, budgetTriggerFired: true }))).toBeNull();
    expect(evaluateTrigger(quiet({ costUsd: 0.95, projectedRemainingUsd: 0.2, budgetTriggerFired: true }))?.kind).toBe('projected_budget');
  });

  test('projected fires once per config version', () => {
    const over = { costUsd: 0.5, projectedRemainingUsd: 0.6 };
    expect(evaluateTrigger(quiet({ ...over, configVersion: 2, projectedFiredAtVersion: 2 }))).toBeNull();
    expect(evaluateTrigger(quiet({ ...over, configVersion: 3, projectedFiredAtVersion: 2 }))?.kind).toBe('projected_budget');
    expect(evaluateTrigger(quiet({ ...over, configVersion: 1, projectedFiredAtVersion: null }))?.kind).toBe('projected_budget');
  });

  test('the once-only flags never silence failure, verifier or external', () => {
    const flags = { budgetTriggerFired: true, projectedFiredAtVersion: 1, configVersion: 1 };
    expect(evaluateTrigger(quiet({ ...flags, failure }))?.kind).toBe('failure');
    expect(evaluateTrigger(quiet({ ...flags, verifier: verdict }))?.kind).toBe('verifier');
    expect(evaluateTrigger(quiet({ ...flags, externalReasons: ['x'] }))?.kind).toBe('external');
  });
});

describe('observedCallUsage', () => {
  test('the prior before any model call', () => {
    expect(observedCallUsage([])).toEqual(PRIOR_CALL_USAGE);
    const tool: Step = { ...llmStep(0, 0), kind: 'tool', usage: undefined };
    expect(observedCallUsage([tool])).toEqual(PRIOR_CALL_USAGE);
  });

  test('the mean over llm steps, ignoring tool and meta steps', () => {
    const meta: Step = { ...llmStep(100000, 100000), kind: 'meta' };
    expect(observedCallUsage([llmStep(100, 10), llmStep(300, 30), meta])).toEqual({ inputTokens: 200, outputTokens: 20 });
  });
});

describe('projectRemainingCost', () => {
  // A (no tools) → B (python) → D; X is not needed; all on "mid" ($1 / $4 per M).
  const config = cfg(tmpl(['A', { id: 'B', tools: ['python'] }, 'X', 'D'], ['A>B', 'B>D', 'A>X'], 'D'));
  const mid = POOL.backbones.find((b) => b.id === 'mid')!;

  test('uses the prior before any call: one call per agent, two with tools, unneeded agents skipped', () => {
    const perCall = priceOf(PRIOR_CALL_USAGE, mid);
    expect(projectRemainingCost(config, POOL, new Set(), [])).toBeCloseTo(perCall * (1 + 2 + 1), 12);
  });

  test('uses the observed usage once there is some', () => {
    const steps = [llmStep(1000, 500), llmStep(3000, 1500)];
    const perCall = priceOf({ inputTokens: 2000, outputTokens: 1000 }, mid);
    expect(perCall).toBeCloseTo(0.006, 12);
    expect(projectRemainingCost(config, POOL, new Set(), steps)).toBeCloseTo(perCall * 4, 12);
    // Twice the tokens, twice the projection.
    const doubled = [llmStep(2000, 1000), llmStep(6000, 3000)];
    expect(projectRemainingCost(config, POOL, new Set(), doubled)).toBeCloseTo(2 * perCall * 4, 12);
  });

  test('finished agents cost nothing more', () => {
    const steps = [llmStep(2000, 1000)];
    const perCall = priceOf({ inputTokens: 2000, outputTokens: 1000 }, mid);
    expect(projectRemainingCost(config, POOL, new Set(['A', 'B']), steps)).toBeCloseTo(perCall, 12);
    expect(projectRemainingCost(config, POOL, new Set(['A', 'B', 'D']), steps)).toBe(0);
  });

  test('priced on each agent’s own backbone; unknown backbones are skipped', () => {
    const steps = [llmStep(1000, 1000)];
    const c = cfg(config.template, { A: 'big', B: 'cheap', X: 'big', D: 'ghost' });
    const big = POOL.backbones.find((b) => b.id === 'big')!;
    const cheap = POOL.backbones.find((b) => b.id === 'cheap')!;
    const u = { inputTokens: 1000, outputTokens: 1000 };
    expect(projectRemainingCost(c, POOL, new Set(), steps)).toBeCloseTo(priceOf(u, big) + 2 * priceOf(u, cheap), 12);
  });
});
