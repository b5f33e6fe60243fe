/**
 * Runs untrusted, model-written programs (python, javascript) in a subprocess
 * sandbox built from standard Linux tools:
 *
 *   unshare --net --mount --pid --fork   no network, private mounts, own PIDs
 *     python3 init (PID 1, see sandbox-init.ts)   read-only host, private /tmp
 *       setpriv --reuid=65534 ...        drop to nobody (when we are root)
 *         prlimit --cpu --as --fsize --nproc --nofile
 *           interpreter /tmp/main.py     cwd = HOME = TMPDIR = /tmp/work
 *
 * What is available is detected once per process; each missing mechanism is
 * warned about once (console.warn) and noted in every result's `stderr`.
 * See docs/tools.md for the guarantees and their limits.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { ToolResult } from '../../mas/messages';
import { ToolCrashError } from './errors';
import { SANDBOX_INIT_PY } from './sandbox-init';

const KiB = 1024;
const MiB = 1024 * KiB;

export interface SandboxLimits {
  /** CPU seconds per process (RLIMIT_CPU soft; SIGXCPU, then SIGKILL one second later). */
  cpuSeconds: number;
  /** Wall-clock seconds for the whole run; then the process group is killed. */
  wallSeconds: number;
  /** Address space per process (RLIMIT_AS). */
  memoryBytes: number;
  /** Largest file a process may write (RLIMIT_FSIZE). */
  fileSizeBytes: number;
  /** RLIMIT_NPROC: processes + threads of the sandbox uid (per uid, see docs). */
  maxProcesses: number;
  /** RLIMIT_NOFILE. */
  maxOpenFiles: number;
  /** Captured bytes per stream (stdout, stderr); the rest is read and discarded. */
  outputBytes: number;
  /** Size of the private /tmp (workspace) tmpfs in namespace mode. */
  tmpfsBytes: number;
}

export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  cpuSeconds: 10,
  wallSeconds: 15,
  memoryBytes: 512 * MiB,
  fileSizeBytes: 16 * MiB,
  maxProcesses: 64,
  maxOpenFiles: 64,
  outputBytes: 64 * KiB,
  tmpfsBytes: 64 * MiB,
});

export interface SandboxOptions {
  limits?: Partial<SandboxLimits>;
  /** uid/gid the code runs as when the worker is root (default 65534, nobody). */
  uid?: number;
  gid?: number;
  /** Where the temp workspace is created when no mount namespace is available (default os.tmpdir()). */
  tmpRoot?: string;
  /** Extra host folders to hide from the code (namespace mode). */
  hidePaths?: string[];
}

export type SandboxMode = 'namespaces' | 'net-only' | 'none';

export interface SandboxCapabilities {
  isRoot: boolean;
  /**
   * namespaces: network + mount + PID namespaces (read-only host, private /tmp);
   * net-only: only a network namespace; none: plain subprocess.
   */
  mode: SandboxMode;
  /** Not root: namespaces come from an unprivileged user namespace (--map-root-user). */
  userNamespace: boolean;
  /** Root and setpriv works: the code runs as the sandbox uid (nobody). */
  dropPrivileges: boolean;
  /** prlimit works: CPU/memory/file/process limits are set. */
  rlimits: boolean;
  /** setpriv usable at all (also used for --no-new-privs and dropping capabilities). */
  setpriv: boolean;
  /** One line per missing mechanism; empty when everything is in place. */
  notes: string[];
  bins: { unshare?: string; setpriv?: string; prlimit?: string; mount?: string; timeout?: string; python: string };
}

/** A program to run: the interpreter's argv (without the script) and the source. */
export interface SandboxProgram {
  /** Tool name, for crash errors. */
  tool: string;
  /** File name of the script inside the sandbox, e.g. `main.py`. */
  fileName: string;
  /** Interpreter argv; the script path is appended. argv[0] must be absolute. */
  interpreter: string[];
  code: string;
  extraEnv?: Record<string, string>;
  /** How the memory limit is described in errors (default: the address-space limit). */
  memoryDescription?: string;
}

export interface SandboxRunContext {
  signal?: AbortSignal;
  heartbeat?: () => void;
  /** Folders to hide in addition to the defaults (e.g. the run's workspace). */
  hidePaths?: string[];
}

// ---------------------------------------------------------------------------
// Detection (once per process)

