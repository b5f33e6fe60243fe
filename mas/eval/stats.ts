/** Statistics for the report: Wilson intervals, the exact McNemar (sign) test, the Pareto frontier. */

export interface Interval {
  low: number;
  high: number;
}

/** Wilson score interval for k successes in n trials (95 % by default); null for n = 0. */
export function wilson(k: number, n: number, z = 1.959963984540054): Interval | null {
  if (n <= 0) return null;
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  // The bounds are exactly 0 and 1 at k = 0 and k = n; floating point would leave 1e-17 off.
  return { low: k === 0 ? 0 : Math.max(0, centre - half), high: k === n ? 1 : Math.min(1, centre + half) };
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

export interface PairedTest {
  /** Problems both runs scored. */
  shared: number;
  /** Passed by A only, by B only. */
  onlyA: number;
  onlyB: number;
  /** Two-sided exact p-value (binomial sign test on the discordant pairs; 1 when there are none). */
  p: number;
  significant: boolean;
}

/** Exact McNemar test on paired pass/fail outcomes: under H0 the discordant pairs split 50/50. */
export function mcnemarExact(onlyA: number, onlyB: number, alpha = 0.05): Omit<PairedTest, 'shared'> {
  const n = onlyA + onlyB;
  if (n === 0) return { onlyA, onlyB, p: 1, significant: false };
  const k = Math.min(onlyA, onlyB);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  const p = Math.min(1, 2 * tail);
  return { onlyA, onlyB, p, significant: p < alpha };
}

export function pairedTest(a: Map<string, boolean>, b: Map<string, boolean>, alpha = 0.05): PairedTest {
  let shared = 0;
  let onlyA = 0;
  let onlyB = 0;
  for (const [id, passA] of a) {
    const passB = b.get(id);
    if (passB === undefined) continue;
    shared++;
    if (passA && !passB) onlyA++;
    if (passB && !passA) onlyB++;
  }
  return { shared, ...mcnemarExact(onlyA, onlyB, alpha) };
}

export interface ParetoPoint {
  id: string;
  cost: number;
  score: number;
}

/**
 * The points no other point dominates (costs no more and scores no less,
 * strictly better in one), sorted by cost: what a cost–accuracy trade-off can choose from.
 */
export function paretoFrontier<T extends ParetoPoint>(points: T[]): T[] {
  const dominated = (p: T) => points.some((q) => q !== p && q.cost <= p.cost && q.score >= p.score && (q.cost < p.cost || q.score > p.score));
  return points.filter((p) => !dominated(p)).sort((x, y) => x.cost - y.cost || y.score - x.score);
}
