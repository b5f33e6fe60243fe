/**
 * The production topology, for real (`npm run test:cluster`): Temporal server
 * v1.29.1 on PostgreSQL (scripts/cluster), two `mas2 worker` processes with
 * separate, empty $MAS2_HOMEs (two machines) and the PostgreSQL blob store —
 * nothing shared but the cluster. In order:
 *
 * 1. kill -9 of the worker holding a model call: the other worker, which has
 *    never seen that run's blobs on disk, retries the call and finishes the run;
 * 2. SIGKILL of the Temporal server mid-run, restart on the same database:
 *    the run completes;
 * 3. `mas2 cto` (no local worker) collects a tree whose child runs land on both workers;
 * 4. `mas2 list --status completed` and `mas2 audit` on that cluster;
 * 5. `mas2 gc`: with every blob aged past the grace period and retention 0,
 *    blobs of closed runs go, the open run keeps its own and completes.
 *
 * Every run completes with no finished call repeated (the call ledgers of all workers).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import type { Result, TaskInput } from '../../mas/schemas';
import { startCluster, runningChildren, sleep, type Cluster } from '../../scripts/cluster/cluster';
import { simPool, taskInput, tempHome } from '../integration/harness';
import { ensureBuilt, pendingActivities, readLedger, repeatedCalls, runCli, spawnWorker, waitFor, type LedgerEntry, type WorkerProcess } from '../helpers/processes';
import { refsIn } from '../../client/gc';
import { PostgresBlobStore } from '../../activities/pgBlobStore';
import { resolveResult } from '../../client/resolve';
import { openBlobStore } from '../../activities/blobStore';

jest.setTimeout(300_000);

const QUEUE = 'mas2';
const TASK = 'Write a Python function fib(n) and check it on the first 10 values';
const FIB = '[0, 1, 1, 2, 3, 5, 8, 13, 21, 34]';
const log = (line: string) => process.stderr.write(`[cluster] ${line}\n`);

let cluster: Cluster;
let client: Client;
const workers: WorkerProcess[] = [];
const ledgers: string[] = [];
const completed: string[] = [];
const metrics: Record<string, unknown> = {};

const input = (latencyMs = 1000): TaskInput => taskInput(TASK, { pool: simPool({ latencyMs, quality: 1 }), options: { searchAttributes: true } });

async function worker(name: string): Promise<WorkerProcess> {
  const home = tempHome(`mas2-cluster-${name}-`);
  const ledger = path.join(home, 'ledger.jsonl');
  ledgers.push(ledger);
  const w = await spawnWorker({ address: cluster.address, home, ledger, taskQueue: QUEUE, env: cluster.env, readyTimeoutMs: 180_000 });
  workers.push(w);
  return w;
}

const live = () => workers.filter((w) => w.alive());
const allLedgers = (): LedgerEntry[] => ledgers.flatMap(readLedger);

function cli(args: string[], home = tempHome('mas2-cluster-cli-'), timeoutMs = 120_000) {
  return runCli(args, { ...cluster.env, MAS2_HOME: home, MAS2_TASK_QUEUE: QUEUE }, timeoutMs);
}

/** The result, riding out a server outage (the long poll fails while the server is down). */
async function resultOf(handle: WorkflowHandle): Promise<Result> {
  for (;;) {
    try {
      return (await handle.result()) as Result;
    } catch (e) {
      if (!/UNAVAILABLE|unavailable|connect|ECONNREFUSED|deadline|DEADLINE|Connection dropped/i.test(String(e))) throw e;
      await sleep(1000);
    }
  }
}

function expectNoRepeats(workflowId: string): void {
  const mine = allLedgers().filter((e) => e.workflowId === workflowId);
  expect(mine.length).toBeGreaterThan(0);
  expect(repeatedCalls(mine)).toEqual([]);
}

/** The result document carries a preview of a long answer plus its reference; the full text is in PostgreSQL. */
async function expectFib(r: Result): Promise<void> {
  expect(r.status).toBe('completed');
  const blobs = openBlobStore(os.tmpdir(), cluster.env);
  const { result, missing } = await resolveResult(r, blobs).finally(() => blobs.close());
  expect(missing).toEqual([]);
  expect(result.answer).toContain(FIB);
  completed.push(r.workflowId);
}

async function startRun(id: string, i: TaskInput = input()): Promise<WorkflowHandle> {
  return client.workflow.start('mas2Task', { taskQueue: QUEUE, workflowId: `${id}-${Date.now().toString(36)}`, args: [i] });
}

/** Waits until a model call after the meta-agents is held by a worker; returns that worker's identity. */
async function waitForHeldCall(handle: WorkflowHandle): Promise<{ activityId: string; attempt: number; identity: string }> {
  return waitFor(
    'a started callModel activity held by a worker',
    async () => {
      const s = (await handle.query('state')) as Result;
      if (s.steps.length < 3) return undefined;
      const d = await handle.describe();
      const p = (d.raw.pendingActivities ?? []).find((a) => a.activityType?.name === 'callModel' && Number(a.state) === 2);
      return p ? { activityId: String(p.activityId), attempt: p.attempt ?? 1, identity: String(p.lastWorkerIdentity ?? '') } : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 100 },
  );
}

