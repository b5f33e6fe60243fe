/**
 * The Temporal dev server shared by the integration tests (started by
 * globalSetup.js, stopped by globalTeardown.js).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ChildProcess } from 'child_process';
import { pidAlive } from '../../client/devServer';

/** Set by globalSetup.js per Jest run (concurrent runs on one machine must not share it). */
export const TEST_SERVER_INFO_FILE = process.env.MAS2_TEST_SERVER_INFO || path.join(os.tmpdir(), 'mas2-jest-server.json');

export interface TestServerInfo {
  address: string;
  /** null when the server was supplied by the user (TEMPORAL_TEST_ADDRESS). */
  pid: number | null;
  dbFile: string | null;
  tmpDir: string | null;
  logFile?: string;
  port?: number;
  uiPort?: number;
  bin?: string;
  external?: boolean;
}

function readInfoFile(): TestServerInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(TEST_SERVER_INFO_FILE, 'utf8')) as TestServerInfo;
  } catch {
    return undefined;
  }
}

const NO_SERVER =
  'no Temporal test server: run integration tests through jest (`npm run test:integration`, globalSetup starts one) or set TEMPORAL_TEST_ADDRESS=host:port';

/** host:port of the test server. */
export function testServerAddress(): string {
  const fromEnv = process.env.TEMPORAL_TEST_ADDRESS;
  if (fromEnv) return fromEnv;
  const info = readInfoFile();
  if (info?.address) return info.address;
  throw new Error(NO_SERVER);
}

/** Everything known about the test server (pid/dbFile/tmpDir are null for a user-supplied one). */
export function testServerInfo(): TestServerInfo {
  const info = readInfoFile();
  const envAddress = process.env.TEMPORAL_TEST_ADDRESS;
  if (info && (!envAddress || info.address === envAddress)) return info;
  if (envAddress) return { address: envAddress, pid: null, dbFile: null, tmpDir: null, external: true };
  throw new Error(NO_SERVER);
}


/**
 * Chaos tests: stop the test server (SIGTERM, or SIGKILL with `hard`). Its
 * SQLite file stays; `startTestServer()` brings it back on the same port.
 */
export async function stopTestServer(opts: { hard?: boolean } = {}): Promise<void> {
  const info = testServerInfo();
  if (info.external || !info.pid) throw new Error('cannot stop a user-supplied TEMPORAL_TEST_ADDRESS server');
  const pid = info.pid;
  if (!pidAlive(pid)) return;
  process.kill(pid, opts.hard ? 'SIGKILL' : 'SIGTERM');
  const until = Date.now() + 10_000;
  while (pidAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  while (pidAlive(pid)) await new Promise((r) => setTimeout(r, 50));
}

/** Restart the test server on the same SQLite file and port; waits until it answers. */
export async function startTestServer(): Promise<TestServerInfo> {
  const info = testServerInfo();
  if (info.external || !info.dbFile || !info.port || !info.uiPort || !info.bin || !info.logFile) {
    throw new Error('cannot restart a user-supplied TEMPORAL_TEST_ADDRESS server');
  }
  const setup = require('./globalSetup') as {
    startServer(o: { bin: string; port: number; uiPort: number; dbFile: string; logFile: string }): Promise<{
      child: ChildProcess;
      args: string[];
      address: string;
    }>;
  };
  const { child } = await setup.startServer({
    bin: info.bin,
    port: info.port,
    uiPort: info.uiPort,
    dbFile: info.dbFile,
    logFile: info.logFile,
  });
  child.unref();
  const next: TestServerInfo = { ...info, pid: child.pid ?? null };
  fs.writeFileSync(TEST_SERVER_INFO_FILE, JSON.stringify(next, null, 2) + '\n');
  return next;
}
