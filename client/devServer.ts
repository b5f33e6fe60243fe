/**
 * The embedded Temporal dev server (`temporal server start-dev`) with a SQLite
 * file under $MAS2_HOME. `ensureDevServer` starts it detached so it outlives
 * the CLI process and the next `mas2 run` reuses it; `runDevServerForeground`
 * is `mas2 server`.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Connection } from '@temporalio/client';
import { findTemporalCli } from './temporalBinary';
import { openBlobStore } from '../activities/blobStore';
import { UserError } from './errors';
import { claimServer, notOursLine, ownership } from './serverIdentity';

/** Custom search attributes registered on the dev server (and by docker-compose). */
export const SEARCH_ATTRIBUTES = {
  Mas2Status: 'Keyword',
  Mas2CostUsd: 'Double',
  Mas2Task: 'Text',
} as const;
export type Mas2SearchAttribute = keyof typeof SEARCH_ATTRIBUTES;

export interface DevServerOptions {
  /** Folder for temporal.sqlite, server.log, server.pid, server.json (usually $MAS2_HOME). */
  home: string;
  /** gRPC port on 127.0.0.1 (default 7233). */
  port?: number;
  /** Web UI port (default port + 1000). */
  uiPort?: number;
  /** Namespace to create (default 'default'). */
  namespace?: string;
  /** Progress lines (e.g. to stderr). */
  log?: (line: string) => void;
  /** How long to wait for a started server to answer (default 30 s). */
  startTimeoutMs?: number;
  /**
   * The home's blob store: a server this home creates is claimed for it, and a server already
   * on the port is reused only when it is claimed for it (client/serverIdentity.ts). Absent:
   * the store `home` is configured with (MAS2_BLOB_STORE or the folder under it).
   */
  store?: { identity(): Promise<string>; where: string };
}

export interface DevServerInfo {
  pid: number;
  address: string;
  uiAddress: string;
  startedAt: string;
}

export const DEFAULT_PORT = 7233;
const LOCK_STALE_MS = 60_000;
const DEFAULT_START_TIMEOUT_MS = 30_000;

interface Resolved {
  home: string;
  port: number;
  uiPort: number;
  namespace: string;
  address: string;
  uiAddress: string;
  log: (line: string) => void;
  startTimeoutMs: number;
}

function resolve(opts: DevServerOptions): Resolved {
  const port = opts.port ?? DEFAULT_PORT;
  const uiPort = opts.uiPort ?? port + 1000;
  const home = path.resolve(opts.home);
  return {
    home,
    port,
    uiPort,
    namespace: opts.namespace ?? 'default',
    address: `127.0.0.1:${port}`,
    uiAddress: `http://127.0.0.1:${uiPort}`,
    log: opts.log ?? (() => undefined),
    startTimeoutMs: opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
  };
}

export function devServerFiles(home: string) {
  const h = path.resolve(home);
  return {
    db: path.join(h, 'temporal.sqlite'),
    log: path.join(h, 'server.log'),
    pid: path.join(h, 'server.pid'),
    json: path.join(h, 'server.json'),
    lock: path.join(h, 'server.lock'),
  };
}

