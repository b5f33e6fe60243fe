/** The report files of `mas2 eval --out DIR`: results.json, report.md, pareto.svg. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MetaPolicyRef, Pool } from '../../mas/schemas';
import { strongestBackbone } from '../../mas/pool';
import type { Suite } from '../../mas/eval/datasets';
import type { Variant } from '../../mas/eval/variants';
import { paretoFrontier } from '../../mas/eval/stats';
import { summarise, type EvalRow, type VariantSummary } from '../../mas/eval/summary';
import { formatUsdShort, paretoSvg } from './pareto';
import type { LocalServingInfo } from '../localModel/start';

export const RESULTS_FORMAT = 'mas2-eval/1';

export interface EvalResults {
  format: typeof RESULTS_FORMAT;
  generatedAt: string;
  suite: Suite;
  data: { file: string; sha256: string; problemsInFile: number; offset: number; limit: number | null; evaluated: number };
  pool: { label: string; default: string; strongest: string; backbones: { id: string; provider: string; model: string; inputPerM: number; outputPerM: number }[] };
  budgetUsd: number;
  seed: number;
  /** With local models: how their servers served the runs (mode, build, slots). */
  localServing?: LocalServingInfo;
  /** The trained meta policy the runs used (`--meta-policy`). */
  metaPolicy?: MetaPolicyRef;
  variants: Variant[];
  summary: VariantSummary[];
  /** Variants on the cost–pass-rate Pareto frontier, cheapest first. */
  frontier: Variant[];
  runs: EvalRow[];
}

