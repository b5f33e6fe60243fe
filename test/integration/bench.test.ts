/**
 * The quick benchmark as a smoke test: `node dist/bench/run.js --quick` starts
 * its own dev server and workers, runs every figure at small sizes and writes
 * bench/results.json. Only the shape is asserted (every figure present and
 * finite, no repeated call after the worker kill, every concurrent task
 * done), never the timing targets: CI machines are too noisy for those.
 */
import { spawnSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const RUN = path.join(ROOT, 'dist', 'bench', 'run.js');
const RESULTS = path.join(ROOT, 'bench', 'results.json');

/** dist/ is what the bench runs (worker children, bin/mas2.js): build it when missing or older than the sources. */
function ensureBuilt(): void {
  const needed = [RUN, path.join(ROOT, 'dist', 'bench', 'worker.js'), path.join(ROOT, 'dist', 'client', 'cli.js'), path.join(ROOT, 'dist', 'workflow-bundle.js')];
  const newestSource = (dir: string): number =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .reduce((m, e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return Math.max(m, newestSource(p));
        return e.name.endsWith('.ts') ? Math.max(m, fs.statSync(p).mtimeMs) : m;
      }, 0);
  const built = needed.every((f) => fs.existsSync(f));
  const oldest = built ? Math.min(...needed.map((f) => fs.statSync(f).mtimeMs)) : 0;
  const sources = Math.max(...['bench', 'workflows', 'mas', 'activities', 'workers', 'client'].map((d) => newestSource(path.join(ROOT, d))));
  if (built && oldest >= sources) return;
  // `npm run build`. tsc still emits when some unrelated file has a type error; the lint job reports those.
  const started = Date.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  const b = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle-workflows.js')], { cwd: ROOT, encoding: 'utf8' });
  const stale = needed.filter((f) => !fs.existsSync(f) || fs.statSync(f).mtimeMs < started - 1000);
  if (stale.length || b.status !== 0) throw new Error(`build failed (${stale.join(', ')}):\n${r.stdout}${r.stderr}${b.stdout}${b.stderr}`);
}

function runQuickBench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RUN, '--quick'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

test('the quick bench runs every figure and writes bench/results.json', async () => {
  ensureBuilt();
  const before = fs.existsSync(RESULTS) ? fs.statSync(RESULTS).mtimeMs : 0;
  const r = await runQuickBench();
  if (r.code !== 0) throw new Error(`bench exited ${r.code}:\n${r.stderr.slice(-4000)}`);
  expect(fs.statSync(RESULTS).mtimeMs).toBeGreaterThan(before);
  expect(r.stdout).toMatch(/overheadRatio/);

  const res = JSON.parse(fs.readFileSync(RESULTS, 'utf8'));
  expect(res.mode).toBe('quick');
  for (const key of ['overheadRatio', 'parallelRatio', 'historyGrowthExponent', 'maxPayloadBytes']) {
    expect({ key, value: res[key], finite: finite(res[key]) }).toEqual({ key, value: res[key], finite: true });
    expect(res[key]).toBeGreaterThan(0);
  }

  const c = res.concurrency;
  expect(c).toBeDefined();
  for (const k of ['tasks', 'completed', 'singleTaskMs', 'makespanMs', 'makespanRatio', 'workerPeakRssMiB']) expect(finite(c[k])).toBe(true);
  expect(c.tasks).toBeGreaterThan(0);
  expect(c.completed).toBe(c.tasks);
  expect(c.workerPeakRssMiB).toBeGreaterThan(0);

  const v = res.recovery;
  expect(v).toBeDefined();
  for (const k of ['resumeSeconds', 'killToNextCallSeconds', 'repeatedCalls', 'retriedCalls']) expect(finite(v[k])).toBe(true);
  expect(v.repeatedCalls).toBe(0);
  expect(v.status).toBe('completed');
}, 420_000);
