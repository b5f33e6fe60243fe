#!/usr/bin/env node
/**
 * Measures how MAS² holds up on a real pool: for a fixed, evenly spaced sample of GSM8K and
 * HumanEval dev problems it runs `mas2 run --json` once each and reports, per meta-agent, how
 * often its output was valid first time / after the repair round / replaced by a fallback,
 * the run status, whether the answer is right, wall time and the share of wall time spent
 * outside model calls (from the result document's steps).
 *
 *   node scripts/measure-robustness.js --pool /path/pool.json --n 5 [--bin bin/mas2.js] [--out file.jsonl]
 *
 * Each run gets its own MAS2_HOME-free task queue but shares one embedded dev server (MAS2_HOME
 * as given). The datasets are read from $MAS2_DATASETS (default /work/shared/datasets).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { spawnSync, spawn } = require('node:child_process');

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const pool = arg('pool');
const n = Number(arg('n', '5'));
const bin = path.resolve(arg('bin', path.join(__dirname, '..', 'bin', 'mas2.js')));
const out = arg('out', null);
const timeoutS = Number(arg('timeout', '900'));
const parallel = Number(arg('parallel', '1'));
const datasets = process.env.MAS2_DATASETS || '/work/shared/datasets';
if (!pool) {
  console.error('usage: measure-robustness.js --pool FILE [--n 5] [--bin bin/mas2.js] [--out FILE] [--parallel 1]');
  process.exit(2);
}

function readJsonl(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
/** Evenly spaced, so the sample is fixed but not the first (easiest-looking) problems. */
function spread(rows, k) {
  const step = Math.floor(rows.length / k);
  return Array.from({ length: k }, (_, i) => rows[i * step + 1]);
}

const gsm = spread(readJsonl(path.join(datasets, 'gsm8k', 'dev.jsonl')), n).map((r) => ({
  kind: 'gsm8k',
  id: r.question.slice(0, 40),
  task: `${r.question}\nGive the final answer as a number.`,
  expected: r.answer.split('####').pop().trim().replace(/,/g, ''),
}));
const he = spread(readJsonl(path.join(datasets, 'humaneval', 'dev.jsonl')), n).map((r) => ({
  kind: 'humaneval',
  id: r.task_id,
  task: `Complete this Python function. Answer with the complete function in a python code block.\n\n\`\`\`python\n${r.prompt}\`\`\``,
  prompt: r.prompt,
  test: r.test,
  entry: r.entry_point,
}));
const tasks = [];
for (let i = 0; i < n; i++) tasks.push(gsm[i], he[i]);

function lastNumber(text) {
  const m = String(text ?? '').replace(/,/g, '').match(/-?\d+(?:\.\d+)?/g);
  return m ? m[m.length - 1] : null;
}
function codeOf(text) {
  const blocks = [...String(text ?? '').matchAll(/```(?:python|py)?\s*\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.length ? blocks.sort((a, b) => b.length - a.length)[0] : String(text ?? '');
}
function correct(t, answer) {
  if (answer == null) return false;
  if (t.kind === 'gsm8k') {
    const got = lastNumber(answer);
    return got !== null && Math.abs(Number(got) - Number(t.expected)) < 1e-6;
  }
  const code = codeOf(answer);
  const src = `${code.includes(`def ${t.entry}`) ? code : t.prompt + code}\n\n${t.test}\ncheck(${t.entry})\n`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'he-'));
  fs.writeFileSync(path.join(dir, 'c.py'), src);
  const r = spawnSync('python3', [path.join(dir, 'c.py')], { timeout: 20_000, encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  return r.status === 0;
}

function runOne(t) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('nice', ['node', bin, 'run', '--pool', pool, '--json', '--quiet', t.task], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const wallMs = Date.now() - started;
      let doc = null;
      try {
        doc = JSON.parse(stdout);
      } catch {
        /* reported below */
      }
      if (!doc) return resolve({ kind: t.kind, id: t.id, exit: code, error: stderr.trim().split('\n').pop(), wallMs });
      const modelMs = doc.steps.filter((s) => s.kind === 'llm' || s.kind === 'meta').reduce((a, s) => a + s.durationMs, 0);
      const runMs = doc.finishedAt ? Date.parse(doc.finishedAt) - Date.parse(doc.startedAt) : wallMs;
      resolve({
        kind: t.kind,
        id: t.id,
        exit: code,
        status: doc.status,
        reason: doc.reason,
        correct: correct(t, doc.answer),
        answer: String(doc.answer ?? '').slice(0, 200),
        sources: doc.decisions.map((d) => `${d.role}:${d.source}`),
        metaValidity: doc.metaValidity,
        rectifications: doc.rectifications.length,
        toolCalls: doc.steps.filter((s) => s.kind === 'tool').length,
        runMs,
        modelMs,
        outsideShare: runMs > 0 ? Math.max(0, 1 - modelMs / runMs) : null,
        wallMs,
      });
    });
  });
}

(async () => {
  const results = [];
  const queue = [...tasks];
  async function lane() {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const r = await runOne(t);
      results.push(r);
      console.error(JSON.stringify(r));
      if (out) fs.appendFileSync(out, JSON.stringify(r) + '\n');
    }
  }
  await Promise.all(Array.from({ length: parallel }, lane));
  const table = {};
  for (const r of results) for (const s of r.sources ?? []) {
    const [role, source] = s.split(':');
    table[role] = table[role] ?? {};
    table[role][source] = (table[role][source] ?? 0) + 1;
  }
  const byStatus = {};
  for (const r of results) byStatus[r.status ?? 'no-result'] = (byStatus[r.status ?? 'no-result'] ?? 0) + 1;
  const completedWrong = results.filter((r) => r.status === 'completed' && !r.correct).length;
  const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const summary = {
    runs: results.length,
    metaSources: table,
    status: byStatus,
    correct: results.filter((r) => r.correct).length,
    completedWrong,
    meanRunSeconds: mean(results.filter((r) => r.runMs).map((r) => r.runMs / 1000)),
    meanOutsideModelShare: mean(results.filter((r) => r.outsideShare != null).map((r) => r.outsideShare)),
  };
  console.log(JSON.stringify(summary, null, 2));
})();
