/** Variants, rows and summaries, the markdown report and --compare, on hand-made result documents. */
import { TemplateSchema, type Result } from '../../../mas/schemas';
import { SIMULATOR_POOL } from '../../../mas/simulatorPool';
import { PoolSchema } from '../../../mas/schemas';
import { singleAgentTemplate, variantOptions } from '../../../mas/eval/variants';
import { rowOf, summarise, type EvalRow } from '../../../mas/eval/summary';
import { buildResults, reportMarkdown } from '../../../client/eval/report';
import { compareResults, formatComparison } from '../../../client/eval/compare';
import { paretoSvg } from '../../../client/eval/pareto';

test('single-agent: one agent with the suite tool, on the strongest backbone (ties by pool order), no Rectifier', () => {
  expect(TemplateSchema.parse(singleAgentTemplate('humaneval'))).toEqual(singleAgentTemplate('humaneval'));
  expect(singleAgentTemplate('mbpp').agents[0].tools).toEqual(['python']);
  expect(singleAgentTemplate('gsm8k').agents[0].tools).toEqual(['calculator']);
  expect(singleAgentTemplate('math').agents[0].tools).toEqual(['calculator']);
  expect(variantOptions('single-agent', 'gsm8k', SIMULATOR_POOL)).toMatchObject({ assignment: { solver: 'sim-large' }, rectifier: false });
  const tie = PoolSchema.parse({
    default: 'a',
    backbones: ['a', 'b', 'c'].map((id, i) => ({ id, provider: 'sim', model: id, pricing: i === 0 ? { inputPerM: 0, outputPerM: 0 } : { inputPerM: 1, outputPerM: 2 } })),
  });
  expect(variantOptions('single-agent', 'mbpp', tie).assignment).toEqual({ solver: 'b' });
  expect(variantOptions('no-generator', 'mbpp', tie)).toEqual({ generator: false });
  expect(variantOptions('full', 'mbpp', tie)).toEqual({});
});

function result(over: Partial<Result>): Result {
  return {
    workflowId: 'w',
    status: 'completed',
    task: 't',
    answer: 'Final answer: 3',
    budgetUsd: 1,
    cost: { usd: 0.01, inputTokens: 100, outputTokens: 20, perBackbone: {}, meta: 0, agents: 0.01, perMetaRole: {} },
    config: null,
    decisions: [],
    rectifications: [],
    steps: [],
    outputs: {},
    simulated: true,
    continuedAsNew: 0,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:02.500Z',
    ...over,
  };
}

const rect = (trigger: 'failure' | 'verifier', source: 'rectifier' | 'fallback') => ({ version: 2, fromVersion: 1, trigger: { kind: trigger, detail: '' }, scope: 'local' as const, patch: [], rationale: '', source, rerun: [], kept: [], costUsd: 0 });

function rows(): EvalRow[] {
  const base = (id: string, variant: 'full' | 'single-agent') => ({ problemId: id, line: 1, variant, workflowId: `${id}-${variant}`, attached: false, expected: '3' });
  return [
    rowOf(base('p1', 'full'), result({ decisions: [{ role: 'generator', source: 'model', output: null, rationale: '', costUsd: 0 }, { role: 'implementer', source: 'repair', output: null, rationale: '', costUsd: 0 }], rectifications: [rect('verifier', 'rectifier')] }), { pass: true, extracted: '3', detail: '' }),
    rowOf(base('p2', 'full'), result({ cost: { usd: 0.03, inputTokens: 300, outputTokens: 60, perBackbone: {}, meta: 0, agents: 0, perMetaRole: {} }, decisions: [{ role: 'generator', source: 'fallback', output: null, rationale: '', costUsd: 0 }], rectifications: [rect('failure', 'fallback'), rect('verifier', 'rectifier')] }), { pass: false, extracted: '4', detail: '' }),
    rowOf(base('p1', 'single-agent'), result({ decisions: [{ role: 'generator', source: 'forced', output: null, rationale: '', costUsd: 0 }] }), { pass: false, extracted: '2', detail: '' }),
    rowOf(base('p2', 'single-agent'), result({ status: 'failed', finishedAt: undefined }), { pass: false, extracted: null, detail: '' }),
  ];
}

test('rows and summaries: pass rates with intervals, costs, meta-agent validity, rectifications', () => {
  const rs = rows();
  expect(rs[0]).toMatchObject({ costUsd: 0.01, inputTokens: 100, outputTokens: 20, wallMs: 2500, rectifications: [{ trigger: 'verifier', source: 'rectifier' }] });
  expect(rs[3].wallMs).toBeNull();
  const [full, single] = summarise(rs, ['full', 'single-agent']);
  expect(full).toMatchObject({ n: 2, passed: 1, passRate: 0.5, meanCostUsd: 0.02, totalCostUsd: 0.04, meanInputTokens: 200, meanWallMs: 2500 });
  expect(full.meta).toEqual({ generator: { model: 1, repair: 0, fallback: 1 }, implementer: { model: 0, repair: 1, fallback: 0 } });
  expect(full.rectifications).toEqual({ total: 3, runs: 2, runsPassed: 1, byTrigger: { verifier: 2, failure: 1 }, bySource: { rectifier: 2, fallback: 1 } });
  expect(single).toMatchObject({ passed: 0, statuses: { completed: 1, failed: 1 }, meta: {} });
  expect(single.interval!.high).toBeGreaterThan(0.5);
});

