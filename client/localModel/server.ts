/**
 * Lifecycle of the local llama-server processes, like client/devServer.ts does
 * for Temporal: started detached on 127.0.0.1 when a run needs them, recorded
 * in a state file under $MAS2_HOME/local-servers/, reused by later runs and by
 * any worker with the same home (checked with /health), and stopped by
 * `mas2 local-model stop` or by their idle watchdog (watchdog.ts).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pidAlive } from '../devServer';
import { packageRoot } from '../temporalBinary';
import { LOCAL_MODELS, modelSpec, type LocalModelSpec } from './catalog';
import { withLock } from './lock';
import { modelFiles, serverFiles } from './paths';
import { modelReady, serverBinary, serverBuilt, type Log, type ServerBinary } from './provision';
import { DEFAULT_SLOTS, serving } from './serving';

export interface ServerState {
  id: string;
  model: string;
  pid: number;
  port: number;
  baseURL: string;
  /** Slots it was started with (absent in records of servers started before slots were recorded: 2). */
  slots?: number;
  /** The binary it runs and which build that is. */
  binary?: string;
  build?: ServerBinary['build'];
  watchdogPid?: number;
  idleSeconds: number;
  startedAt: string;
}

/** Context of every request (each slot gets this much; the KV cache is split between slots). */
export const CONTEXT_TOKENS = 8192;
/** Slots of a server recorded before slot counts were. */
const OLD_SLOTS = 2;
export const DEFAULT_IDLE_SECONDS = 1200;
const START_TIMEOUT_MS = 180_000;

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** MAS2_LOCAL_IDLE_SECONDS (default 1200): a server with no request for this long stops; 0 keeps it up. */
export function idleSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MAS2_LOCAL_IDLE_SECONDS;
  if (raw === undefined || raw === '') return DEFAULT_IDLE_SECONDS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`MAS2_LOCAL_IDLE_SECONDS must be a whole number of seconds ≥ 0 (got "${raw}")`);
  return n;
}

/** MAS2_LOCAL_MODEL_PORT=P puts the servers on P, P+1 (in catalog order); unset: free ports. */
export function configuredPort(index: number, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.MAS2_LOCAL_MODEL_PORT;
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65534) throw new Error(`MAS2_LOCAL_MODEL_PORT must be a port number (got "${raw}")`);
  return n + index;
}

/**
 * MAS2_LOCAL_THREADS, else 2 (`-t 2`: the fastest on an idle 2-core machine),
 * but 1 when the machine is already oversubscribed: ggml's threads wait for
 * each other at every step, and with more runnable processes than cores one
 * of the two is always descheduled. Measured on the 2-core machine at load
 * ~28: 0.26 tokens/s with -t 2 (0.41 with --poll 0), 4.8 tokens/s with -t 1.
 */
export function serverThreads(env: NodeJS.ProcessEnv = process.env, load = os.loadavg()[0], cores = os.cpus().length): number {
  const raw = env.MAS2_LOCAL_THREADS;
  if (raw) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`MAS2_LOCAL_THREADS must be a whole number ≥ 1 (got "${raw}")`);
    return n;
  }
  const max = Math.max(1, Math.min(2, cores));
  return load > cores ? 1 : max;
}

export function serverArgs(gguf: string, spec: LocalModelSpec, port: number, threads = 2, slots = DEFAULT_SLOTS): string[] {
  return [
    '-m', gguf,
    '--alias', spec.model,
    '--host', '127.0.0.1',
    '--port', String(port),
    '-c', String(CONTEXT_TOKENS * slots),
    '--parallel', String(slots),
    '-t', String(threads),
    '--jinja',
    // The idle watchdog reads the request counters here.
    '--metrics',
  ];
}

/** llama-server loads the adapters without applying them; each request applies its own (`lora` field). */
export function loraArgs(adapters: readonly string[]): string[] {
  return [...adapters.flatMap((a) => ['--lora', a]), '--lora-init-without-apply'];
}

/**
 * The server of a model with LoRA adapters is its own process (`<model>+lora-<hash>`), so the
 * model's plain server keeps running for the team. The hash covers each file's size and mtime:
 * adapters retrained in place get a fresh server.
 */
