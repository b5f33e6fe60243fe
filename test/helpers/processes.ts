/**
 * Real processes for chaos tests: a `mas2 worker` (bin/mas2.js, the compiled
 * dist/ code) that a test can kill -9 and start again, the CLI as a
 * subprocess, the call ledger the worker writes (MAS2_CALL_LEDGER), and
 * pending-activity polling through `describe()`.
 *
 * Only processes started here are ever signalled, always by their own pid.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { pidAlive } from '../../client/devServer';

export { pidAlive };

export const ROOT = path.resolve(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'mas2.js');
const SOURCE_DIRS = ['mas', 'workflows', 'activities', 'workers', 'client'];
const BUILT = [path.join(ROOT, 'dist', 'client', 'cli.js'), path.join(ROOT, 'dist', 'workflow-bundle.js')];

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- dist/ freshness

function newestMtime(dir: string): number {
  let newest = 0;
  if (!fs.existsSync(dir)) return newest;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Why dist/ cannot stand for the sources (missing, or older than a source file), or null when it can. */
export function distStaleness(): string | null {
  const missing = BUILT.filter((f) => !fs.existsSync(f));
  if (missing.length) return `${missing.map((f) => path.relative(ROOT, f)).join(', ')} missing`;
  const built = Math.min(...BUILT.map((f) => fs.statSync(f).mtimeMs));
  const newest = Math.max(...SOURCE_DIRS.map((d) => newestMtime(path.join(ROOT, d))));
  return newest > built ? 'a source file is newer than dist/' : null;
}

/**
 * The worker process runs dist/, so dist/ must match the sources under test.
 * Rebuilds (tsc --incremental as `npm run setup` does, + workflow bundle) when it does not; MAS2_TEST_NO_BUILD=1
 * skips that and tests whatever dist/ holds. Type errors elsewhere in the tree
 * (tsc still emits) are reported, not fatal; a failed bundle is.
 */
export function ensureBuilt(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  const why = distStaleness();
  if (!why) return;
  if (process.env.MAS2_TEST_NO_BUILD === '1') {
    if (BUILT.some((f) => !fs.existsSync(f))) throw new Error(`dist/ is not built (${why}): run \`npm run build\``);
    log(`[processes] dist/ is stale (${why}); MAS2_TEST_NO_BUILD=1, testing it as it is`);
    return;
  }
  log(`[processes] dist/ is stale (${why}): building (tsc + workflow bundle)`);
  spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'prune-dist.js')], { cwd: ROOT, stdio: 'inherit' });
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', path.join('dist', '.tsbuildinfo')], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) log(`[processes] tsc reported errors (output still emitted):\n${(tsc.stdout + tsc.stderr).split('\n').slice(0, 15).join('\n')}`);
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle-workflows.js')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  if (BUILT.some((f) => !fs.existsSync(f))) throw new Error('the build did not produce dist/client/cli.js and dist/workflow-bundle.js');
}

// ---------------------------------------------------------------- processes


/** All live descendants of a pid (children, grandchildren, ...), from /proc. */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(fields[1]));
    } catch {
      /* exited while we looked */
    }
  }
  const out: number[] = [];
  const frontier = [pid];
  while (frontier.length) {
    const p = frontier.pop()!;
    for (const [child, pp] of parent) {
      if (pp === p && !out.includes(child)) {
        out.push(child);
        frontier.push(child);
      }
    }
  }
  return out;
}

export interface WorkerProcessOptions {
  address: string;
  home: string;
  ledger: string;
  taskQueue: string;
  env?: NodeJS.ProcessEnv;
  /** How long to wait for "worker polling" on stderr (default 60 s). */
  readyTimeoutMs?: number;
}