const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc', '/dev', '/proc', '/sys', '/tmp', '/var'];
const DEFAULT_HIDDEN = ['/home', '/root', '/run', '/var/tmp', '/mnt', '/media', '/srv'];

function findBin(name: string): string | undefined {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin']) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** True when every ancestor is searchable by others and the file is executable by others. */
export function worldExecutable(file: string): boolean {
  try {
    const real = fs.realpathSync(file);
    if ((fs.statSync(real).mode & 0o001) === 0) return false;
    let dir = path.dirname(real);
    for (;;) {
      if ((fs.statSync(dir).mode & 0o001) === 0) return false;
      const parent = path.dirname(dir);
      if (parent === dir) return true;
      dir = parent;
    }
  } catch {
    return false;
  }
}

function quickRun(argv: string[], timeoutMs = 5000): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    let out = '';
    let child;
    try {
      child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: '/usr/bin:/bin' }, cwd: '/' });
    } catch (e) {
      resolve({ ok: false, detail: String((e as Error).message) });
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr.on('data', (d: Buffer) => {
      if (out.length < 2000) out += d.toString('utf8');
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: e.message });
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, detail: out.trim().split('\n')[0] || (sig ? `killed by ${sig}` : `exit code ${code}`) });
    });
  });
}

let detection: Promise<SandboxCapabilities> | undefined;

/** Detects (once per process, cached) which isolation mechanisms work here. */
export function detectSandbox(): Promise<SandboxCapabilities> {
  detection ??= probe();
  return detection;
}

async function probe(): Promise<SandboxCapabilities> {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const python = process.env.MAS2_SANDBOX_PYTHON || '/usr/bin/python3';
  const bins = { unshare: findBin('unshare'), setpriv: findBin('setpriv'), prlimit: findBin('prlimit'), mount: findBin('mount'), timeout: findBin('timeout'), python };
  const notes: string[] = [];

  const rl = bins.prlimit ? await quickRun([bins.prlimit, '--nofile=64', '--', '/bin/true']) : { ok: false, detail: 'prlimit not found' };
  if (!rl.ok) notes.push(`no resource limits (prlimit unavailable: ${rl.detail}); only the wall-clock timeout and output cap apply`);

  let setpriv = false;
  let dropPrivileges = false;
  if (bins.setpriv) {
    if (isRoot) {
      const r = await quickRun([bins.setpriv, '--reuid=65534', '--regid=65534', '--clear-groups', '--no-new-privs', '/bin/true']);
      setpriv = dropPrivileges = r.ok;
      if (!r.ok) notes.push(`cannot drop privileges (setpriv failed: ${r.detail}); code runs as root`);
    } else {
      setpriv = (await quickRun([bins.setpriv, '--no-new-privs', '/bin/true'])).ok;
    }
  } else if (isRoot) {
    notes.push('cannot drop privileges (setpriv not found); code runs as root');
  }

  const base: SandboxCapabilities = { isRoot, mode: 'none', userNamespace: !isRoot, dropPrivileges, rlimits: rl.ok, setpriv, notes, bins };

  // MAS2_SANDBOX_MODE=net-only|none forces a weaker mode (debugging, hosts where probing misbehaves).
  const forced = process.env.MAS2_SANDBOX_MODE;
  const allowNs = forced !== 'net-only' && forced !== 'none';
  const allowNet = forced !== 'none';
  let mode: SandboxMode = 'none';
  let nsDetail = !allowNs ? `forced by MAS2_SANDBOX_MODE=${forced}` : bins.unshare ? '' : 'unshare not found';
  if (allowNs && bins.unshare && bins.mount) {
    try {
      const r = await runWithCapabilities(
        { tool: 'sandbox-probe', fileName: 'probe.py', interpreter: [python, '-I', '-S'], code: 'import sys\n' },
        {},
        { ...base, mode: 'namespaces' },
        { limits: { wallSeconds: 20 } },
      );
      if (r.ok) mode = 'namespaces';
      else nsDetail = (r.error ?? '') + ' ' + (r.stderr ?? '').slice(0, 300);
    } catch (e) {
      nsDetail = (e as Error).message;
    }
  }
  if (mode !== 'namespaces' && allowNet && bins.unshare) {
    const r = await quickRun([bins.unshare, ...(isRoot ? [] : ['--user', '--map-root-user']), '--net', '/bin/true']);
    if (r.ok) mode = 'net-only';
    else nsDetail += `; unshare --net: ${r.detail}`;
  }
  if (mode === 'net-only') {
    notes.push(`no mount/PID namespace (${nsDetail.trim()}): code sees the host file system (writable wherever the sandbox uid may write) and background processes may outlive the run`);
  } else if (mode === 'none') {
    notes.push(`no network isolation and no mount/PID namespace (${nsDetail.trim()}): code can reach the network and sees the host file system`);
  }
  if (!isRoot) {
    notes.push(
      `not root: code runs as the worker's own uid ${process.getuid?.()}` +
        (mode === 'namespaces' ? ' (as root of a user namespace, without capabilities), not as nobody' : ', not as nobody'),
    );
  }
  const caps = { ...base, mode };
  if (notes.length) console.warn(`[mas2 sandbox] weaker isolation: ${notes.join('; ')}`);
  return caps;
}

