/**
 * The workflow's hand-written checks of what clients send must accept exactly
 * what the zod schemas accept (they stand in for them inside the bundle), and
 * must never throw, whatever JSON arrives.
 */
import fc from 'fast-check';
import { RaiseBudgetSchema, RectifySignalSchema } from '../../../mas/schemas';
import { DEFAULT_RECTIFY_REASON, MAX_REJECTED_SIGNALS, checkRaiseBudgetArgs, checkRectifyArgs, describeArgs, recordRejected, signalProblem, type RejectedSignal } from '../../../mas/handlerInputs';

/** Arbitrary JSON plus the values JSON cannot carry but a JS caller could (undefined, NaN, ±Infinity, -0). */
const anyValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(undefined, NaN, Infinity, -Infinity, -0, 0, 1e400, 5e-324),
  fc.record({ reason: fc.oneof(fc.jsonValue(), fc.string({ maxLength: 2100 })) }),
  fc.record({ budgetUsd: fc.oneof(fc.double(), fc.jsonValue()) }),
);
const anyArgs = fc.array(anyValue, { maxLength: 3 });

test('checkRectifyArgs agrees with RectifySignalSchema on every input, and never throws', () => {
  fc.assert(
    fc.property(anyArgs, (args) => {
      const c = checkRectifyArgs(args);
      const z = args.length === 1 ? RectifySignalSchema.safeParse(args[0]) : { success: false as const };
      expect(c.ok).toBe(z.success);
      if (c.ok && z.success) expect(c.value.reason).toBe(z.data.reason?.trim() || DEFAULT_RECTIFY_REASON);
      if (!c.ok) expect(c.problem).toMatch(/^rectify expects /);
    }),
    { numRuns: 2000 },
  );
});

test('checkRaiseBudgetArgs agrees with RaiseBudgetSchema on every input, and never throws', () => {
  fc.assert(
    fc.property(anyArgs, (args) => {
      const c = checkRaiseBudgetArgs(args);
      const z = args.length === 1 ? RaiseBudgetSchema.safeParse(args[0]) : { success: false as const };
      expect(c.ok).toBe(z.success);
      if (c.ok && z.success) expect(c.value.budgetUsd).toBe(z.data.budgetUsd);
    }),
    { numRuns: 2000 },
  );
});

test('the sentences name what was expected and what came', () => {
  expect(checkRectifyArgs([{ reason: 5 }])).toEqual({ ok: false, problem: 'rectify expects one {"reason": string} of at most 2000 characters; got {"reason":5}' });
  expect(checkRectifyArgs([])).toMatchObject({ ok: false, problem: expect.stringContaining('got no input') });
  expect(checkRaiseBudgetArgs([null])).toEqual({ ok: false, problem: 'raiseBudget expects one {"budgetUsd": number}; got null' });
  expect(checkRaiseBudgetArgs([{ budgetUsd: '3' }])).toMatchObject({ ok: false, problem: expect.stringContaining('got {"budgetUsd":"3"}') });
  expect(checkRectifyArgs([{ reason: '  fix the tests ' }])).toEqual({ ok: true, value: { reason: 'fix the tests' } });
  expect(checkRectifyArgs([{}])).toEqual({ ok: true, value: { reason: DEFAULT_RECTIFY_REASON } });
  expect(checkRectifyArgs([{ reason: 'x'.repeat(2001) }])).toMatchObject({ ok: false, problem: expect.stringContaining('got 2001') });
});

test('describeArgs stays one bounded line, even for cyclic or huge input', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  expect(describeArgs([cyclic])).toBe('object');
  expect(describeArgs(['y'.repeat(10_000)]).length).toBeLessThanOrEqual(120);
  expect(describeArgs([undefined, 1])).toBe('undefined, 1');
});

test('the rejected list is bounded; the count keeps growing', () => {
  const list: RejectedSignal[] = [];
  let total = 0;
  for (let i = 0; i < MAX_REJECTED_SIGNALS + 7; i++) total = recordRejected(list, total, { name: `s${i}`, at: 't', problem: 'p' });
  expect(list).toHaveLength(MAX_REJECTED_SIGNALS);
  expect(total).toBe(MAX_REJECTED_SIGNALS + 7);
  expect(list[0].name).toBe('s0');
});

test('signalProblem: unknown names and malformed rectify signals, as the audit reports them', () => {
  expect(signalProblem('rectify', [{ reason: 'ok' }], ['rectify'])).toBeUndefined();
  expect(signalProblem('rectify', [{ reason: 5 }], ['rectify'])).toMatch(/^rectify expects/);
  expect(signalProblem('nope', [], ['rectify'])).toBe('unknown signal "nope" (this workflow handles rectify); ignored');
});