export interface WorkerProcess {
  pid: number;
  child: ChildProcess;
  /** stdout + stderr of the process, also appended to `logFile`. */
  output(): string;
  logFile: string;
  startedAt: number;
  /** When it printed that it polls the task queue. */
  readyAt: number;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** kill -9, and wait until the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (the SDK's graceful shutdown), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

let workerCounter = 0;

/** `node bin/mas2.js worker` against `address`, resolved once it polls its task queue. */
export async function spawnWorker(opts: WorkerProcessOptions): Promise<WorkerProcess> {
  fs.mkdirSync(opts.home, { recursive: true });
  const logFile = path.join(opts.home, `worker-${workerCounter++}.log`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: opts.address,
    MAS2_HOME: opts.home,
    MAS2_CALL_LEDGER: opts.ledger,
    MAS2_TASK_QUEUE: opts.taskQueue,
    ...opts.env,
  };
  delete env.NODE_OPTIONS; // Jest's flags are not for the child
  const startedAt = Date.now();
  const child = spawn(process.execPath, [BIN, 'worker'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('could not spawn the worker process');
  let out = '';
  const onData = (d: Buffer) => {
    out += d.toString();
    fs.appendFileSync(logFile, d);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
  let exited = false;
  void exit.then(() => (exited = true));
  const pid = child.pid;

  const until = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  while (!/worker polling/.test(out)) {
    if (exited) throw new Error(`worker process exited before polling:\n${out}`);
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`worker process did not start polling within ${(opts.readyTimeoutMs ?? 60_000) / 1000} s:\n${out}`);
    }
    await sleep(25);
  }
  const readyAt = Date.now();
  const alive = () => !exited && pidAlive(pid);
  return {
    pid,
    child,
    logFile,
    startedAt,
    readyAt,
    output: () => out,
    exit,
    alive,
    async kill9() {
      if (!alive()) return;
      process.kill(pid, 'SIGKILL');
      await exit;
    },
    async stop(graceMs = 15_000) {
      if (!alive()) return;
      process.kill(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([exit.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
      clearTimeout(timer);
      if (!done && alive()) {
        process.kill(pid, 'SIGKILL');
        await exit;
      }
    },
  };
}

/** `node bin/mas2.js ARGS...`, collected. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const full = { ...process.env, ...env };
    delete full.NODE_OPTIONS;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: full, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mas2 ${args.join(' ')} did not finish within ${timeoutMs / 1000} s\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------- the call ledger

export interface LedgerEntry {
  kind: 'llm' | 'tool';
  workflowId: string;
  agent: string;
  callKey: string;
  attempt: number;
  at: number;
}

export function readLedger(file: string): LedgerEntry[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LedgerEntry);
}

/** (workflowId, callKey) pairs that finished more than once: a finished call that ran again. */
export function repeatedCalls(entries: LedgerEntry[]): { workflowId: string; callKey: string; attempts: number[] }[] {
  const by = new Map<string, LedgerEntry[]>();
  for (const e of entries) {
    const k = `${e.workflowId}\u0000${e.callKey}`;
    by.set(k, [...(by.get(k) ?? []), e]);
  }
  return [...by.values()].filter((es) => es.length > 1).map((es) => ({ workflowId: es[0].workflowId, callKey: es[0].callKey, attempts: es.map((e) => e.attempt) }));
}

// ---------------------------------------------------------------- polling

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const until = Date.now() + (opts.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v as T;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await sleep(opts.intervalMs ?? 100);
  }
}

export interface PendingActivity {
  activityId: string;
  type: string;
  /** 1 scheduled, 2 started (temporal.api.enums.v1.PendingActivityState). */
  state: number;
  started: boolean;
  attempt: number;
  lastStartedMs: number | null;
}

function tsMs(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number | null {
  if (!t || t.seconds === undefined || t.seconds === null) return null;
  return Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/** The run's pending activities, from the server (DescribeWorkflowExecution). */
export async function pendingActivities(handle: WorkflowHandle): Promise<PendingActivity[]> {
  const d = await handle.describe();
  return (d.raw.pendingActivities ?? []).map((p) => ({
    activityId: String(p.activityId ?? ''),
    type: String(p.activityType?.name ?? ''),
    state: Number(p.state ?? 0),
    started: Number(p.state ?? 0) === 2,
    attempt: p.attempt ?? 1,
    lastStartedMs: tsMs(p.lastStartedTime as { seconds?: unknown; nanos?: number | null } | null),
  }));
}