beforeAll(async () => {
  ensureBuilt();
  const t0 = Date.now();
  cluster = await startCluster({ dir: fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-cluster-')), log });
  metrics.clusterUpSeconds = (Date.now() - t0) / 1000;
  client = new Client({ connection: await Connection.connect({ address: cluster.address, ...cluster.connection }) });
  await worker('a');
  await worker('b');
  log(`two workers (pids ${workers.map((w) => w.pid).join(', ')}) polling "${QUEUE}", blob store ${cluster.blobStoreUrl}`);
}, 600_000);

afterAll(async () => {
  for (const w of workers) await w.stop(5000).catch(() => undefined);
  await client?.connection.close();
  await cluster?.stop();
  log(`measurements: ${JSON.stringify(metrics)}`);
  expect(runningChildren()).toEqual([]);
});

test('kill -9 of the worker holding a model call: the other worker, with its own empty home, finishes the run', async () => {
  const handle = await startRun('cluster-kill');
  const held = await waitForHeldCall(handle);
  const victim = workers.find((w) => held.identity.startsWith(`${w.pid}@`));
  expect(victim).toBeDefined();
  const killedAt = Date.now();
  await victim!.kill9();
  log(`killed worker ${victim!.pid} holding ${held.activityId} (attempt ${held.attempt})`);
  const retried = await waitFor(
    'the call to be retried on the surviving worker',
    async () => (await pendingActivities(handle)).find((a) => a.activityId === held.activityId && a.attempt > held.attempt && a.started),
    { timeoutMs: 90_000, intervalMs: 100 },
  );
  metrics.killRecoverySeconds = ((retried.lastStartedMs ?? Date.now()) - killedAt) / 1000;
  const r = await resultOf(handle);
  await expectFib(r);
  expectNoRepeats(r.workflowId);
  expect(r.steps.find((s) => s.kind === 'llm' && s.attempts === 2)).toBeDefined();
  // No shared folder: neither home ever had a blob folder.
  for (const w of workers) expect(fs.existsSync(path.join(path.dirname(w.logFile), 'blobs'))).toBe(false);
  // A replacement "machine" for the rest of the tests, again with an empty home.
  await worker('c');
  expect(live()).toHaveLength(2);
});

test('SIGKILL of the Temporal server mid-run, restart on the same database: the run completes', async () => {
  const handle = await startRun('cluster-server-kill');
  await waitForHeldCall(handle);
  const t0 = Date.now();
  await cluster.temporal.kill9();
  log('temporal server killed (SIGKILL)');
  await sleep(3000);
  await cluster.restartTemporal();
  metrics.serverRestartSeconds = (Date.now() - t0) / 1000;
  const r = await resultOf(handle);
  await expectFib(r);
  expectNoRepeats(r.workflowId);
  expect(live()).toHaveLength(2); // the workers rode out the outage
});

test('mas2 cto collects a tree whose runs are spread over both workers, and exports prompts read from the shared store', async () => {
  const dir = tempHome('mas2-cluster-cto-');
  const tasks = path.join(dir, 'tasks.jsonl');
  fs.writeFileSync(tasks, JSON.stringify({ id: 'prime', task: 'Write a Python function is_prime(n) and test it', tests: 'assert is_prime(7)\nassert not is_prime(9)', evaluator: 'python-tests' }) + '\n');
  const out = path.join(dir, 'prefs.jsonl');
  const before = new Map(workers.map((w) => [w.pid, readLedger(path.join(path.dirname(w.logFile), 'ledger.jsonl')).length]));
  const t0 = Date.now();
  const r = await cli(['cto', tasks, '--out', out, '--pool', 'sim', '--k', '2', '--n', '2', '--m', '2', '--concurrency', '4', '--fault', 'tool:python:crash@1', '--no-progress'], dir, 280_000);
  metrics.ctoSeconds = (Date.now() - t0) / 1000;
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.code).toBe(0);
  const tree = JSON.parse(fs.readFileSync(path.join(dir, 'prefs.tree.json'), 'utf8'));
  const trees = Array.isArray(tree) ? tree : tree.trees;
  expect(trees[0].leaves).toBeGreaterThan(0);
  // The export read every prompt from PostgreSQL (this CLI's home has no blobs at all).
  const lines = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect(Array.isArray(l.prompt) ? l.prompt.length : String(l.prompt).length).toBeGreaterThan(0);
  expect(fs.existsSync(path.join(dir, 'blobs'))).toBe(false);
  // Both live workers ran calls of this collection.
  const grew = live().filter((w) => readLedger(path.join(path.dirname(w.logFile), 'ledger.jsonl')).length > (before.get(w.pid) ?? 0));
  expect(grew).toHaveLength(2);
  const all = allLedgers();
  expect(repeatedCalls(all)).toEqual([]);
  metrics.ctoCalls = all.length;
});

test('mas2 list --status completed and mas2 audit work on the cluster', async () => {
  await waitFor(
    'visibility to list the completed runs',
    async () => {
      const l = await cli(['list', '--status', 'completed', '--json', '--limit', '500']);
      if (l.code !== 0) throw new Error(l.stderr);
      const ids = (JSON.parse(l.stdout) as { workflowId: string; status: string }[]).map((x) => x.workflowId);
      return completed.every((id) => ids.includes(id));
    },
    { timeoutMs: 30_000, intervalMs: 1000 },
  );
  const running = await cli(['list', '--status', 'running', '--json']);
  expect(running.code).toBe(0);
  expect((JSON.parse(running.stdout) as { workflowId: string }[]).map((x) => x.workflowId)).not.toContain(completed[0]);
  const audit = await cli(['audit', completed[0], '--format', 'json']);
  expect(audit.code).toBe(0);
  const doc = JSON.parse(audit.stdout);
  expect(JSON.stringify(doc)).toContain('generator');
  const md = await cli(['audit', completed[0]]);
  expect(md.code).toBe(0);
  expect(md.stdout.length).toBeGreaterThan(100);
});

test('mas2 gc keeps what an open run needs and deletes blobs of runs past the retention', async () => {
  // Slow calls (8 s each) keep this run open while gc runs; it has written blobs once the Generator is done.
  const handle = await startRun('cluster-gc-open', input(8000));
  await waitFor('the open run to have finished two steps', async () => ((await handle.query('state')) as Result).steps.length >= 2, { timeoutMs: 120_000, intervalMs: 500 });
  const pg = new PgClient({ connectionString: cluster.blobStoreUrl });
  await pg.connect();
  try {
    // A blob no run refers to, and every blob so far looks two hours old: only the mark (live references) can save one now.
    const seed = new PostgresBlobStore(cluster.blobStoreUrl);
    const garbage = await seed.put(`unreferenced ${Date.now()}`);
    await seed.close();
    await pg.query(`UPDATE mas2_blobs SET touched_at = now() - interval '2 hours'`);
    const before = Number((await pg.query('SELECT count(*) AS n FROM mas2_blobs')).rows[0].n);
    const openRefs = refsIn(await handle.fetchHistory());
    const closedRefs = refsIn(await client.workflow.getHandle(completed[0]).fetchHistory());
    const onlyClosed = [...closedRefs].filter((r) => !openRefs.has(r));
    expect(onlyClosed.length).toBeGreaterThan(0);

    // The cluster's namespace was not created by a home: gc deletes nothing until it is claimed for this store.
    const unclaimed = await cli(['gc', '--retention', '0s', '--json']);
    expect(unclaimed.code).toBe(2);
    expect(unclaimed.stderr).toMatch(/refusing to collect garbage: .*no blob store has claimed it.*nothing was deleted.*mas2 gc --claim/);
    expect(Number((await pg.query('SELECT count(*) AS n FROM mas2_blobs')).rows[0].n)).toBe(before);
    expect((await cli(['gc', '--claim'])).code).toBe(0);

    const dry = await cli(['gc', '--retention', '0s', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).deleted).toBeGreaterThan(0);
    expect(Number((await pg.query('SELECT count(*) AS n FROM mas2_blobs')).rows[0].n)).toBe(before);

    const gc = await cli(['gc', '--retention', '0s', '--json']);
    expect(gc.code).toBe(0);
    const report = JSON.parse(gc.stdout);
    log(`gc: ${JSON.stringify(report)}`);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(report.openRuns).toBeGreaterThanOrEqual(1);
    expect(report.deleted).toBeGreaterThan(0);
    const store = new PostgresBlobStore(cluster.blobStoreUrl);
    try {
      for (const ref of openRefs) await expect(store.get(ref)).resolves.toEqual(expect.any(String));
      await expect(store.get(garbage)).rejects.toThrow(/missing/);
      // (A closed run's blobs may come back: the open run, same task on the deterministic simulator, re-puts equal content.)
      const after = Number((await pg.query('SELECT count(*) AS n FROM mas2_blobs')).rows[0].n);
      expect(after).toBeLessThan(before);
    } finally {
      await store.close();
    }
  } finally {
    await pg.end();
  }
  // The open run reads its conversation from the store on every call: it must still complete.
  const r = await resultOf(handle);
  await expectFib(r);
  expectNoRepeats(r.workflowId);
  // A closed run's result document lives in its history, so status still works after its blobs went.
  const st = await cli(['status', completed[0], '--json']);
  expect(st.code).toBe(0);
  expect(JSON.parse(st.stdout).answer).toContain(FIB);
  // A grace period shorter than an activity can run is refused.
  const bad = await cli(['gc', '--grace', '1m']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/at least 15 minutes/);
});
