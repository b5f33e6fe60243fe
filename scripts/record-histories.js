#!/usr/bin/env node
/**
 * Records the workflow histories that test/integration/replay.test.ts replays
 * (test/histories/*.json + manifest.json). Uses the compiled code in dist/,
 * so build first:
 *
 *   npm run build && node scripts/record-histories.js
 *
 * Options:
 *   --out DIR        where to write (default test/histories)
 *   --only a,b       record only these scenarios (the others' files are kept)
 *   --list           print the scenarios and exit
 *
 * Server: TEMPORAL_ADDRESS=host:port uses that server; otherwise a temporary
 * dev server (fresh SQLite file in a temp folder, free port) is started and
 * stopped at the end. The worker runs in this process on its own task queue.
 * See docs/replay.md for when to re-record.
 */
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');

function fail(msg) {
  process.stderr.write(`record-histories: ${msg}\n`);
  process.exit(2);
}

/** Newest .ts under a folder. */
function newestSource(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function checkBuilt() {
  if (!fs.existsSync(path.join(DIST, 'workflow-bundle.js')) || !fs.existsSync(path.join(DIST, 'workers', 'worker.js'))) {
    fail('dist/ is not built: run `npm run build` first');
  }
  const bundleTime = fs.statSync(path.join(DIST, 'workflow-bundle.js')).mtimeMs;
  const stale = ['workflows', 'mas'].some((d) => newestSource(path.join(ROOT, d)) > bundleTime);
  if (stale && !process.argv.includes('--allow-stale')) {
    fail('dist/workflow-bundle.js is older than workflows/ or mas/: run `npm run build` first (or pass --allow-stale)');
  }
}

/**
 * History <-> proto JSON (the format of `temporal workflow show --output json`
 * and of the SDK's historyToJSON/historyFromJSON). Those two SDK functions fail
 * in this install with "type must be a Type": @temporalio/common, /proto and
 * /worker each get their own nested copy of protobufjs 8 (the top level holds
 * protobufjs 7 for @grpc/proto-loader), and common's protojson checks
 * `instanceof Type` against its own copy. So the protojson of the copy that
 * @temporalio/proto's types were built with is used instead; same output.
 */
function protoJson() {
  const protoDir = path.dirname(require.resolve('@temporalio/proto/package.json'));
  const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] }));
  const proto = require('@temporalio/proto');
  const { patchProtobufRoot } = require('@temporalio/proto/lib/patch-protobuf-root');
  const type = patchProtobufRoot(proto).lookupType('temporal.api.history.v1.History');
  return { protojson, type, History: proto.temporal.api.history.v1.History };
}

/** A fetched History as a proto-JSON object. */
function historyToJson(history) {
  const { protojson, type, History } = protoJson();
  return protojson.toJson(type, History.fromObject(history));
}

/** A proto-JSON object (as saved under test/histories/) as a History message. */
function historyFromJson(json) {
  const { protojson, type } = protoJson();
  const h = protojson.fromJson(type, json, { ignoreUnknownFields: true });
  if (!h || !Array.isArray(h.events) || !h.events.length) throw new TypeError('not a workflow history (no events)');
  return h;
}

const CODE_TASK = 'Write a Python function fib(n) and check it on the first 10 values';
const MATH_TASK = 'Compute (17 * 23 + 4) / 3 and explain the result';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** dist/ modules, loaded when recording (not when another file only wants the JSON helpers). */
let dist;
function loadDist() {
  checkBuilt();
  dist = {
    ...require('@temporalio/client'),
    ...require(path.join(DIST, 'workers', 'worker.js')),
    ...require(path.join(DIST, 'mas', 'schemas.js')),
    ...require(path.join(DIST, 'mas', 'simulatorPool.js')),
    ...require(path.join(DIST, 'client', 'devServer.js')),
  };
}

function pool(latencyMs = 0) {
  const { SIMULATOR_POOL } = dist;
  return { ...SIMULATOR_POOL, backbones: SIMULATOR_POOL.backbones.map((b) => ({ ...b, sim: { ...b.sim, latencyMs } })) };
}

function input(task, extra = {}) {
  return dist.TaskInputSchema.parse({ task, budgetUsd: 1, pool: pool(), ...extra, options: { ...(extra.options || {}) } });
}

