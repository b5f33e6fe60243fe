/**
 * `mas2 eval` as a user runs it (the built dist/) on the simulator against
 * the test server: five problems in GSM8K's published format × full and
 * single-agent, the three report files checked against the runs themselves,
 * and a second invocation that re-attaches to the same workflows instead of
 * starting new ones. The simulator is no model, so the pass rate is not
 * asserted; the pipeline is. The problems are written here, in the format
 * (`question`, `answer` ending in `#### N`), not taken from the benchmark.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { getResult } from '../../client/runs';
import type { EvalResults } from '../../client/eval/report';
import { wilson } from '../../mas/eval/stats';
import { gsm8kExpected } from '../../mas/eval/datasets';
import { SIMULATOR_POOL } from '../../mas/simulatorPool';
import { strongestBackbone } from '../../mas/pool';
import { formatUsdShort } from '../../client/eval/pareto';
import { tempHome, testClient } from './harness';
import { testServerAddress } from './server';

const BIN = path.join(__dirname, '..', '..', 'bin', 'mas2.js');
const home = tempHome('mas2-eval-');
const queue = `eval-${process.pid}-${Date.now().toString(36)}`;

function mas2(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, TEMPORAL_ADDRESS: testServerAddress(), MAS2_HOME: home, MAS2_TASK_QUEUE: queue, OPENAI_API_KEY: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const read = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as EvalResults;

/** Six grade-school problems in GSM8K's JSONL format (worked answer, then `#### N`). */
const PROBLEMS: { question: string; answer: string }[] = [
  { question: 'A baker makes 12 trays of rolls with 13 rolls on each tray. How many rolls does she make?', answer: 'She makes 12 * 13 = <<12*13=156>>156 rolls.\n#### 156' },
  { question: 'Tom has 45 marbles. He gives 17 to his sister and buys 8 more. How many marbles does he have now?', answer: 'After giving, he has 45 - 17 = <<45-17=28>>28. After buying, 28 + 8 = <<28+8=36>>36.\n#### 36' },
  { question: 'A bus carries 38 people on each trip and makes 6 trips a day. How many people does it carry in a day?', answer: '38 * 6 = <<38*6=228>>228 people.\n#### 228' },
  { question: 'Ana reads 15 pages a day. How many days does she need for a book of 315 pages?', answer: '315 / 15 = <<315/15=21>>21 days.\n#### 21' },
  { question: 'A shirt costs $24 and is sold at a quarter off. What does it cost after the discount?', answer: 'A quarter of 24 is 24 / 4 = <<24/4=6>>6, so it costs 24 - 6 = <<24-6=18>>18 dollars.\n#### 18' },
  { question: 'A garden has 7 rows of 9 tulips and 5 rows of 4 roses. How many flowers are there?', answer: '7 * 9 = <<7*9=63>>63 tulips and 5 * 4 = <<5*4=20>>20 roses, 63 + 20 = <<63+20=83>>83.\n#### 83' },
];

