/** `mas2 eval --compare A/results.json B/results.json`: per-variant differences with the paired test on shared problems. */
import * as fs from 'node:fs';
import { pairedTest, type PairedTest } from '../../mas/eval/stats';
import { UserError } from '../errors';
import { RESULTS_FORMAT, type EvalResults } from './report';
import { formatUsdShort } from './pareto';

export function loadResults(file: string): EvalResults {
  let doc: EvalResults;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8')) as EvalResults;
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]}`);
  }
  if (doc?.format !== RESULTS_FORMAT || !Array.isArray(doc.runs)) throw new UserError(`${file} is not a mas2 eval results.json (format "${RESULTS_FORMAT}")`);
  return doc;
}

export interface VariantComparison {
  variant: string;
  a: { n: number; passRate: number; meanCostUsd: number };
  b: { n: number; passRate: number; meanCostUsd: number };
  test: PairedTest;
  /** Pass rates on the shared problems only (what the test compares). */
  sharedPassRateA: number;
  sharedPassRateB: number;
}

export function compareResults(a: EvalResults, b: EvalResults): { comparisons: VariantComparison[]; notes: string[] } {
  const notes: string[] = [];
  if (a.suite !== b.suite) notes.push(`different suites (${a.suite} vs ${b.suite}): no problems are shared`);
  else if (a.data.sha256 !== b.data.sha256) notes.push('different data files: problems are matched by id');
  const variants = a.variants.filter((v) => b.variants.includes(v));
  if (!variants.length) notes.push('no variant is in both files');
  const comparisons = variants.map((variant) => {
    const side = (r: EvalResults) => {
      const rows = r.runs.filter((x) => x.variant === variant && x.status !== 'error');
      return { rows, map: new Map(rows.map((x) => [`${x.problemId}`, x.pass])) };
    };
    const A = side(a);
    const B = side(b);
    const test = a.suite === b.suite ? pairedTest(A.map, B.map) : { shared: 0, onlyA: 0, onlyB: 0, p: 1, significant: false };
    const shared = [...A.map.keys()].filter((k) => B.map.has(k));
    const sharedRate = (m: Map<string, boolean>) => (shared.length ? shared.filter((k) => m.get(k)).length / shared.length : 0);
    const stats = (rows: typeof A.rows) => ({ n: rows.length, passRate: rows.length ? rows.filter((x) => x.pass).length / rows.length : 0, meanCostUsd: rows.length ? rows.reduce((s, x) => s + x.costUsd, 0) / rows.length : 0 });
    return { variant, a: stats(A.rows), b: stats(B.rows), test, sharedPassRateA: sharedRate(A.map), sharedPassRateB: sharedRate(B.map) };
  });
  return { comparisons, notes };
}

const pp = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} pp`;

export function formatComparison(fileA: string, fileB: string, c: ReturnType<typeof compareResults>): string {
  const L = [`A = ${fileA}`, `B = ${fileB}`, ''];
  for (const n of c.notes) L.push(`note: ${n}`);
  L.push('| variant | pass A | pass B | B − A (shared) | mean cost A | mean cost B | cost B/A | shared | only A / only B | p (exact McNemar) | verdict |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const x of c.comparisons) {
    const ratio = x.a.meanCostUsd > 0 ? `${(x.b.meanCostUsd / x.a.meanCostUsd).toFixed(2)}×` : '–';
    const verdict = x.test.shared === 0 ? 'no shared problems' : x.test.significant ? `significant (p < 0.05): ${x.sharedPassRateB > x.sharedPassRateA ? 'B better' : 'A better'}` : 'not significant';
    L.push(
      `| ${x.variant} | ${(x.a.passRate * 100).toFixed(1)}% (n ${x.a.n}) | ${(x.b.passRate * 100).toFixed(1)}% (n ${x.b.n}) | ${pp(x.sharedPassRateB - x.sharedPassRateA)} | ${formatUsdShort(x.a.meanCostUsd)} | ${formatUsdShort(x.b.meanCostUsd)} | ${ratio} | ${x.test.shared} | ${x.test.onlyA} / ${x.test.onlyB} | ${x.test.p.toPrecision(3)} | ${verdict} |`,
    );
  }
  return L.join('\n') + '\n';
}