// ---------------------------------------------------------------------------
// Output capture

class StreamCapture {
  private head: Buffer[] = [];
  private headLen = 0;
  private tail: Buffer = Buffer.alloc(0);
  total = 0;

  constructor(
    private readonly cap: number,
    private readonly tailCap = Math.min(4 * KiB, Math.floor(cap / 4)),
  ) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headLen < this.cap) {
      const take = chunk.subarray(0, this.cap - this.headLen);
      this.head.push(take);
      this.headLen += take.length;
    }
    if (this.tailCap > 0) {
      this.tail = chunk.length >= this.tailCap ? Buffer.from(chunk.subarray(chunk.length - this.tailCap)) : Buffer.concat([this.tail, chunk]).subarray(-this.tailCap);
    }
  }

  get truncated(): boolean {
    return this.total > this.cap;
  }

  /** Everything when under the cap; otherwise the head, a marker, and the last few KiB. */
  text(label: string): string {
    const head = Buffer.concat(this.head);
    if (!this.truncated) return head.toString('utf8');
    const keep = head.subarray(0, this.cap - this.tailCap);
    const omitted = this.total - keep.length - this.tail.length;
    return (
      keep.toString('utf8') +
      `\n[... ${omitted} bytes of ${label} omitted: output limit ${this.cap} bytes per stream, ${this.total} bytes produced ...]\n` +
      this.tail.toString('utf8')
    );
  }
}

// ---------------------------------------------------------------------------
// Running

const SIGNAL_NAMES: Record<number, string> = Object.fromEntries(Object.entries(os.constants.signals).map(([k, v]) => [v, k]));