export function instanceId(modelId: string, adapters: readonly string[] = []): string {
  if (!adapters.length) return modelId;
  const h = createHash('sha256');
  for (const a of adapters) {
    const st = fs.statSync(a, { throwIfNoEntry: false });
    if (!st) throw new NotProvisionedError(`LoRA adapter ${a} does not exist`);
    h.update(`${path.resolve(a)}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return `${modelId}+lora-${h.digest('hex').slice(0, 12)}`;
}

export function readState(home: string, id: string): ServerState | undefined {
  try {
    return JSON.parse(fs.readFileSync(serverFiles(home, id).state, 'utf8')) as ServerState;
  } catch {
    return undefined;
  }
}

/** Linux: guard against pid reuse before signalling a recorded pid. */
export function looksLike(pid: number, word: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(word);
  } catch {
    return pidAlive(pid);
  }
}

/** GET /health answers 200 once the model is loaded (503 while loading). */
export async function healthy(baseURL: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(`${baseURL.replace(/\/v1\/?$/, '')}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function tail(file: string, lines = 8): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export class NotProvisionedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotProvisionedError';
  }
}

/** A running, healthy server of `id` recorded for `home`, if any. */
export async function liveServer(home: string, id: string): Promise<ServerState | undefined> {
  const s = readState(home, id);
  if (!s || !pidAlive(s.pid) || !looksLike(s.pid, 'llama-server')) return undefined;
  return (await healthy(s.baseURL)) ? s : undefined;
}

/**
 * The base URL of a healthy server for `id`, starting one when none runs.
 * Provisioning is not done here (it takes minutes): missing files are a
 * NotProvisionedError naming the command that fixes it.
 */
export async function ensureServer(opts: { home: string; cacheDir: string; id: string; lora?: readonly string[]; log?: Log; env?: NodeJS.ProcessEnv }): Promise<ServerState & { started: boolean }> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const spec = modelSpec(opts.id);
  const adapters = opts.lora ?? [];
  const id = instanceId(spec.id, adapters);
  const running = await liveServer(opts.home, id);
  if (running) return { ...running, started: false };
  const files = serverFiles(opts.home, id);
  fs.mkdirSync(files.dir, { recursive: true });
  return withLock(files.lock, START_TIMEOUT_MS + 30_000, async () => {
    const again = await liveServer(opts.home, id);
    if (again) return { ...again, started: false };
    // One that is still loading its weights, or a dead one whose record is stale.
    const old = readState(opts.home, id);
    if (old && pidAlive(old.pid) && looksLike(old.pid, 'llama-server')) {
      await waitHealthy(old, files.log);
      return { ...old, started: false };
    }
    if (!modelReady(opts.cacheDir, spec) || !serverBuilt(opts.cacheDir, env)) {
      throw new NotProvisionedError(`local model ${spec.id} is not provisioned in ${opts.cacheDir}: run \`mas2 local-model provision\` (or any \`mas2 run --pool local\`) on this machine first`);
    }
    // A server with adapters is a second process of the model: never on the model's configured port.
    const port = (adapters.length ? undefined : configuredPort(LOCAL_MODELS.indexOf(spec), env)) ?? (await freePort());
    const binary = serverBinary(opts.cacheDir, env);
    const instance = { spec, id, adapters };
    let state: ServerState;
    try {
      state = await launch(binary, instance, port, opts, env, log);
    } catch (e) {
      if (binary.build !== 'native') throw e;
      // A build for this CPU that cannot serve (a compiler bug, a CPU flag the hypervisor hides) must not stop the run.
      log(`the llama-server built for this CPU did not start (${(e as Error).message.split('\n')[0]}); starting the portable build`);
      state = await launch(serverBinary(opts.cacheDir, { ...env, MAS2_LOCAL_BUILD: 'portable' }), instance, port, opts, env, log);
    }
    return { ...state, started: true };
  });
}

