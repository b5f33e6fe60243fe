import { mcnemarExact, pairedTest, paretoFrontier, wilson } from '../../../mas/eval/stats';

test('Wilson intervals match published values', () => {
  // 8/10 → [0.4902, 0.9433]; 0/3 → [0, 0.5615]; 20/20 → [0.8389, 1]
  const a = wilson(8, 10)!;
  expect(a.low).toBeCloseTo(0.4902, 3);
  expect(a.high).toBeCloseTo(0.9433, 3);
  expect(wilson(0, 3)!.low).toBe(0);
  expect(wilson(0, 3)!.high).toBeCloseTo(0.5615, 3);
  expect(wilson(20, 20)!.low).toBeCloseTo(0.8389, 3);
  expect(wilson(20, 20)!.high).toBe(1);
  expect(wilson(0, 0)).toBeNull();
});

test('exact McNemar: two-sided binomial on the discordant pairs', () => {
  expect(mcnemarExact(0, 0)).toMatchObject({ p: 1, significant: false });
  // 6 vs 0 discordant: p = 2 / 2^6 = 0.03125
  expect(mcnemarExact(6, 0).p).toBeCloseTo(0.03125, 10);
  expect(mcnemarExact(6, 0).significant).toBe(true);
  // 5 vs 0: p = 2 / 32 = 0.0625, not significant
  expect(mcnemarExact(0, 5)).toMatchObject({ significant: false });
  expect(mcnemarExact(0, 5).p).toBeCloseTo(0.0625, 10);
  // 10 vs 2: p = 2 * (1 + 12 + 66) / 4096
  expect(mcnemarExact(10, 2).p).toBeCloseTo((2 * 79) / 4096, 10);
  expect(mcnemarExact(3, 3).p).toBe(1);
});

test('pairedTest counts only the problems both sides scored', () => {
  const a = new Map([['p1', true], ['p2', true], ['p3', false], ['p4', true]]);
  const b = new Map([['p1', false], ['p2', true], ['p3', true], ['p5', true]]);
  expect(pairedTest(a, b)).toMatchObject({ shared: 3, onlyA: 1, onlyB: 1, p: 1, significant: false });
});

test('Pareto frontier: undominated points, cheapest first; ties on both axes both stay', () => {
  const pts = [
    { id: 'full', cost: 4, score: 0.7 },
    { id: 'cheap', cost: 1, score: 0.45 },
    { id: 'mid', cost: 2, score: 0.6 },
    { id: 'dominated', cost: 3, score: 0.55 },
    { id: 'worse-same-cost', cost: 4, score: 0.65 },
    { id: 'twin', cost: 2, score: 0.6 },
  ];
  expect(paretoFrontier(pts).map((p) => p.id)).toEqual(['cheap', 'mid', 'twin', 'full']);
});
