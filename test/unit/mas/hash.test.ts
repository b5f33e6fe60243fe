import fc from 'fast-check';
import { fnv1a, seededRandom, stableStringify } from '../../../mas/hash';

describe('stableStringify', () => {
  test('key order does not matter, at any depth', () => {
    expect(stableStringify({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(stableStringify({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
    expect(stableStringify({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  test('array order matters, values matter', () => {
    expect(stableStringify([1, 2])).not.toBe(stableStringify([2, 1]));
    expect(stableStringify({ a: 1 })).not.toBe(stableStringify({ a: '1' }));
  });

  test('undefined properties are dropped like JSON does; primitives as JSON', () => {
    expect(stableStringify({ a: 1, b: undefined })).toBe(stableStringify({ a: 1 }));
    expect(stableStringify('x"y')).toBe('"x\\"y"');
    expect(stableStringify(null)).toBe('null');
    expect(stableStringify(undefined)).toBe('null');
    expect(stableStringify(3.5)).toBe('3.5');
  });

  test('property: survives key reordering and round-trips through JSON', () => {
    // (Integer-like keys always enumerate first in JS, so reversal is the reordering that can be built for every object.)
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reverseKeys) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reverseKeys((v as Record<string, unknown>)[k])])) : v;
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const s = stableStringify(v);
        expect(stableStringify(reverseKeys(v))).toBe(s);
        expect(JSON.parse(s)).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 300 },
    );
  });

  test('property: keys come out sorted by code unit, including integer-like ones', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ maxLength: 4 }), { maxLength: 8 }), (keys) => {
        const obj = Object.fromEntries(keys.map((k, i) => [k, i]));
        const expected = '{' + [...keys].sort().map((k) => `${JSON.stringify(k)}:${obj[k]}`).join(',') + '}';
        expect(stableStringify(obj)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('fnv1a', () => {
  test('16 hex digits, deterministic, sensitive to one character', () => {
    expect(fnv1a('hello')).toMatch(/^[0-9a-f]{16}$/);
    expect(fnv1a('hello')).toBe(fnv1a('hello'));
    expect(fnv1a('hello')).not.toBe(fnv1a('hellp'));
    expect(fnv1a('')).not.toBe(fnv1a(' '));
  });
});

describe('seededRandom', () => {
  test('the same seed gives the same sequence; another seed another', () => {
    const take = (r: () => number, n: number) => Array.from({ length: n }, r);
    expect(take(seededRandom('seed-1'), 20)).toEqual(take(seededRandom('seed-1'), 20));
    expect(take(seededRandom('seed-1'), 20)).not.toEqual(take(seededRandom('seed-2'), 20));
  });

  test('values lie in [0, 1) and are spread out', () => {
    const r = seededRandom('spread');
    const xs = Array.from({ length: 5000 }, r);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(new Set(xs).size).toBeGreaterThan(4990);
  });

  test('two generators from one seed are independent objects', () => {
    const a = seededRandom('x');
    const b = seededRandom('x');
    a();
    a();
    expect(b()).not.toBe(a());
  });
});