/** Starts `binary` for `spec` detached, records it, waits until it answers, starts its idle watchdog. */
async function launch(
  binary: ServerBinary,
  instance: { spec: LocalModelSpec; id: string; adapters: readonly string[] },
  port: number,
  opts: { home: string; cacheDir: string },
  env: NodeJS.ProcessEnv,
  log: Log,
): Promise<ServerState> {
  const { spec, id, adapters } = instance;
  const files = serverFiles(opts.home, id);
  const bin = binary.path;
  const threads = serverThreads(env);
  const slots = serving(env).slots;
  const args = [...serverArgs(modelFiles(opts.cacheDir, spec).gguf, spec, port, threads, slots), ...(adapters.length ? loraArgs(adapters) : [])];
  log(`starting llama-server (${binary.build} build) for ${id} on 127.0.0.1:${port} with ${threads} thread${threads > 1 ? 's' : ''} and ${slots} slot${slots > 1 ? 's' : ''} (log ${files.log})`);
  const logFd = fs.openSync(files.log, 'a');
  fs.writeSync(logFd, `\n--- ${new Date().toISOString()} ${bin} ${args.join(' ')}\n`);
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  child.unref();
  await sleep(0);
  if (child.pid === undefined) throw new Error(`could not start ${bin}: ${spawnError?.message ?? 'no pid'}`);
  const state: ServerState = {
    id,
    model: spec.model,
    pid: child.pid,
    port,
    baseURL: `http://127.0.0.1:${port}/v1`,
    slots,
    binary: bin,
    build: binary.build,
    idleSeconds: idleSeconds(env),
    startedAt: new Date().toISOString(),
  };
  fs.writeFileSync(files.state, JSON.stringify(state, null, 2) + '\n');
  await waitHealthy(state, files.log, () => spawnError?.message);
  child.removeAllListeners();
  if (state.idleSeconds > 0) {
    state.watchdogPid = startWatchdog(state, files.state, files.log);
    fs.writeFileSync(files.state, JSON.stringify(state, null, 2) + '\n');
  }
  log(`llama-server for ${id} ready at ${state.baseURL} (pid ${state.pid}${state.idleSeconds ? `, stops after ${state.idleSeconds} s idle` : ''})`);
  return state;
}

/** Slots of a recorded server. */
export function slotsOf(s: Pick<ServerState, 'slots'>): number {
  return s.slots ?? OLD_SLOTS;
}

async function waitHealthy(s: ServerState, logFile: string, failed?: () => string | undefined): Promise<void> {
  const until = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const why = failed?.() ?? (pidAlive(s.pid) ? undefined : 'exited');
    if (why) {
      const t = tail(logFile);
      throw new Error(`llama-server for ${s.id} ${why} before answering on port ${s.port}; see ${logFile}${t ? `:\n${t}` : ''}`);
    }
    if (await healthy(s.baseURL)) return;
    if (Date.now() > until) throw new Error(`llama-server for ${s.id} (pid ${s.pid}) not healthy on port ${s.port} after ${START_TIMEOUT_MS / 1000} s; see ${logFile}`);
    await sleep(300);
  }
}

/** The compiled watchdog (dist/client/localModel/watchdog.js), also when this module runs from sources under ts-jest. */
function watchdogScript(): string {
  const here = path.join(__dirname, 'watchdog.js');
  if (fs.existsSync(here)) return here;
  return path.join(packageRoot(), 'dist', 'client', 'localModel', 'watchdog.js');
}

function startWatchdog(s: ServerState, stateFile: string, logFile: string): number | undefined {
  const script = watchdogScript();
  if (!fs.existsSync(script)) return undefined;
  const logFd = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [script, stateFile, String(s.pid), String(s.idleSeconds)], { detached: true, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  child.unref();
  return child.pid;
}

export async function killPid(pid: number, graceMs = 5000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const until = Date.now() + graceMs;
  while (pidAlive(pid) && Date.now() < until) await sleep(100);
  if (pidAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Stops the recorded server of `id` (and its watchdog). True if one was running. */
export async function stopServer(home: string, id: string): Promise<boolean> {
  const files = serverFiles(home, id);
  const s = readState(home, id);
  if (!s) return false;
  let stopped = false;
  if (s.watchdogPid && pidAlive(s.watchdogPid) && looksLike(s.watchdogPid, 'watchdog')) await killPid(s.watchdogPid, 1000);
  if (pidAlive(s.pid) && looksLike(s.pid, 'llama-server')) {
    await killPid(s.pid);
    stopped = true;
  }
  fs.rmSync(files.state, { force: true });
  return stopped;
}