/** The folder holding mas2's package.json (source tree or install): may hold .env files, keys, runs. */
function packageRoot(): string | undefined {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function hiddenPaths(extra: string[], interpreter: string): string[] {
  const candidates = [...DEFAULT_HIDDEN, process.cwd(), os.homedir(), packageRoot() ?? '', ...extra];
  if (process.env.MAS2_HOME) candidates.push(process.env.MAS2_HOME);
  let interp = interpreter;
  try {
    interp = fs.realpathSync(interpreter);
  } catch {
    /* keep */
  }
  // Never hide a system folder, or a folder the interpreter (or its install prefix) lives in.
  const protectedPaths = [...SYSTEM_DIRS, interp, interpreter, path.dirname(path.dirname(interp))];
  const out = new Set<string>();
  for (const c of candidates) {
    if (!c) continue;
    let p = path.resolve(c);
    try {
      p = fs.realpathSync(p);
    } catch {
      /* may not exist: keep as is */
    }
    if (p === '/' || protectedPaths.some((s) => s === p || s.startsWith(p + '/'))) continue;
    out.add(p);
  }
  return [...out];
}

interface InitStatus {
  setup_error?: string;
  exec_error?: string;
  exit?: number;
  signal?: number;
  cpu?: number;
  maxrss_kb?: number;
}

/** Runs `program` in the sandbox. Throws ToolCrashError when the sandbox itself cannot run it. */
export async function runSandboxed(program: SandboxProgram, ctx: SandboxRunContext = {}, options: SandboxOptions = {}): Promise<ToolResult> {
  const caps = await detectSandbox();
  return runWithCapabilities(program, ctx, caps, options);
}

function fmtBytes(n: number): string {
  return n % MiB === 0 ? `${n / MiB} MiB` : n % KiB === 0 ? `${n / KiB} KiB` : `${n} bytes`;
}

/** "10 s CPU, 15 s wall clock, ..." for tool descriptions. */
export function describeLimits(l: SandboxLimits, memory = `${fmtBytes(l.memoryBytes)} memory`): string {
  return (
    `${l.cpuSeconds} s CPU, ${l.wallSeconds} s wall clock, ${memory}, ${fmtBytes(l.fileSizeBytes)} per file, ` +
    `${fmtBytes(l.tmpfsBytes)} of files in total, ${l.maxProcesses} processes, ${fmtBytes(l.outputBytes)} of output per stream`
  );
}

async function runWithCapabilities(program: SandboxProgram, ctx: SandboxRunContext, caps: SandboxCapabilities, options: SandboxOptions): Promise<ToolResult> {
  const given: SandboxLimits = { ...DEFAULT_SANDBOX_LIMITS, ...options.limits };
  // rlimits are whole numbers; never 0 (0 would mean "nothing allowed" or be rejected by prlimit).
  const limits: SandboxLimits = {
    cpuSeconds: Math.max(1, Math.ceil(given.cpuSeconds)),
    wallSeconds: Math.max(0.1, given.wallSeconds),
    memoryBytes: Math.max(16 * MiB, Math.floor(given.memoryBytes)),
    fileSizeBytes: Math.max(1, Math.floor(given.fileSizeBytes)),
    maxProcesses: Math.max(1, Math.floor(given.maxProcesses)),
    maxOpenFiles: Math.max(8, Math.floor(given.maxOpenFiles)),
    outputBytes: Math.max(1024, Math.floor(given.outputBytes)),
    tmpfsBytes: Math.max(MiB, Math.floor(given.tmpfsBytes)),
  };
  const uid = options.uid ?? 65534;
  const gid = options.gid ?? 65534;
  const interpreterPath = program.interpreter[0];
  if (!interpreterPath || !path.isAbsolute(interpreterPath)) throw new ToolCrashError(program.tool, `interpreter path must be absolute: ${interpreterPath}`);
  if (!fs.existsSync(interpreterPath)) throw new ToolCrashError(program.tool, `interpreter not found: ${interpreterPath}`);
  if (caps.dropPrivileges && !worldExecutable(interpreterPath)) {
    throw new ToolCrashError(program.tool, `interpreter ${interpreterPath} is not executable by uid ${uid} (it or a parent folder lacks o+x)`);
  }
  if (ctx.signal?.aborted) return { ok: false, output: '', error: 'cancelled before the program started' };

  const ns = caps.mode === 'namespaces';
  let hostDir: string | undefined;
  let workDir: string;
  let scriptPath: string;
  if (ns) {
    workDir = '/tmp/work';
    scriptPath = `/tmp/${program.fileName}`;
  } else {
    const root = options.tmpRoot ?? os.tmpdir();
    hostDir = await fsp.mkdtemp(path.join(root, 'mas2-sandbox-'));
    workDir = path.join(hostDir, 'work');
    scriptPath = path.join(hostDir, program.fileName);
    try {
      await fsp.mkdir(workDir, { mode: 0o700 });
      await fsp.writeFile(scriptPath, program.code, { mode: 0o644 });
      if (caps.dropPrivileges) {
        await fsp.chmod(hostDir, 0o711);
        await fsp.chown(workDir, uid, gid);
      }
    } catch (e) {
      await fsp.rm(hostDir, { recursive: true, force: true }).catch(() => undefined);
      throw new ToolCrashError(program.tool, `could not prepare the sandbox folder: ${(e as Error).message}`, { cause: e });
    }
  }

  const env: Record<string, string> = {
    PATH: '/usr/bin:/bin',
    HOME: workDir,
    TMPDIR: workDir,
    LANG: 'C.UTF-8',
    ...program.extraEnv,
  };

  const userArgv: string[] = [];
  if (caps.dropPrivileges && caps.bins.setpriv) {
    userArgv.push(caps.bins.setpriv, `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--bounding-set=-all', '--inh-caps=-all', '--no-new-privs');
  } else if (caps.setpriv && caps.bins.setpriv) {
    // Not root (maybe root of a user namespace): at least drop capabilities and forbid setuid gains.
    userArgv.push(caps.bins.setpriv, ...(ns ? ['--bounding-set=-all', '--inh-caps=-all'] : []), '--no-new-privs');
  }
  if (caps.rlimits && caps.bins.prlimit) {
    userArgv.push(
      caps.bins.prlimit,
      `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
      `--as=${limits.memoryBytes}`,
      `--fsize=${limits.fileSizeBytes}`,
      `--nproc=${limits.maxProcesses}`,
      `--nofile=${limits.maxOpenFiles}`,
      '--core=0',
      '--',
    );
  }
  userArgv.push(...program.interpreter, scriptPath);

  let argv: string[];
  if (ns) {
    const cfg = {
      argv: userArgv,
      env,
      uid: caps.dropPrivileges ? uid : null,
      gid: caps.dropPrivileges ? gid : null,
      tmpBytes: limits.tmpfsBytes,
      shmBytes: Math.min(16 * MiB, limits.tmpfsBytes),
      hide: hiddenPaths([...(options.hidePaths ?? []), ...(ctx.hidePaths ?? [])], interpreterPath),
      script: program.fileName,
      mount: caps.bins.mount,
      backstopSeconds: Math.ceil(limits.wallSeconds) + 5,
    };
    argv = [
      caps.bins.unshare!,
      ...(caps.isRoot ? [] : ['--user', '--map-root-user']),
      '--net',
      '--mount',
      '--pid',
      '--fork',
      '--kill-child',
      '--mount-proc',
      '--propagation',
      'private',
      caps.bins.python,
      '-I',
      '-S',
      '-c',
      SANDBOX_INIT_PY,
      JSON.stringify(cfg),
    ];
  } else {
    // Backstop for the wall-clock limit should this worker die before its own timer fires.
    const backstop = caps.bins.timeout ? [caps.bins.timeout, '-s', 'KILL', String(Math.ceil(limits.wallSeconds) + 5)] : [];
    argv = [...(caps.mode === 'net-only' ? [caps.bins.unshare!, ...(caps.isRoot ? [] : ['--user', '--map-root-user']), '--net'] : []), ...backstop, ...userArgv];
  }

  const stdout = new StreamCapture(limits.outputBytes);
  const stderr = new StreamCapture(limits.outputBytes);
  let statusText = '';
  let wallHit = false;
  let aborted = false;
  let exitCode: number | null = null;
  let exitSignal: NodeJS.Signals | null = null;
  let spawnError: Error | undefined;
  const started = Date.now();

  const child = spawn(argv[0], argv.slice(1), {
    cwd: ns ? '/' : workDir,
    env: ns ? { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } : env,
    stdio: ns ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    detached: true,
  });

  const killGroup = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  const onAbort = () => {
    aborted = true;
    killGroup();
  };
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  const wallTimer = setTimeout(() => {
    wallHit = true;
    killGroup();
  }, limits.wallSeconds * 1000);
  const beat = ctx.heartbeat
    ? setInterval(() => {
        try {
          ctx.heartbeat!();
        } catch {
          /* a heartbeat failure (e.g. activity cancelled) must not break the run */
        }
      }, 1000)
    : undefined;

  (child.stdout as Readable).on('data', (d: Buffer) => stdout.push(d));
  (child.stderr as Readable).on('data', (d: Buffer) => stderr.push(d));
  if (ns) {
    const fd3 = child.stdio[3] as Readable;
    fd3.on('data', (d: Buffer) => {
      if (statusText.length < 64 * KiB) statusText += d.toString('utf8');
    });
    fd3.on('error', () => undefined);
    const stdin = child.stdin as Writable;
    stdin.on('error', () => undefined);
    stdin.end(program.code);
  }

  await new Promise<void>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve();
    };
    child.on('error', (e) => {
      spawnError = e;
      finish();
    });
    child.on('exit', (code, sig) => {
      exitCode = code;
      exitSignal = sig;
      // Plain mode: take down anything the program left behind in its process group.
      if (!ns) killGroup();
      // Streams held open by an escaped background process must not hang us.
      setTimeout(() => {
        for (const s of [child.stdout, child.stderr, child.stdio[3]]) (s as Readable | null)?.destroy();
        finish();
      }, 1000).unref();
    });
    child.on('close', finish);
  });

  clearTimeout(wallTimer);
  if (beat) clearInterval(beat);
  ctx.signal?.removeEventListener('abort', onAbort);
  if (hostDir) await fsp.rm(hostDir, { recursive: true, force: true }).catch(() => undefined);
  const elapsed = (Date.now() - started) / 1000;

  if (spawnError) throw new ToolCrashError(program.tool, `could not start the sandbox (${argv[0]}): ${(spawnError as Error).message}`, { cause: spawnError });

  // --- what happened to the program
  let progExit: number | null = exitCode;
  let progSignal: string | null = exitSignal;
  let cpuUsed: number | undefined;
  if (ns) {
    const status: InitStatus = {};
    for (const line of statusText.split('\n')) {
      if (!line.trim()) continue;
      try {
        Object.assign(status, JSON.parse(line));
      } catch {
        /* ignore garbage */
      }
    }
    if (status.setup_error) throw new ToolCrashError(program.tool, `sandbox setup failed: ${status.setup_error}`);
    if (status.exec_error) throw new ToolCrashError(program.tool, `could not start the program in the sandbox: ${status.exec_error}`);
    if (status.exit === undefined && status.signal === undefined) {
      if (!wallHit && !aborted) {
        throw new ToolCrashError(
          program.tool,
          `sandbox exited without a status (exit ${exitCode ?? exitSignal}): ${stderr.text('stderr').slice(0, 500)}`,
        );
      }
      progExit = null;
      progSignal = 'SIGKILL';
    } else {
      progExit = status.exit ?? null;
      progSignal = status.signal !== undefined ? (SIGNAL_NAMES[status.signal] ?? `signal ${status.signal}`) : null;
      cpuUsed = status.cpu;
    }
  } else if (exitCode === 127 && !stdout.total && /setpriv|prlimit|unshare|No such file|cannot execute|failed to execute/i.test(stderr.text('stderr'))) {
    throw new ToolCrashError(program.tool, `could not start the program in the sandbox: ${stderr.text('stderr').slice(0, 500)}`);
  }

  const errText = stderr.text('stderr');
  const failed = progExit !== 0 || progSignal !== null;
  let limit: string | undefined;
  let error: string | undefined;
  if (aborted) {
    error = `cancelled after ${elapsed.toFixed(1)} s; process group killed`;
  } else if (wallHit) {
    limit = 'wall';
    error = `wall-clock time limit (${limits.wallSeconds} s) exceeded; the program and all its processes were killed`;
  } else if (progSignal === 'SIGXCPU' || (progSignal === 'SIGKILL' && cpuUsed !== undefined && cpuUsed >= limits.cpuSeconds * 0.9) || (progSignal === 'SIGKILL' && !ns && caps.rlimits)) {
    limit = 'cpu';
    error = `CPU time limit (${limits.cpuSeconds} s) exceeded; killed by ${progSignal}`;
  } else if (progSignal === 'SIGXFSZ' || (failed && /File too large|EFBIG/.test(errText))) {
    limit = 'fsize';
    error = `file size limit (${fmtBytes(limits.fileSizeBytes)} per file, or the ${fmtBytes(limits.tmpfsBytes)} workspace) exceeded`;
  } else if (failed && /MemoryError|Cannot allocate memory|ENOMEM|heap out of memory|Reached heap limit|out of memory/i.test(errText)) {
    limit = 'memory';
    error = `memory limit (${program.memoryDescription ?? `${fmtBytes(limits.memoryBytes)} address space`}) exceeded`;
  } else if (failed && /BlockingIOError|Resource temporarily unavailable|EAGAIN|can't start new thread/.test(errText)) {
    limit = 'nproc';
    error = `process limit (${limits.maxProcesses} processes/threads) reached`;
  } else if (failed && /No space left on device|ENOSPC/.test(errText)) {
    limit = 'fsize';
    error = `workspace full (${fmtBytes(limits.tmpfsBytes)} tmpfs)`;
  } else if (progSignal) {
    error = `killed by ${progSignal}`;
  } else if (progExit !== 0) {
    error = `exit code ${progExit}`;
  }
  if (stdout.truncated || stderr.truncated) {
    const what = [stdout.truncated ? `stdout ${stdout.total} bytes` : '', stderr.truncated ? `stderr ${stderr.total} bytes` : ''].filter(Boolean).join(', ');
    const msg = `output limit (${fmtBytes(limits.outputBytes)} per stream) exceeded: ${what}; the middle was discarded`;
    limit ??= 'output';
    error = error ? `${error}; ${msg}` : msg;
  }

  let stderrOut = errText;
  if (caps.notes.length) stderrOut += (stderrOut && !stderrOut.endsWith('\n') ? '\n' : '') + caps.notes.map((n) => `[sandbox] ${n}`).join('\n');

  const result: ToolResult = {
    ok: !aborted && progExit === 0 && progSignal === null && limit === undefined,
    output: stdout.text('stdout'),
    exitCode: progExit,
    stderr: stderrOut,
  };
  if (limit) result.limit = limit;
  if (error) result.error = error;
  return result;
}
