/**
 * Chaos with real processes (docs/engine.md): the worker is `node bin/mas2.js worker`
 * in its own process, the server is the Jest test server on its SQLite file.
 *
 * - kill -9 the worker while a model call, a tool call, or the Rectifier is in
 *   flight (seen on the server as a STARTED pending activity), start a new
 *   worker: the run completes with the same answer as an undisturbed run of
 *   the same input, and no finished model/tool call ran twice (call ledger);
 * - stop the server and start it again on the same database while a run is in
 *   flight: the worker process rides out the outage, the run goes on and
 *   completes (on a dev server of this test's own, see startOwnServer).
 *
 * The simulator is deterministic per (seed, call key, attempt); quality 1
 * keeps a retried attempt from drawing a different (buggy) answer, so "same
 * answer" tests the engine, not the simulator's dice.
 */
import * as net from 'node:net';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { Result, Step, TaskInput } from '../../mas/schemas';
import { resolved, simPool, taskInput, tempHome, testClient, uniqueQueue } from './harness';
import { testServerAddress } from './server';
import { TEMPLATES_BY_KIND } from '../../mas/templates';
import {
  descendants,
  ensureBuilt,
  pendingActivities,
  readLedger,
  repeatedCalls,
  runCli,
  sleep,
  spawnWorker,
  waitFor,
  type LedgerEntry,
  type PendingActivity,
  type WorkerProcess,
} from '../helpers/processes';

jest.setTimeout(150_000);

const LATENCY_MS = 1000;
const TASK = 'Write a Python function fib(n) and check it on the first 10 values';
/** Well under the 10-minute start-to-close timeout: the heartbeat timeout (10 s) must be what brings the call back. */
const MAX_RECOVERY_MS = 30_000;

/**
 * The runs pin the built-in code team (a planner, then a coder with the python tool): what
 * is killed here is a model call, a python tool call and a rectification of a crashed tool, and
 * the Generator's blueprints run code through the sandbox activity, which a tool crash does not reach.
 */
const CODE_TEAM = { template: TEMPLATES_BY_KIND.code };
const plainInput = (): TaskInput => taskInput(TASK, { pool: simPool({ latencyMs: LATENCY_MS, quality: 1 }), options: CODE_TEAM });
const crashInput = (): TaskInput =>
  taskInput(TASK, { pool: simPool({ latencyMs: LATENCY_MS, quality: 1 }), faults: [{ kind: 'tool_crash', tool: 'python', at: 1 }], options: CODE_TEAM });

let client: Client;
let address: string;
const workers: WorkerProcess[] = [];
const metrics: Record<string, unknown> = {};
let refWorker: WorkerProcess;
let refHome: string;
let refPlain: Promise<Result>;
let refCrash: Promise<Result>;

async function worker(home: string, taskQueue: string): Promise<WorkerProcess> {
  const w = await spawnWorker({ address, home, ledger: path.join(home, 'ledger.jsonl'), taskQueue });
  workers.push(w);
  return w;
}

function start(queue: string, id: string, input: TaskInput): Promise<WorkflowHandle> {
  return client.workflow.start('mas2Task', { taskQueue: queue, workflowId: id, args: [input] });
}

const keyOf = (s: Step) => `${s.agent}:${s.kind}:${s.callIndex}`;

/** The ledger is exactly the run's completed model/tool steps, each finished once, with the attempt the step reports. */
function expectLedgerMatchesRun(ledger: LedgerEntry[], r: Result): void {
  const mine = ledger.filter((e) => e.workflowId === r.workflowId);
  expect(repeatedCalls(mine)).toEqual([]);
  const steps = r.steps.filter((s) => s.kind !== 'meta' && s.status === 'completed');
  const fromSteps = steps.map((s) => `${s.agent}:${s.kind}:${s.callIndex}@${s.attempts}`).sort();
  const fromLedger = mine.map((e) => `${e.callKey}@${e.attempt}`).sort();
  expect(fromLedger).toEqual(fromSteps);
}

async function statusViaCli(workflowId: string): Promise<Result> {
  const out = await runCli(['status', workflowId, '--json'], { TEMPORAL_ADDRESS: address, MAS2_HOME: tempHome('mas2-chaos-cli-') });
  if (out.code !== 0) throw new Error(`mas2 status exited ${out.code}: ${out.stderr}`);
  return JSON.parse(out.stdout) as Result;
}