/** Arguments for `temporal` (after the binary) that start the dev server. */
export function startDevArgs(opts: DevServerOptions): string[] {
  const r = resolve(opts);
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(r.port),
    '--ui-port', String(r.uiPort),
    '--db-filename', devServerFiles(r.home).db,
    '--namespace', r.namespace,
    '--log-level', 'error',
  ];
  for (const [key, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${key}=${type}`);
  args.push(...sqlitePragmaArgs());
  return args;
}

/**
 * WAL with synchronous=NORMAL: a committed transaction survives a crash of the
 * server process (what the chaos tests do) but may be lost on power failure or
 * an OS crash. It saves an fsync per workflow task (measured: parallelRatio
 * 1.06 → 1.045). MAS2_SQLITE_SYNC=full restores fsync on every commit.
 */
export function sqlitePragmaArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  const sync = (env.MAS2_SQLITE_SYNC || 'normal').toLowerCase();
  if (!['normal', 'full', 'extra'].includes(sync)) throw new Error(`MAS2_SQLITE_SYNC must be normal, full or extra (got "${sync}")`);
  return ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', `synchronous=${sync}`];
}

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** Does anything accept TCP connections on host:port? */
function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((res) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.removeAllListeners();
      sock.destroy();
      res(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * True if a Temporal frontend answers gRPC on `address` (getSystemInfo; and,
 * if `namespace` is given, that namespace exists).
 */
export async function isTemporalServer(address: string, namespace?: string, timeoutMs = 3000): Promise<boolean> {
  const [host, portStr] = splitAddress(address);
  if (!(await portOpen(host, Number(portStr), Math.min(timeoutMs, 1000)))) return false;
  let conn: Connection | undefined;
  try {
    conn = await Connection.connect({ address, connectTimeout: timeoutMs });
    const deadline = () => Date.now() + timeoutMs;
    await conn.withDeadline(deadline(), () => conn!.workflowService.getSystemInfo({}));
    if (namespace) {
      await conn.withDeadline(deadline(), () => conn!.workflowService.describeNamespace({ namespace }));
    }
    return true;
  } catch {
    return false;
  } finally {
    if (conn) await conn.close().catch(() => undefined);
  }
}

function splitAddress(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  if (i < 0) return [address, String(DEFAULT_PORT)];
  return [address.slice(0, i), address.slice(i + 1)];
}

/** Is `pid` a live (non-zombie) process? */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Linux: a zombie still answers kill(0); treat it as dead.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  } catch {
    // no /proc: trust kill(0)
  }
  return true;
}

/** On Linux, check that pid really is a temporal process (guards against pid reuse). */
function looksLikeTemporal(pid: number): boolean {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('temporal');
  } catch {
    return true; // cannot tell: assume it is
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function readInfo(file: string): DevServerInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as DevServerInfo;
  } catch {
    return undefined;
  }
}

function tail(file: string, lines = 15): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------- lock file

async function acquireLock(lockFile: string, waitMs: number, onWait: () => Promise<boolean>): Promise<boolean> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = fs.openSync(lockFile, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o644);
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
      fs.closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    try {
      const age = Date.now() - fs.statSync(lockFile).mtimeMs;
      if (age > LOCK_STALE_MS) {
        fs.rmSync(lockFile, { force: true });
        continue;
      }
    } catch {
      continue; // vanished between open and stat
    }
    // Someone else is starting the server: maybe it is up already.
    if (await onWait()) return false;
    if (Date.now() > until) {
      throw new Error(`timed out waiting for the dev server lock ${lockFile} (remove it if no mas2 process is starting a server)`);
    }
    await sleep(250);
  }
}

function releaseLock(lockFile: string): void {
  try {
    const owner = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { pid?: number };
    if (owner.pid === process.pid) fs.rmSync(lockFile, { force: true });
  } catch {
    // already gone
  }
}

// ---------------------------------------------------------------- whose server

/** Runs `fn` with a short-lived connection to the server. */
async function withConnection<T>(address: string, fn: (conn: Connection) => Promise<T>): Promise<T> {
  const conn = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    return await fn(conn);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** The store the home's server must be claimed for. */
async function homeStore<T>(opts: DevServerOptions, r: Resolved, fn: (store: { id: string; where: string }) => Promise<T>): Promise<T> {
  if (opts.store) return fn({ id: await opts.store.identity(), where: opts.store.where });
  const store = openBlobStore(r.home);
  try {
    return await fn({ id: await store.identity(), where: store.where });
  } finally {
    await store.close();
  }
}

/** Records that the server this home started writes to its store. */
function claimForHome(opts: DevServerOptions, r: Resolved): Promise<void> {
  return homeStore(opts, r, (store) => withConnection(r.address, (conn) => claimServer(conn, r.namespace, store.id, store.where)));
}

/**
 * A server already answering on the port is reused only when it is this home's: claimed for its
 * store, or (a server started before claims existed) the one this home recorded starting, which
 * is claimed now. Anything else is refused, so this home's runs never land in another's database.
 */
async function checkReusable(opts: DevServerOptions, r: Resolved, files: ReturnType<typeof devServerFiles>): Promise<void> {
  await homeStore(opts, r, (store) =>
    withConnection(r.address, async (conn) => {
      const owner = await ownership(conn, r.namespace, store.id);
      if (owner.owner === 'this') return;
      const pid = readPid(files.pid);
      if (owner.owner === 'nobody' && pid !== undefined && readInfo(files.json)?.address === r.address && pidAlive(pid) && looksLikeTemporal(pid)) {
        await claimServer(conn, r.namespace, store.id, store.where);
        return;
      }
      throw new UserError(
        `${notOursLine(owner, { address: r.address, namespace: r.namespace, identity: store.id, where: store.where })}; ` +
          `set MAS2_SERVER_PORT to give this home its own server, or TEMPORAL_ADDRESS=${r.address} to use that one deliberately`,
      );
    }),
  );
}

// ---------------------------------------------------------------- API

/**
 * Make sure a Temporal dev server answers on 127.0.0.1:port. Reuses a running
 * one (started: false), otherwise starts `temporal server start-dev` detached
 * with its SQLite file, log, pid and json under `home`.
 */
export async function ensureDevServer(opts: DevServerOptions): Promise<{ address: string; started: boolean; pid?: number }> {
  const r = resolve(opts);
  const files = devServerFiles(r.home);
  fs.mkdirSync(r.home, { recursive: true });

  const reused = async () => {
    const pid = readPid(files.pid);
    const info = readInfo(files.json);
    const ours = pid !== undefined && info?.address === r.address && pidAlive(pid);
    return { address: r.address, started: false, pid: ours ? pid : undefined };
  };

  if (await isTemporalServer(r.address, r.namespace)) {
    await checkReusable(opts, r, files);
    r.log(`Temporal dev server already running at ${r.address}`);
    return reused();
  }

  const gotLock = await acquireLock(files.lock, r.startTimeoutMs + 15_000, () => isTemporalServer(r.address, r.namespace));
  if (!gotLock) {
    await checkReusable(opts, r, files);
    r.log(`Temporal dev server started by another process at ${r.address}`);
    return reused();
  }
  try {
    if (await isTemporalServer(r.address, r.namespace)) {
      await checkReusable(opts, r, files);
      return await reused();
    }

    // A server we started earlier may still be booting.
    const oldPid = readPid(files.pid);
    const oldInfo = readInfo(files.json);
    if (oldPid !== undefined && oldInfo?.address === r.address && pidAlive(oldPid) && looksLikeTemporal(oldPid)) {
      r.log(`waiting for the Temporal dev server (pid ${oldPid}) to answer at ${r.address}`);
      await waitReady(r, files.log, oldPid);
      await checkReusable(opts, r, files);
      return { address: r.address, started: false, pid: oldPid };
    }

    if (await portOpen('127.0.0.1', r.port)) {
      // Maybe a Temporal server started outside mas2 that is still booting: give it a moment.
      const until = Date.now() + 5000;
      while (Date.now() < until) {
        if (await isTemporalServer(r.address, r.namespace)) {
          await checkReusable(opts, r, files);
          return await reused();
        }
        await sleep(500);
      }
      throw new Error(
        `port ${r.port} on 127.0.0.1 is in use by something that is not a Temporal server; free it or choose another port`,
      );
    }

    const bin = findTemporalCli();
    const args = startDevArgs(opts);
    r.log(`starting Temporal dev server at ${r.address} (UI ${r.uiAddress}, db ${files.db})`);
    const logFd = fs.openSync(files.log, 'a');
    fs.writeSync(logFd, `\n--- ${new Date().toISOString()} ${bin} ${args.join(' ')}\n`);
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnError: Error | undefined;
    const child = spawn(bin, args, { cwd: r.home, detached: true, stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    child.on('error', (e) => (spawnError = e));
    child.on('exit', (code, signal) => (exited = { code, signal }));
    child.unref();
    if (child.pid === undefined) {
      await sleep(0);
      throw new Error(`could not start ${bin}: ${spawnError?.message ?? 'no pid'}`);
    }
    const pid = child.pid;
    const info: DevServerInfo = { pid, address: r.address, uiAddress: r.uiAddress, startedAt: new Date().toISOString() };
    fs.writeFileSync(files.pid, `${pid}\n`);
    fs.writeFileSync(files.json, JSON.stringify(info, null, 2) + '\n');

    await waitReady(r, files.log, pid, () => {
      if (spawnError) return `could not start ${bin}: ${spawnError.message}`;
      if (exited) return `exited (${exited.signal ?? `code ${exited.code}`})`;
      return undefined;
    });
    child.removeAllListeners();
    await claimForHome(opts, r);
    r.log(`Temporal dev server ready at ${r.address} (pid ${pid}, UI ${r.uiAddress})`);
    return { address: r.address, started: true, pid };
  } finally {
    releaseLock(files.lock);
  }
}

async function waitReady(r: Resolved, logFile: string, pid: number, failed?: () => string | undefined): Promise<void> {
  const until = Date.now() + r.startTimeoutMs;
  for (;;) {
    const why = failed?.() ?? (pidAlive(pid) ? undefined : 'exited');
    if (why) {
      const t = tail(logFile);
      throw new Error(`Temporal dev server ${why} before answering on ${r.address}; see ${logFile}${t ? `:\n${t}` : ''}`);
    }
    if (await isTemporalServer(r.address, r.namespace, 2000)) return;
    if (Date.now() > until) {
      throw new Error(
        `Temporal dev server (pid ${pid}) did not answer on ${r.address} within ${Math.round(r.startTimeoutMs / 1000)} s; see ${logFile}`,
      );
    }
    await sleep(250);
  }
}

/**
 * `mas2 server`: the dev server in the foreground (stdio inherited). Resolves
 * with its exit code; SIGINT/SIGTERM are forwarded to it.
 */
export async function runDevServerForeground(opts: DevServerOptions): Promise<number> {
  const r = resolve(opts);
  const files = devServerFiles(r.home);
  fs.mkdirSync(r.home, { recursive: true });
  if (await isTemporalServer(r.address)) {
    const pid = readPid(files.pid);
    throw new Error(
      `a Temporal server already answers on ${r.address}${pid && pidAlive(pid) ? ` (pid ${pid})` : ''}; stop it first or use another --port`,
    );
  }
  const bin = findTemporalCli();
  const args = startDevArgs(opts);
  r.log(`Temporal dev server on ${r.address}, Web UI ${r.uiAddress}, db ${files.db} (Ctrl-C to stop)`);
  const child = spawn(bin, args, { cwd: r.home, stdio: 'inherit' });
  const pid = child.pid;
  if (pid !== undefined) {
    const info: DevServerInfo = { pid, address: r.address, uiAddress: r.uiAddress, startedAt: new Date().toISOString() };
    fs.writeFileSync(files.pid, `${pid}\n`);
    fs.writeFileSync(files.json, JSON.stringify(info, null, 2) + '\n');
  }
  if (pid !== undefined) {
    // Claimed for this home's store once it answers, like a server `mas2 run` starts.
    void waitReady(r, files.log, pid)
      .then(() => claimForHome(opts, r))
      .catch((e) => r.log(`could not record this home's blob store on the server: ${(e as Error).message.split('\n')[0]}`));
  }
  const forward = (sig: NodeJS.Signals) => () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return await new Promise<number>((res, rej) => {
      child.once('error', rej);
      child.once('exit', (code, signal) => {
        if (code !== null) res(code);
        else res(128 + ((signal && os.constants.signals[signal]) || 1));
      });
    });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    if (pid !== undefined && readPid(files.pid) === pid) {
      fs.rmSync(files.pid, { force: true });
      fs.rmSync(files.json, { force: true });
    }
  }
}

/**
 * Stop the dev server recorded in `<home>/server.pid` (SIGTERM, then SIGKILL
 * after 5 s). Resolves true if a live server was stopped.
 */
export async function stopDevServer(home: string): Promise<boolean> {
  const files = devServerFiles(home);
  const pid = readPid(files.pid);
  let stopped = false;
  if (pid !== undefined && pidAlive(pid) && looksLikeTemporal(pid)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
    const until = Date.now() + 5000;
    while (pidAlive(pid) && Date.now() < until) await sleep(100);
    if (pidAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
      const killUntil = Date.now() + 2000;
      while (pidAlive(pid) && Date.now() < killUntil) await sleep(50);
    }
    stopped = true;
  }
  fs.rmSync(files.pid, { force: true });
  fs.rmSync(files.json, { force: true });
  return stopped;
}