export function buildResults(o: Omit<EvalResults, 'format' | 'generatedAt' | 'summary' | 'frontier' | 'pool'> & { pool: Pool; poolLabel: string }): EvalResults {
  const summary = summarise(o.runs, o.variants);
  const frontier = paretoFrontier(summary.filter((s) => s.n > 0).map((s) => ({ id: s.variant, cost: s.meanCostUsd, score: s.passRate }))).map((p) => p.id as Variant);
  return {
    format: RESULTS_FORMAT,
    generatedAt: new Date().toISOString(),
    suite: o.suite,
    data: o.data,
    pool: {
      label: o.poolLabel,
      default: o.pool.default,
      strongest: strongestBackbone(o.pool).id,
      backbones: o.pool.backbones.map((b) => ({ id: b.id, provider: b.provider, model: b.model, inputPerM: b.pricing.inputPerM, outputPerM: b.pricing.outputPerM })),
    },
    budgetUsd: o.budgetUsd,
    seed: o.seed,
    ...(o.localServing ? { localServing: o.localServing } : {}),
    ...(o.metaPolicy ? { metaPolicy: o.metaPolicy } : {}),
    variants: o.variants,
    summary,
    frontier,
    runs: o.runs,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const secs = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);
const rate = (k: number, n: number) => (n ? `${k}/${n} (${Math.round((100 * k) / n)}%)` : '–');

export function reportMarkdown(r: EvalResults): string {
  const L: string[] = [];
  const n = r.data.evaluated;
  L.push(`# mas2 eval: ${r.suite}, ${n} problem${n === 1 ? '' : 's'}`);
  L.push('');
  L.push(`- data: \`${r.data.file}\` (sha256 ${r.data.sha256.slice(0, 12)}…), problems ${r.data.offset + 1}–${r.data.offset + n} of ${r.data.problemsInFile}`);
  L.push(`- pool: ${r.pool.label} — ${r.pool.backbones.map((b) => `${b.id} (${b.model}, $${b.inputPerM}/$${b.outputPerM} per M in/out)`).join(', ')}; default ${r.pool.default}; single-agent backbone ${r.pool.strongest}`);
  if (r.localServing) {
    const ls = r.localServing;
    L.push(`- local serving: ${ls.mode}, ${ls.serversAtOnce} server${ls.serversAtOnce === 1 ? '' : 's'} computing at once; ${ls.servers.map((s) => `${s.id} ${s.build} build, ${s.slots} slots`).join('; ') || 'no server recorded'}`);
  }
  L.push(`- budget $${r.budgetUsd} per run, seed ${r.seed}, generated ${r.generatedAt}`);
  if (r.metaPolicy) L.push(`- meta policy: ${r.metaPolicy.name} v${r.metaPolicy.version} (${r.metaPolicy.trainer}, manifest ${r.metaPolicy.digest})`);
  L.push('');
  L.push('## Pass rate and cost per variant');
  L.push('');
  L.push('| variant | passed | pass rate | 95% interval (Wilson) | mean cost | total cost | mean tokens in / out | prompt cache hits | mean wall time | outside model calls | statuses |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of r.summary) {
    const st = Object.entries(s.statuses)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    L.push(`| ${s.variant}${r.frontier.includes(s.variant) ? ' ★' : ''} | ${s.passed}/${s.n} | ${pct(s.passRate)} | ${s.interval ? `${pct(s.interval.low)} – ${pct(s.interval.high)}` : '–'} | ${formatUsdShort(s.meanCostUsd)} | ${formatUsdShort(s.totalCostUsd)} | ${Math.round(s.meanInputTokens)} / ${Math.round(s.meanOutputTokens)} | ${s.promptCacheHitRate === null || s.promptCacheHitRate === undefined ? '–' : pct(s.promptCacheHitRate)} | ${secs(s.meanWallMs)} | ${s.meanOutsideModelShare === null || s.meanOutsideModelShare === undefined ? '–' : pct(s.meanOutsideModelShare)} | ${st} |`);
  }
  L.push('');
  L.push(`★ on the cost–pass-rate Pareto frontier (cheapest first: ${r.frontier.join(' → ') || '–'}); see pareto.svg.`);
  if (r.summary.some((s) => s.promptCacheHitRate !== null && s.promptCacheHitRate !== undefined)) {
    L.push('');
    L.push("Prompt cache hits: the share of input tokens the model servers did not process again, by the servers' own counts (tokens sent − tokens processed).");
  }
  L.push('');
  L.push('## Meta-agent validity');
  L.push('');
  L.push('Decisions made by a meta-agent model: valid on the first try / after the one repair round / replaced by the rule-based fallback (ablated and forced decisions are not counted).');
  L.push('');
  L.push('| variant | generator first-try / repair / fallback | implementer | rectifier |');
  L.push('|---|---|---|---|');
  for (const s of r.summary) {
    const cell = (role: 'generator' | 'implementer' | 'rectifier') => {
      const c = s.meta[role];
      if (!c) return '–';
      const t = c.model + c.repair + c.fallback;
      return `${rate(c.model, t)} / ${rate(c.repair, t)} / ${rate(c.fallback, t)}`;
    };
    L.push(`| ${s.variant} | ${cell('generator')} | ${cell('implementer')} | ${cell('rectifier')} |`);
  }
  L.push('');
  L.push('## Rectifications');
  L.push('');
  L.push('| variant | rectifications | runs rectified | rectified runs that passed | by trigger | by source |');
  L.push('|---|---|---|---|---|---|');
  const kv = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '–';
  for (const s of r.summary) {
    const x = s.rectifications;
    L.push(`| ${s.variant} | ${x.total} | ${x.runs}/${s.n} | ${x.runs ? `${x.runsPassed}/${x.runs}` : '–'} | ${kv(x.byTrigger)} | ${kv(x.bySource)} |`);
  }
  const errors = r.runs.filter((x) => x.status === 'error');
  if (errors.length) {
    L.push('');
    L.push('## Runs without a result');
    L.push('');
    for (const e of errors) L.push(`- ${e.problemId} / ${e.variant} (\`${e.workflowId}\`): ${e.reason}`);
  }
  L.push('');
  L.push('Every problem × variant with its answer, score and workflow id (for `mas2 audit`) is in results.json.');
  return L.join('\n') + '\n';
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export function writeReport(dir: string, r: EvalResults): { results: string; report: string; svg: string } {
  fs.mkdirSync(dir, { recursive: true });
  const files = { results: path.join(dir, 'results.json'), report: path.join(dir, 'report.md'), svg: path.join(dir, 'pareto.svg') };
  writeAtomic(files.results, JSON.stringify(r, null, 2) + '\n');
  writeAtomic(files.report, reportMarkdown(r));
  const title = `mas2 eval: ${r.suite}, n = ${r.data.evaluated} problems`;
  const subtitle = `pool ${r.pool.label} (${r.pool.backbones.map((b) => b.id).join(', ')}) · budget $${r.budgetUsd}/run · ${r.generatedAt.slice(0, 10)}`;
  writeAtomic(files.svg, paretoSvg(r.summary, r.frontier, { title, subtitle }));
  return files;
}
