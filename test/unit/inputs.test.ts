/**
 * The CLI's option checks: every value either passes the schema the run is
 * started with, or is refused with a sentence, before anything starts.
 */
import fc from 'fast-check';
import { TaskOptionsSchema, TaskInputSchema } from '../../mas/schemas';
import { RULES, parseBudget, parseNumber, zodLine, isZodError } from '../../client/inputs';
import { SIMULATOR_POOL } from '../../mas/simulatorPool';

const BAD_NUMBERS = ['', ' ', 'NaN', 'nan', 'Infinity', '-Infinity', '1e400', '-1e400', '0x10', '0b1', '0o7', '1_000', '1,5', '--1', '1.2.3', 'e5', '.', '+', 'abc', '3abc', '١'];

test.each(BAD_NUMBERS)('%j is not a number for any option', (v) => {
  for (const rule of Object.values(RULES)) expect(() => parseNumber(v, rule)).toThrow(/^must be .* \(got /);
});

test('bounds and integers, with -0 read as 0', () => {
  expect(parseNumber('-0', RULES.maxRectifications)).toBe(0);
  expect(Object.is(parseNumber('-0', RULES.seed), 0)).toBe(true);
  expect(parseNumber('1e1', RULES.maxRectifications)).toBe(10);
  expect(parseNumber(' 0.5 ', RULES.theta)).toBe(0.5);
  expect(parseNumber('.5', RULES.theta)).toBe(0.5);
  for (const v of ['0', '-0.1', '1.0001', '2']) expect(() => parseNumber(v, RULES.theta)).toThrow(/above 0 and at most 1/);
  for (const v of ['21', '-1', '1.5']) expect(() => parseNumber(v, RULES.maxRectifications)).toThrow(/whole number from 0 to 20/);
  expect(() => parseNumber('9007199254740993', RULES.seed)).toThrow(/whole number/);
  expect(parseNumber('-42', RULES.seed)).toBe(-42);
  for (const v of ['0', '-0', '-3', '1e400', '', '0x10']) expect(() => parseBudget(v)).toThrow(/^--budget must be a number of USD above 0/);
});

test('whatever string comes, an accepted value passes the run schemas', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.double().map(String), fc.integer().map(String), fc.constantFrom(...BAD_NUMBERS)), (v) => {
      const take = (rule: (typeof RULES)[keyof typeof RULES]) => {
        try {
          return parseNumber(v, rule);
        } catch (e) {
          expect((e as Error).message).toMatch(/^must be /);
          return undefined;
        }
      };
      const theta = take(RULES.theta);
      const maxRectifications = take(RULES.maxRectifications);
      const seed = take(RULES.seed);
      const budget = take(RULES.budget);
      expect(TaskOptionsSchema.safeParse({ ...(theta !== undefined && { thetaFraction: theta }), ...(maxRectifications !== undefined && { maxRectifications }), ...(seed !== undefined && { seed }) }).success).toBe(true);
      if (budget !== undefined) expect(TaskInputSchema.safeParse({ task: 't', budgetUsd: budget, pool: SIMULATOR_POOL }).success).toBe(true);
    }),
    { numRuns: 3000 },
  );
});

test('a ZodError becomes one line that names the option', () => {
  const r = TaskInputSchema.safeParse({ task: 't', budgetUsd: 1, pool: SIMULATOR_POOL, options: { thetaFraction: 7, seed: 0.5 } });
  expect(r.success).toBe(false);
  const line = zodLine(r.error!);
  expect(line).toMatch(/^--theta: .*; --seed: /);
  expect(line).not.toContain('\n');
  expect(isZodError(r.error)).toBe(true);
  expect(isZodError(new Error('x'))).toBe(false);
  const opts = TaskOptionsSchema.safeParse({ maxRectifications: 99 });
  expect(zodLine(opts.error!, ['options'])).toMatch(/^--max-rectifications: /);
});