function expectStepsOnce(r: Result): void {
  const keys = r.steps.filter((s) => s.status === 'completed').map(keyOf);
  expect(new Set(keys).size).toBe(keys.length);
}

/**
 * Polls the server until `before` holds and then an activity of this type is
 * STARTED (a worker holds it). `before` is asked first, so the activity seen
 * is one scheduled after that state (not an earlier one finishing meanwhile).
 */
async function waitForStarted(handle: WorkflowHandle, type: string, before: () => Promise<boolean> | boolean = () => true, intervalMs = 50): Promise<PendingActivity> {
  return waitFor(
    `a started ${type} activity`,
    async () => {
      if (!(await before())) return undefined;
      return (await pendingActivities(handle)).find((a) => a.type === type && a.started);
    },
    { timeoutMs: 60_000, intervalMs },
  );
}

interface KillOutcome {
  result: Result;
  ledger: LedgerEntry[];
  recoveryMs: number;
  respawnMs: number;
  killedAttempt: PendingActivity;
  duringStatus: Result;
}

/**
 * Start `input` on a fresh worker process, wait for `killPoint` to say the
 * activity of `type` is in flight, kill -9 the worker, start another one and
 * measure until the retried attempt starts on it.
 */
async function killDuring(name: string, type: string, input: TaskInput, killPoint: (h: WorkflowHandle, w: WorkerProcess) => Promise<PendingActivity>): Promise<KillOutcome> {
  const home = tempHome(`mas2-chaos-${name}-`);
  const queue = uniqueQueue(`chaos-${name}`);
  const w1 = await worker(home, queue);
  const handle = await start(queue, `chaos-${name}-${Date.now().toString(36)}`, input);
  const inFlight = await killPoint(handle, w1);
  const killedAt = Date.now();
  await w1.kill9();
  const w2 = await worker(home, queue);
  const respawnMs = w2.readyAt - killedAt;
  const retried = await waitFor(
    `the retried ${type} to start on the new worker`,
    async () => (await pendingActivities(handle)).find((a) => a.activityId === inFlight.activityId && a.attempt > inFlight.attempt && a.started),
    { timeoutMs: 90_000, intervalMs: 50 },
  );
  const recoveryMs = (retried.lastStartedMs ?? Date.now()) - killedAt;
  // While the run is still in flight, the new worker's state (rebuilt by replay) lists every finished step once.
  const duringStatus = await statusViaCli(handle.workflowId);
  const result = (await handle.result()) as Result;
  await w2.stop();
  expect(w1.alive()).toBe(false);
  return { result, ledger: readLedger(path.join(home, 'ledger.jsonl')), recoveryMs, respawnMs, killedAttempt: inFlight, duringStatus };
}

beforeAll(async () => {
  ensureBuilt();
  address = testServerAddress();
  client = await testClient();
  // Undisturbed runs of the same inputs, on their own worker process, while the chaos runs go on.
  refHome = tempHome('mas2-chaos-ref-');
  const refQueue = uniqueQueue('chaos-ref');
  refWorker = await worker(refHome, refQueue);
  const plain = await start(refQueue, `chaos-ref-plain-${Date.now().toString(36)}`, plainInput());
  const crash = await start(refQueue, `chaos-ref-crash-${Date.now().toString(36)}`, crashInput());
  refPlain = plain.result() as Promise<Result>;
  refCrash = crash.result() as Promise<Result>;
  refPlain.catch(() => undefined);
  refCrash.catch(() => undefined);
}, 300_000); // includes rebuilding dist/ when it is stale

afterAll(async () => {
  for (const w of workers) await w.stop(5000).catch(() => undefined);
  await client?.connection.close();
  process.stderr.write(`\n[chaos] measurements: ${JSON.stringify(metrics, null, 2)}\n`);
});

test('undisturbed reference runs complete, each finished call once in the ledger', async () => {
  const [plain, crash] = await Promise.all([refPlain, refCrash]);
  expect(plain.status).toBe('completed');
  // The workflow returns the answer's preview; the text the user reads comes from the blob store.
  expect((await resolved(plain, refHome)).answer).toContain('[0, 1, 1, 2, 3, 5, 8, 13, 21, 34]');
  expect(crash.status).toBe('completed');
  expect(crash.rectifications).toHaveLength(1);
  const ledger = readLedger(path.join(refHome, 'ledger.jsonl'));
  expectLedgerMatchesRun(ledger, plain);
  expectLedgerMatchesRun(ledger, crash);
  await refWorker.stop();
});

