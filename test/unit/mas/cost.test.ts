import fc from 'fast-check';
import { addCall, addUsage, CALL_FRAME_TOKENS, callReservation, emptyCost, estimateTokens, exactWorstCase, formatUsd, metaCallEstimate, priceOf, promptCacheHitRate, promptChars, promptTokens, worstCaseCallCost } from '../../../mas/cost';
import { CostSchema } from '../../../mas/schemas';
import { POOL } from './fixtures';

const big = POOL.backbones.find((b) => b.id === 'big')!; // $10 in / $40 out per M

describe('priceOf', () => {
  test('tokens × price per million, input and output priced separately', () => {
    expect(priceOf({ inputTokens: 1_000_000, outputTokens: 0 }, big)).toBe(10);
    expect(priceOf({ inputTokens: 0, outputTokens: 1_000_000 }, big)).toBe(40);
    expect(priceOf({ inputTokens: 2000, outputTokens: 500 }, big)).toBeCloseTo(0.02 + 0.02, 12);
    expect(priceOf({ inputTokens: 0, outputTokens: 0 }, big)).toBe(0);
    expect(priceOf({ inputTokens: 123, outputTokens: 456 }, { pricing: { inputPerM: 0, outputPerM: 0 } })).toBe(0);
  });
});

describe('addCall', () => {
  test('splits meta-agent spending from the team, and by backbone', () => {
    let c = emptyCost();
    c = addCall(c, 'big', { inputTokens: 100, outputTokens: 10 }, 0.5, 'generator');
    c = addCall(c, 'mid', { inputTokens: 200, outputTokens: 20 }, 0.25);
    c = addCall(c, 'big', { inputTokens: 300, outputTokens: 30 }, 0.125);
    c = addCall(c, 'mid', { inputTokens: 1, outputTokens: 2 }, 0.0625, 'rectifier');
    c = addCall(c, 'mid', { inputTokens: 1, outputTokens: 2 }, 0.0625, 'rectifier');
    expect(c.usd).toBeCloseTo(1, 12);
    expect(c.meta).toBeCloseTo(0.625, 12);
    expect(c.agents).toBeCloseTo(0.375, 12);
    expect(c.meta + c.agents).toBeCloseTo(c.usd, 12);
    expect(c.perMetaRole).toEqual({ generator: 0.5, rectifier: 0.125 });
    expect(c.inputTokens).toBe(602);
    expect(c.outputTokens).toBe(64);
    expect(c.perBackbone).toEqual({
      big: { usd: 0.625, inputTokens: 400, outputTokens: 40, calls: 2 },
      mid: { usd: 0.375, inputTokens: 202, outputTokens: 24, calls: 3 },
    });
    expect(() => CostSchema.parse(c)).not.toThrow();
  });

  test('prompt-cache hits are summed where servers report them, and stay absent where none does', () => {
    let c = addCall(emptyCost(), 'big', { inputTokens: 100, outputTokens: 1 }, 0);
    expect(c.cachedInputTokens).toBeUndefined();
    expect(c.perBackbone.big.cachedInputTokens).toBeUndefined();
    expect(promptCacheHitRate(c)).toBeNull();
    c = addCall(c, 'mid', { inputTokens: 100, outputTokens: 1, cachedInputTokens: 90 }, 0);
    c = addCall(c, 'mid', { inputTokens: 200, outputTokens: 1, cachedInputTokens: 150 }, 0, 'rectifier');
    expect(c.cachedInputTokens).toBe(240);
    expect(c.perBackbone.mid.cachedInputTokens).toBe(240);
    expect(promptCacheHitRate(c)).toBeCloseTo(240 / 400);
    expect(() => CostSchema.parse(c)).not.toThrow();
    expect(addUsage({ inputTokens: 10, outputTokens: 2, cachedInputTokens: 8 }, { inputTokens: 12, outputTokens: 3, cachedInputTokens: 11 })).toEqual({ inputTokens: 22, outputTokens: 5, cachedInputTokens: 19 });
    expect(addUsage({ inputTokens: 1, outputTokens: 1 }, { inputTokens: 1, outputTokens: 1 })).toEqual({ inputTokens: 2, outputTokens: 2 });
  });

  test('returns a new object and leaves the old one alone', () => {
    const c0 = emptyCost();
    const c1 = addCall(c0, 'big', { inputTokens: 1, outputTokens: 1 }, 1, 'implementer');
    expect(c0).toEqual(emptyCost());
    const snapshot = structuredClone(c1);
    addCall(c1, 'big', { inputTokens: 1, outputTokens: 1 }, 1, 'implementer');
    expect(c1).toEqual(snapshot);
  });

  test('property: totals equal the sums of the parts', () => {
    const call = fc.record({
      backbone: fc.constantFrom('a', 'b', 'c'),
      inputTokens: fc.nat({ max: 10_000 }),
      outputTokens: fc.nat({ max: 10_000 }),
      usd: fc.double({ min: 0, max: 1, noNaN: true }),
      role: fc.option(fc.constantFrom('generator' as const, 'implementer' as const, 'rectifier' as const), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(call, { maxLength: 30 }), (calls) => {
        const c = calls.reduce((acc, k) => addCall(acc, k.backbone, k, k.usd, k.role), emptyCost());
        const per = Object.values(c.perBackbone);
        expect(per.reduce((s, p) => s + p.calls, 0)).toBe(calls.length);
        expect(per.reduce((s, p) => s + p.inputTokens, 0)).toBe(c.inputTokens);
        expect(per.reduce((s, p) => s + p.usd, 0)).toBeCloseTo(c.usd, 9);
        expect(c.meta + c.agents).toBeCloseTo(c.usd, 9);
        const roles = Object.values(c.perMetaRole).reduce((s, v) => s + (v ?? 0), 0);
        expect(roles).toBeCloseTo(c.meta, 9);
        expect(c.agents).toBeCloseTo(calls.filter((k) => !k.role).reduce((s, k) => s + k.usd, 0), 9);
      }),
      { numRuns: 200 },
    );
  });
});

describe('worstCaseCallCost', () => {
  test('prompt chars / 4 (rounded up) in, the backbone maximum out', () => {
    expect(estimateTokens(0)).toBe(0);
    expect(estimateTokens(1)).toBe(1);
    expect(estimateTokens(8)).toBe(2);
    expect(estimateTokens(9)).toBe(3);
    // 4000 chars → 1000 tokens in at $10/M = 0.01; 1024 tokens out at $40/M = 0.04096.
    expect(worstCaseCallCost(4000, big)).toBeCloseTo(0.01 + 0.04096, 12);
    expect(worstCaseCallCost(4000, big, 100)).toBeCloseTo(0.01 + 0.004, 12);
    expect(worstCaseCallCost(4000, { ...big, maxOutputTokens: 10 })).toBeCloseTo(0.01 + 0.0004, 12);
  });

  test('is never below the price of a call that fits in it', () => {
    fc.assert(
      fc.property(fc.nat({ max: 200_000 }), fc.nat({ max: 1024 }), (chars, outTokens) => {
        const actual = priceOf({ inputTokens: Math.ceil(chars / 4), outputTokens: outTokens }, big);
        expect(worstCaseCallCost(chars, big)).toBeGreaterThanOrEqual(actual);
      }),
    );
  });
});

describe('formatUsd', () => {
  test('4 decimals from a cent, 6 below', () => {
    expect(formatUsd(1.23456)).toBe('$1.2346');
    expect(formatUsd(0.01)).toBe('$0.0100');
    expect(formatUsd(0.00123456)).toBe('$0.001235');
    expect(formatUsd(0)).toBe('$0.000000');
  });
});

describe('the worst case of a call (exact and reserved)', () => {
  test('promptChars counts what the simulator bills: message texts, tool calls, tool definitions and a response schema', () => {
    const messages = [
      { role: 'system' as const, content: 'abcd' },
      { role: 'assistant' as const, content: null, toolCalls: [{ id: '1', name: 'python', arguments: '{}' }] },
    ];
    const calls = JSON.stringify(messages[1].toolCalls).length;
    // A message without tool calls counts `[]`, and so does an absent tool list, as the simulator bills them.
    expect(promptChars(messages)).toBe(4 + 2 + calls + 2);
    const tools = [{ name: 't', description: 'd', parameters: {} }];
    expect(promptChars(messages, tools)).toBe(4 + 2 + calls + JSON.stringify(tools).length);
    expect(promptChars(messages, tools, { type: 'object' })).toBe(promptChars(messages, tools) + JSON.stringify({ type: 'object' }).length);
    expect(promptTokens(4000)).toBe(1000 + CALL_FRAME_TOKENS);
    expect(exactWorstCase(4000, 100, big)).toBeCloseTo(((1000 + CALL_FRAME_TOKENS) * 10 + 100 * 40) / 1e6, 12);
  });

  test('a reservation covers the exact worst case of any prompt up to a quarter larger than estimated (plus 256 tokens)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (estimate, extra) => {
        const actual = Math.floor(estimate * (1 + 0.25 * extra)) + Math.floor(1024 * extra);
        expect(callReservation(estimate, big)).toBeGreaterThanOrEqual(exactWorstCase(actual, big.maxOutputTokens, big));
      }),
    );
  });

  test("a meta-agent call's estimate grows with the task it carries, and uses the role's output cap", () => {
    expect(metaCallEstimate('x'.repeat(600_000), big, 'generator')).toBeGreaterThan(metaCallEstimate('short', big, 'generator') + 1);
    expect(metaCallEstimate('t', big, 'implementer')).toBeLessThan(metaCallEstimate('t', big, 'generator'));
  });
});