async function untilSteps(handle, n) {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      const s = await handle.query('state');
      if (s.steps.length >= n) return s;
    } catch {
      /* the first workflow task may not have run yet */
    }
    if (Date.now() > until) throw new Error(`run ${handle.workflowId} did not reach ${n} steps`);
    await sleep(100);
  }
}

/**
 * Each scenario: its input, optionally what to do while it runs, and what its
 * result must look like (so a recorded history is the case it claims to be).
 */
const SCENARIOS = [
  {
    name: 'plain',
    about: 'code task, Generator → Implementer → planner/coder(python)/reviewer, no trigger',
    input: () => input(CODE_TASK),
    check: (r) => r.status === 'completed' && r.rectifications.length === 0 && r.steps.some((s) => s.kind === 'tool'),
  },
  {
    name: 'math',
    about: 'math task with the calculator tool',
    input: () => input(MATH_TASK),
    check: (r) => r.status === 'completed' && r.steps.some((s) => s.kind === 'tool' && s.name === 'calculator'),
  },
  {
    name: 'rectified-tool-crash',
    about: 'failure trigger: the first python call crashes (fault tool_crash python@1), Rectifier patches the coder',
    input: () => input(CODE_TASK, { faults: [{ kind: 'tool_crash', tool: 'python', at: 1 }] }),
    check: (r) => r.status === 'completed' && r.rectifications.length === 1 && r.rectifications[0].trigger.kind === 'failure',
  },
  {
    name: 'rectified-model-error',
    about: 'failure trigger: the 2nd agent model call fails (fault model_error *@2), Rectifier moves the agent to another backbone',
    input: () => input(CODE_TASK, { faults: [{ kind: 'model_error', backbone: '*', at: 2 }] }),
    check: (r) => r.status === 'completed' && r.rectifications.length >= 1,
  },
  {
    name: 'budget-stop',
    about: 'a $0.0003 budget (from $0.004 down to $0.001 the simulated run still completes after one budget rectification): the hard stop before a call that could overrun',
    input: () => input(CODE_TASK, { budgetUsd: 0.0003 }),
    check: (r) => r.status === 'budget_exhausted',
  },
  {
    name: 'continued-as-new',
    about: 'options.continueAsNewAfterSteps = 3: the state is carried over several runs (every run of the chain is saved)',
    input: () => input(CODE_TASK, { options: { continueAsNewAfterSteps: 3 } }),
    check: (r) => r.status === 'completed' && r.continuedAsNew >= 2,
  },
  {
    name: 'cancelled',
    about: 'cancelled by the client while the coder works (400 ms simulated latency)',
    input: () => input(CODE_TASK, { pool: pool(400) }),
    drive: async (handle) => {
      await untilSteps(handle, 3);
      await handle.cancel();
    },
    check: (r) => r.status === 'cancelled',
  },
  {
    name: 'external-rectify',
    about: 'external trigger: a `rectify` signal while the run is in flight',
    input: () => input(CODE_TASK, { pool: pool(400) }),
    drive: async (handle) => {
      await untilSteps(handle, 3);
      await handle.signal('rectify', { reason: 'prefer cheaper models for the remaining agents' });
    },
    check: (r) => r.status === 'completed' && r.rectifications.some((x) => x.trigger.kind === 'external'),
  },
  {
    name: 'budget-raised',
    about: 'the raiseBudget update (validator + handler) accepted mid-run',
    input: () => input(CODE_TASK, { pool: pool(400), budgetUsd: 0.5 }),
    drive: async (handle) => {
      await untilSteps(handle, 3);
      await handle.executeUpdate('raiseBudget', { args: [{ budgetUsd: 2 }] });
    },
    check: (r) => r.status === 'completed' && r.budgetUsd === 2,
  },
];

function freePort() {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** Every run of a workflow, following continue-as-new from the first run. */
async function historyChain(client, workflowId, firstRunId) {
  const runs = [];
  let runId = firstRunId;
  while (runId) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.push({ runId, history });
    const last = history.events[history.events.length - 1];
    runId = last.workflowExecutionContinuedAsNewEventAttributes ? last.workflowExecutionContinuedAsNewEventAttributes.newExecutionRunId : undefined;
  }
  return runs;
}

