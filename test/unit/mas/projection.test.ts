/** The cost forecast behind the projected-budget trigger (mas/projection.ts). */
import { observedCallUsage, PRIOR_CALL_USAGE, projectRemainingCost } from '../../../mas/projection';
import { priceOf } from '../../../mas/cost';
import type { Step } from '../../../mas/schemas';
import { cfg, llmStep, POOL, tmpl } from './fixtures';
import { ensemble, programmer, TEST_STEP } from '../../../mas/operators';

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

test('operators: an ensemble projects its k samples, a programmer one call, a test step none', () => {
  const t = tmpl(['S', 'P', 'T'], ['S>P', 'P>T'], 'T');
  t.agents[0].operator = ensemble('number', 'agent', 5);
  t.agents[1].operator = programmer('code');
  t.agents[2].operator = TEST_STEP;
  const perCall = priceOf(PRIOR_CALL_USAGE, POOL.backbones.find((b) => b.id === 'mid')!);
  expect(projectRemainingCost(cfg(t), POOL, new Set(), [])).toBeCloseTo(perCall * (5 + 1 + 0), 12);
});