test("prompt-cache hit rate: cached over input tokens of the runs whose servers report it, in the row, the summary and report.md", () => {
  const base = (id: string) => ({ problemId: id, line: 1, variant: 'full' as const, workflowId: id, attached: false, expected: '3' });
  const cost = (inputTokens: number, cachedInputTokens?: number) => ({ usd: 0, inputTokens, outputTokens: 1, perBackbone: {}, meta: 0, agents: 0, perMetaRole: {}, ...(cachedInputTokens !== undefined ? { cachedInputTokens } : {}) });
  const rs = [rowOf(base('a'), result({ cost: cost(1000, 900) }), { pass: true, extracted: '3', detail: '' }), rowOf(base('b'), result({ cost: cost(3000, 1500) }), { pass: true, extracted: '3', detail: '' }), rowOf(base('c'), result({ cost: cost(5000) }), { pass: true, extracted: '3', detail: '' })];
  expect(rs[0].cachedInputTokens).toBe(900);
  expect(rs[2].cachedInputTokens).toBeUndefined();
  const [s] = summarise(rs, ['full']);
  expect(s.promptCacheHitRate).toBeCloseTo(2400 / 4000);
  const r = buildResults({ suite: 'gsm8k', data: { file: '/d.jsonl', sha256: 'ab'.repeat(32), problemsInFile: 9, offset: 0, limit: 3, evaluated: 3 }, pool: SIMULATOR_POOL, poolLabel: 'local', budgetUsd: 1, seed: 1, variants: ['full'], runs: rs, localServing: { mode: 'batched', serversAtOnce: 1, servers: [{ id: 'qwen-0.5b', build: 'native', slots: 8 }] } });
  const md = reportMarkdown(r);
  expect(md).toContain('| 3000 / 1 | 60.0% |');
  expect(md).toContain('Prompt cache hits:');
  expect(md).toContain('- local serving: batched, 1 server computing at once; qwen-0.5b native build, 8 slots');
});

test('the share of wall time outside model calls counts agent and meta-agent calls, not tools', () => {
  const step = (kind: 'llm' | 'meta' | 'tool', durationMs: number): Result['steps'][number] => ({ agent: 'a', kind, callIndex: 0, status: 'completed', attempts: 1, costUsd: 0, durationMs, configVersion: 1 });
  const base = { problemId: 'p', line: 1, variant: 'full' as const, workflowId: 'w', attached: false, expected: '3' };
  const r = rowOf(base, result({ steps: [step('meta', 1000), step('llm', 500), step('tool', 400)] }), { pass: true, extracted: '3', detail: '' });
  expect(r.modelMs).toBe(1500);
  const [s] = summarise([r], ['full']);
  expect(s.meanOutsideModelShare).toBeCloseTo(1 - 1500 / 2500);
  expect(summarise([rows()[3]], ['single-agent'])[0].meanOutsideModelShare).toBeNull();
});

test('report.md and pareto.svg say what the summary says', () => {
  const r = buildResults({ suite: 'gsm8k', data: { file: '/d.jsonl', sha256: 'ab'.repeat(32), problemsInFile: 9, offset: 0, limit: 2, evaluated: 2 }, pool: SIMULATOR_POOL, poolLabel: 'simulator', budgetUsd: 1, seed: 1, variants: ['full', 'single-agent'], runs: rows() });
  // single-agent costs half as much but passes less: both are on the frontier, cheapest first.
  expect(r.frontier).toEqual(['single-agent', 'full']);
  const md = reportMarkdown(r);
  expect(md).toContain('| full ★ | 1/2 | 50.0% | 9.5% – 90.5% | $0.02 | $0.04 | 200 / 40 | – | 2.5 s | 100.0% | completed 2 |');
  expect(md).not.toContain('Prompt cache hits:');
  expect(md).toContain('| full | 1/2 (50%) / 0/2 (0%) / 1/2 (50%) | 0/1 (0%) / 1/1 (100%) / 0/1 (0%) | – |');
  expect(md).toContain('| full | 3 | 2/2 | 1/2 | verifier 2, failure 1 | rectifier 2, fallback 1 |');
  const svg = paretoSvg(r.summary, r.frontier, { title: 'T <&>', subtitle: 's' });
  expect(svg).toContain('T &lt;&amp;&gt;');
  expect(svg).toContain('full  50% (1/2) · $0.02');
  expect(svg).toContain('single-agent  0% (0/2) · $0.01');
});

test('--compare: paired outcomes on shared problems and the exact test', () => {
  const mk = (passes: boolean[]) =>
    buildResults({
      suite: 'gsm8k',
      data: { file: '/d', sha256: 'x', problemsInFile: passes.length, offset: 0, limit: null, evaluated: passes.length },
      pool: SIMULATOR_POOL,
      poolLabel: 'sim',
      budgetUsd: 1,
      seed: 1,
      variants: ['full'],
      runs: passes.map((pass, i) => rowOf({ problemId: `p${i}`, line: i + 1, variant: 'full', workflowId: `w${i}`, attached: false, expected: '1' }, result({}), { pass, extracted: null, detail: '' })),
    });
  const a = mk([false, false, false, false, false, false, true, true]);
  const b = mk([true, true, true, true, true, true, true, true]);
  const c = compareResults(a, b);
  expect(c.comparisons[0].test).toMatchObject({ shared: 8, onlyA: 0, onlyB: 6, significant: true });
  expect(c.comparisons[0].test.p).toBeCloseTo(0.03125, 10);
  const text = formatComparison('A', 'B', c);
  expect(text).toMatch(/\| full \| 25\.0% \(n 8\) \| 100\.0% \(n 8\) \| \+75\.0 pp \|.*\| 8 \| 0 \/ 6 \| 0\.0313 \| significant \(p < 0\.05\): B better \|/);
  const few = compareResults(mk([false, true]), mk([true, true]));
  expect(few.comparisons[0].test.significant).toBe(false);
});