{
  const data = path.join(home, 'gsm8k-format.jsonl');
  fs.writeFileSync(data, PROBLEMS.map((p) => JSON.stringify(p)).join('\n') + '\n');
  const out1 = path.join(home, 'out1');
  const out2 = path.join(home, 'out2');
  let client: Client;
  beforeAll(async () => {
    if (!fs.existsSync(path.join(__dirname, '..', '..', 'dist', 'client', 'cli.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
    client = await testClient();
  });
  afterAll(async () => client?.connection.close());

  test('five problems in the GSM8K format × full, single-agent: results.json, report.md and pareto.svg agree with the runs; a second invocation re-attaches', async () => {
    const args = ['eval', '--suite', 'gsm8k', '--data', data, '--limit', '5', '--variants', 'full,single-agent', '--pool', 'sim', '--local-worker', '--concurrency', '4'];
    const first = mas2([...args, '--out', out1]);
    expect(first.stderr).toMatch(/using the simulator: .*not a model/);
    expect(first.code).toBe(0);
    const r = read(out1);
    expect(r).toMatchObject({ format: 'mas2-eval/1', suite: 'gsm8k', variants: ['full', 'single-agent'], budgetUsd: 1, seed: 1 });
    expect(r.data).toMatchObject({ problemsInFile: PROBLEMS.length, offset: 0, limit: 5, evaluated: 5 });
    expect(r.runs).toHaveLength(10);
    expect(new Set(r.runs.map((x) => x.workflowId)).size).toBe(10);
    expect(r.runs.every((x) => !x.attached)).toBe(true);

    const lines = fs.readFileSync(data, 'utf8').split('\n').slice(0, 5);
    for (const run of r.runs) {
      // What the run produced, read back through the same getResult the harness uses.
      const doc = await getResult(client, run.workflowId);
      expect(run.status).toBe(doc.status);
      expect(run.answer).toBe(doc.answer);
      expect(run.costUsd).toBe(doc.cost.usd);
      expect(run.inputTokens).toBe(doc.cost.inputTokens);
      expect(run.outputTokens).toBe(doc.cost.outputTokens);
      expect(run.wallMs).toBe(Date.parse(doc.finishedAt!) - Date.parse(doc.startedAt));
      expect(run.rectifications).toHaveLength(doc.rectifications.length);
      expect(run.decisions.map((d) => `${d.role}:${d.source}`)).toEqual(doc.decisions.map((d) => `${d.role}:${d.source}`));
      // The score is the GSM8K rule applied to that answer.
      expect(run.expected).toBe(gsm8kExpected(JSON.parse(lines[run.line - 1]).answer));
      expect(run.pass).toBe(run.extracted !== null && Number(run.extracted) === Number(run.expected));
      expect(doc.task).toContain('Final answer: N');
      if (run.variant === 'single-agent') {
        // One agent, the maths tool, the pool's strongest backbone, no meta-agent and no Rectifier.
        expect(doc.config!.template.agents.map((a) => [a.id, a.tools])).toEqual([['solver', ['calculator']]]);
        expect(doc.config!.assignment).toEqual({ solver: strongestBackbone(SIMULATOR_POOL).id });
        expect(doc.decisions.map((d) => d.source)).toEqual(['forced', 'forced']);
        expect(doc.steps.some((s) => s.kind === 'meta')).toBe(false);
        expect(doc.rectifications).toHaveLength(0);
      } else {
        expect(['model', 'repair', 'fallback']).toContain(doc.decisions.find((d) => d.role === 'generator')!.source);
        expect(doc.steps.some((s) => s.kind === 'meta')).toBe(true);
      }
    }

    // The per-variant summary is the runs' arithmetic.
    for (const s of r.summary) {
      const rs = r.runs.filter((x) => x.variant === s.variant);
      const passed = rs.filter((x) => x.pass).length;
      expect(s.n).toBe(5);
      expect(s.passed).toBe(passed);
      expect(s.interval).toEqual(wilson(passed, 5));
      expect(s.meanCostUsd).toBeCloseTo(rs.reduce((a, x) => a + x.costUsd, 0) / 5, 12);
      expect(s.rectifications.total).toBe(rs.reduce((a, x) => a + x.rectifications.length, 0));
    }
    const full = r.summary.find((s) => s.variant === 'full')!;
    const single = r.summary.find((s) => s.variant === 'single-agent')!;
    expect(full.meta.generator!.model + full.meta.generator!.repair + full.meta.generator!.fallback).toBe(5);
    expect(single.meta).toEqual({});
    expect(r.frontier.length).toBeGreaterThanOrEqual(1);

    const md = fs.readFileSync(path.join(out1, 'report.md'), 'utf8');
    expect(md).toMatch(/^# mas2 eval: gsm8k, 5 problems/);
    for (const s of r.summary) {
      expect(md).toContain(`| ${s.variant}${r.frontier.includes(s.variant) ? ' ★' : ''} | ${s.passed}/5 | ${(s.passRate * 100).toFixed(1)}% |`);
      expect(md).toContain(formatUsdShort(s.meanCostUsd));
    }
    expect(md).toMatch(/## Meta-agent validity/);
    expect(md).toMatch(/## Rectifications/);

    const svg = fs.readFileSync(path.join(out1, 'pareto.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('mas2 eval: gsm8k, n = 5 problems');
    expect(svg.match(/<circle /g)!.length).toBe(2); // one point per variant
    for (const s of r.summary) expect(svg).toContain(`${s.variant}  ${Math.round(s.passRate * 100)}% (${s.passed}/5)`);

    // Again: the same command names the same workflows, re-attaches to them and recomputes nothing.
    const before = await Promise.all(r.runs.map((x) => client.workflow.getHandle(x.workflowId).describe()));
    const second = mas2([...args, '--out', out2]);
    expect(second.code).toBe(0);
    expect(second.stderr.match(/\(re-attached\)/g)).toHaveLength(10);
    const again = read(out2);
    expect(again.runs.every((x) => x.attached)).toBe(true);
    const strip = (x: EvalResults['runs'][number]) => ({ ...x, attached: undefined });
    expect(again.runs.map(strip)).toEqual(r.runs.map(strip));
    const after = await Promise.all(r.runs.map((x) => client.workflow.getHandle(x.workflowId).describe()));
    expect(after.map((d) => d.runId)).toEqual(before.map((d) => d.runId));
    expect(after.map((d) => d.historyLength)).toEqual(before.map((d) => d.historyLength));

    // --compare of the two: the same problems and outcomes, so nothing is significant.
    const cmp = mas2(['eval', '--compare', path.join(out1, 'results.json'), path.join(out2, 'results.json')]);
    expect(cmp.code).toBe(0);
    expect(cmp.stdout).toMatch(/\| full \|.*\| \+0\.0 pp \|.*\| 5 \| 0 \/ 0 \| 1\.00 \| not significant \|/);
    expect(cmp.stdout).toMatch(/\| single-agent \|.*not significant/);
  }, 600_000);

  test.each([
    [['--suite', 'gsm8k', '--data', '/nonexistent.jsonl', '--out', 'x'], /cannot read --data/],
    [['--suite', 'gsm8k', '--data', 'BAD', '--out', 'x'], /bad\.jsonl line 2: field "answer" is missing/],
    [['--suite', 'gsm8k', '--data', 'DATA', '--variants', 'full,solo', '--out', 'x'], /unknown variant "solo"/],
    [['--suite', 'gsm8k', '--data', 'DATA', '--offset', '5000', '--out', 'x'], /--offset 5000 skips every problem/],
    [['--suite', 'gsm8k', '--data', 'DATA'], /--out DIR is required/],
    [['--compare', 'only-one.json'], /--compare takes two results.json files/],
  ])('bad input %j: one line, exit 2', (args, message) => {
    const bad = path.join(home, 'bad.jsonl');
    fs.writeFileSync(bad, '{"question": "q", "answer": "#### 1"}\n{"question": "q2"}\n');
    const r = mas2(['eval', ...(args as string[]).map((a) => (a === 'BAD' ? bad : a === 'DATA' ? data : a))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
}