test('kill -9 the worker during a model call: a new worker retries that call within seconds and the run completes unchanged', async () => {
  const o = await killDuring('model', 'callModel', plainInput(), (h) =>
    // implementer and the planner are done (the pinned team has no Generator step): the coder's first model call is in flight
    waitForStarted(h, 'callModel', async () => ((await h.query('state')) as Result).steps.length >= 2),
  );
  const ref = await refPlain;
  expect(o.result.status).toBe('completed');
  expect(o.result.answer).toBe(ref.answer);
  expect(o.result.steps.map(keyOf)).toEqual(ref.steps.map(keyOf));
  const killed = o.result.steps.find((s) => s.agent === 'coder' && s.kind === 'llm' && s.callIndex === 0)!;
  expect(killed.attempts).toBe(2); // the killed attempt never finished; the retry did
  expectLedgerMatchesRun(o.ledger, o.result);
  expect(o.ledger.find((e) => e.callKey === 'coder:llm:0')?.attempt).toBe(2);
  expectStepsOnce(o.duringStatus);
  expect(o.duringStatus.status).toBe('running');
  expectStepsOnce(await statusViaCli(o.result.workflowId));
  expect(o.recoveryMs).toBeLessThan(MAX_RECOVERY_MS);
  metrics.modelCall = { recoverySeconds: o.recoveryMs / 1000, newWorkerReadySeconds: o.respawnMs / 1000 };
});

test('kill -9 the worker during a tool call (the python sandbox running): the tool call is retried once and the run completes unchanged', async () => {
  let sandboxChildren = 0;
  const o = await killDuring('tool', 'runTool', plainInput(), async (h, w) => {
    const p = await waitForStarted(h, 'runTool', () => true, 5);
    // The activity is on the worker; kill once the sandbox process (a child of the worker) runs the code.
    const until = Date.now() + 1000;
    while (Date.now() < until && (sandboxChildren = descendants(w.pid).length) === 0) await sleep(2);
    return p;
  });
  const ref = await refPlain;
  expect(o.result.status).toBe('completed');
  expect(o.result.answer).toBe(ref.answer);
  expect(o.result.steps.map(keyOf)).toEqual(ref.steps.map(keyOf));
  const tool = o.result.steps.find((s) => s.kind === 'tool' && s.agent === 'coder' && s.callIndex === 0)!;
  expect(tool.attempts).toBe(2);
  expectLedgerMatchesRun(o.ledger, o.result);
  // the model call that asked for the tool finished before the kill and was not repeated
  expect(o.ledger.filter((e) => e.callKey === 'coder:llm:0')).toHaveLength(1);
  expect(o.ledger.find((e) => e.callKey === 'coder:tool:0')?.attempt).toBe(2);
  expectStepsOnce(o.duringStatus);
  expectStepsOnce(await statusViaCli(o.result.workflowId));
  expect(o.recoveryMs).toBeLessThan(MAX_RECOVERY_MS);
  metrics.toolCall = { recoverySeconds: o.recoveryMs / 1000, newWorkerReadySeconds: o.respawnMs / 1000, workerChildProcessesAtKill: sandboxChildren };
});

test('kill -9 the worker during a rectification: the Rectifier call is retried and the same patch is applied once', async () => {
  const o = await killDuring('rectify', 'rectify', crashInput(), (h) =>
    waitForStarted(h, 'rectify', async () => {
      const s = (await h.query('state')) as Result;
      return s.steps.some((x) => x.status === 'failed') && s.rectifications.length === 0;
    }),
  );
  const ref = await refCrash;
  expect(o.result.status).toBe('completed');
  expect(o.result.answer).toBe(ref.answer);
  expect(o.result.rectifications).toHaveLength(1);
  expect(o.result.rectifications[0].patch).toEqual(ref.rectifications[0].patch);
  expect(o.result.config).toEqual(ref.config);
  expect(o.result.steps.map(keyOf)).toEqual(ref.steps.map(keyOf));
  const rect = o.result.steps.filter((s) => s.agent === 'rectifier');
  expect(rect).toHaveLength(1);
  expect(rect[0].attempts).toBe(2);
  expectLedgerMatchesRun(o.ledger, o.result);
  expectStepsOnce(o.duringStatus);
  expectStepsOnce(await statusViaCli(o.result.workflowId));
  expect(o.recoveryMs).toBeLessThan(MAX_RECOVERY_MS);
  metrics.rectification = { recoverySeconds: o.recoveryMs / 1000, newWorkerReadySeconds: o.respawnMs / 1000 };
});