function gitCommit() {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'workflows', 'mas'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${head}+uncommitted changes in workflows/ or mas/` : head;
  } catch {
    return 'unknown';
  }
}

async function main() {
  const args = process.argv.slice(2);
  if (args.includes('--list')) {
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(24)} ${s.about}\n`);
    return;
  }
  const outIdx = args.indexOf('--out');
  const outDir = path.resolve(outIdx >= 0 ? args[outIdx + 1] : path.join(ROOT, 'test', 'histories'));
  const onlyIdx = args.indexOf('--only');
  const only = onlyIdx >= 0 ? new Set(args[onlyIdx + 1].split(',')) : null;
  const chosen = SCENARIOS.filter((s) => !only || only.has(s.name));
  if (only) for (const n of only) if (!SCENARIOS.some((s) => s.name === n)) fail(`unknown scenario "${n}" (see --list)`);
  loadDist();
  const { Client, Connection, createWorker, ensureDevServer, stopDevServer } = dist;

  let address = process.env.TEMPORAL_ADDRESS;
  let serverHome = null;
  if (!address) {
    serverHome = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-record-server-'));
    const port = await freePort();
    const r = await ensureDevServer({ home: serverHome, port, uiPort: await freePort(), log: (l) => process.stderr.write(`record-histories: ${l}\n`) });
    address = r.address;
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-record-home-'));
  const taskQueue = `record-histories-${process.pid}-${Date.now().toString(36)}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const { worker, connection: workerConnection } = await createWorker({ address, home, taskQueue });
  fs.mkdirSync(outDir, { recursive: true });

  const manifestFile = path.join(outDir, 'manifest.json');
  const previous = fs.existsSync(manifestFile) ? JSON.parse(fs.readFileSync(manifestFile, 'utf8')) : { histories: [] };
  const kept = previous.histories.filter((h) => !chosen.some((s) => s.name === h.scenario));
  const recorded = [];
  const stamp = Date.now().toString(36);

  try {
    await worker.runUntil(async () => {
      for (const s of chosen) {
        for (const old of previous.histories.filter((h) => h.scenario === s.name)) fs.rmSync(path.join(outDir, old.file), { force: true });
        const workflowId = `history-${s.name}-${stamp}`;
        const handle = await client.workflow.start('mas2Task', { taskQueue, workflowId, args: [s.input()] });
        if (s.drive) await s.drive(handle);
        const result = await handle.result();
        if (!s.check(result)) {
          throw new Error(`scenario ${s.name}: the run is not the case it should record (status ${result.status}, ${result.rectifications.length} rectifications, continuedAsNew ${result.continuedAsNew}, cost $${result.cost.usd.toFixed(6)}, reason ${result.reason})`);
        }
        const runs = await historyChain(client, workflowId, handle.firstExecutionRunId);
        runs.forEach((run, i) => {
          const file = runs.length === 1 ? `${s.name}.json` : `${s.name}.run${i + 1}.json`;
          fs.writeFileSync(path.join(outDir, file), JSON.stringify(historyToJson(run.history), null, 1) + '\n');
          recorded.push({ file, scenario: s.name, about: s.about, workflowId, runId: run.runId, run: i + 1, runs: runs.length, events: run.history.events.length, status: result.status });
        });
        process.stderr.write(`record-histories: ${s.name}: ${result.status}, ${runs.length} run(s), ${runs.map((r) => r.history.events.length).join('+')} events\n`);
      }
    });
  } finally {
    await workerConnection.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    if (serverHome) await stopDevServer(serverHome);
    fs.rmSync(home, { recursive: true, force: true });
    if (serverHome) fs.rmSync(serverHome, { recursive: true, force: true });
  }

  const manifest = {
    about: 'Workflow histories replayed by test/integration/replay.test.ts. Re-record with `npm run build && node scripts/record-histories.js` (docs/replay.md).',
    recordedAt: new Date().toISOString(),
    gitCommit: gitCommit(),
    temporalSdk: require('@temporalio/worker/package.json').version,
    histories: [...kept, ...recorded].sort((a, b) => a.file.localeCompare(b.file)),
  };
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  process.stderr.write(`record-histories: wrote ${recorded.length} histories to ${path.relative(process.cwd(), outDir) || '.'}\n`);
}

module.exports = { historyToJson, historyFromJson, SCENARIOS };

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`record-histories: ${(e && e.stack) || e}\n`);
    process.exitCode = 1;
  });
}