/**
 * A dev server of our own for the restart: same binary and flags as the Jest
 * test server (globalSetup.startServer), its own SQLite file and ports. The
 * shared test server's info file (os.tmpdir()/mas2-jest-server.json) is
 * rewritten by every concurrent Jest run, so stopping "the test server" by
 * that file could stop somebody else's server; this one is ours by pid.
 */
interface OwnServer {
  address: string;
  dbFile: string;
  child: ChildProcess;
}
const ownServers: ChildProcess[] = [];
const setup = require('./globalSetup') as {
  findTemporalCli(): string;
  startServer(o: { bin: string; port: number; uiPort: number; dbFile: string; logFile: string }): Promise<{ child: ChildProcess; address: string }>;
};

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => res(port));
    });
  });
}

async function startOwnServer(dir: string, ports: { port: number; uiPort: number }): Promise<OwnServer> {
  const dbFile = path.join(dir, 'temporal.sqlite');
  const { child, address } = await setup.startServer({ bin: setup.findTemporalCli(), ...ports, dbFile, logFile: path.join(dir, 'server.log') });
  ownServers.push(child);
  return { address, dbFile, child };
}

async function stopOwnServer(s: OwnServer): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const gone = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
  clearTimeout(timer);
  if (s.child.exitCode === null && s.child.signalCode === null) {
    s.child.kill('SIGKILL');
    await gone;
  }
}

afterAll(async () => {
  for (const c of ownServers) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

test('stop the server and start it on the same SQLite file mid-run: the worker reconnects and the run completes', async () => {
  const dir = tempHome('mas2-chaos-server-');
  const ports = { port: await freePort(), uiPort: await freePort() };
  let server = await startOwnServer(dir, ports);
  const own = new Client({ connection: await Connection.connect({ address: server.address }) });
  const home = tempHome('mas2-chaos-restart-');
  const queue = uniqueQueue('chaos-server');
  const spawnOn = async () => {
    const w = await spawnWorker({ address: server.address, home, ledger: path.join(home, 'ledger.jsonl'), taskQueue: queue });
    workers.push(w);
    return w;
  };
  let w = await spawnOn();
  try {
    const handle = await own.workflow.start('mas2Task', { taskQueue: queue, workflowId: `chaos-server-${Date.now().toString(36)}`, args: [plainInput()] });
    // the coder's first model call is in flight when the server goes away (implementer and planner done)
    await waitForStarted(handle, 'callModel', async () => ((await handle.query('state')) as Result).steps.length >= 2);
    const downAt = Date.now();
    await stopOwnServer(server);
    await sleep(3000);
    const workerAliveWhileDown = w.alive();
    server = await startOwnServer(dir, ports);
    const upAt = Date.now();
    let workerRestarted = false;
    const result = await waitFor(
      'the run to complete after the server restart',
      async () => {
        if (!w.alive()) {
          // not expected: note it and carry on with a new worker
          workerRestarted = true;
          w = await spawnOn();
        }
        const d = await handle.describe();
        return d.status.name === 'RUNNING' ? undefined : ((await handle.result()) as Result);
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const ref = await refPlain;
    expect(result.status).toBe('completed');
    expect(result.answer).toBe(ref.answer);
    expectStepsOnce(result);
    const status = await runCli(['status', result.workflowId, '--json'], { TEMPORAL_ADDRESS: server.address, MAS2_HOME: tempHome('mas2-chaos-cli-') });
    expect(status.code).toBe(0);
    expectStepsOnce(JSON.parse(status.stdout) as Result);
    const ledger = readLedger(path.join(home, 'ledger.jsonl'));
    const repeated = repeatedCalls(ledger);
    metrics.serverRestart = {
      serverDownSeconds: (upAt - downAt) / 1000,
      completedSecondsAfterServerUp: (Date.now() - upAt) / 1000,
      workerAliveWhileServerDown: workerAliveWhileDown,
      workerSurvived: !workerRestarted,
      // a call that finished while the server was down could not report; it would then be retried
      repeatedFinishedCalls: repeated,
    };
    expect(workerRestarted).toBe(false);
    expect(repeated).toEqual([]);
    expectLedgerMatchesRun(ledger, result);
  } finally {
    await w.stop();
    await own.connection.close();
    await stopOwnServer(server);
  }
});
