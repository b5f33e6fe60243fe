/**
 * Runs untrusted, model-written programs (python, javascript) in nsjail:
 *
 *   launcher (joins the run's memory + pids cgroup, a fresh session keyring; sandbox-launch.ts) → exec nsjail
 *     new network (no interface up), mount, PID, IPC, UTS and cgroup namespaces,
 *     uid 65534 without capabilities, no_new_privs, seccomp policy (sandbox-seccomp.ts),
 *     allowlisted read-only file system + private /tmp and /dev/shm (sandbox-mounts.ts)
 *       python3 -I -S <init>       PID 1 of the jail (sandbox-init.ts): writes the script,
 *         interpreter /tmp/main.py  sets the program's rlimits, reaps, reports the status
 *
 * Detection (sandbox-detect.ts) runs once per process. Where this sandbox
 * cannot run, every call fails with a ToolCrashError naming why, unless a
 * weaker mode was asked for with MAS2_SANDBOX_MODE. See docs/tools.md.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { ToolResult } from '../../mas/messages';
import { ToolCrashError } from './errors';
import { createRunCgroup, type RunCgroup } from './sandbox-cgroup';
import { nsjailCommand, weakCommand, type ResolvedLimits } from './sandbox-command';
import { packageRoot, probeSandbox, type SandboxCapabilities } from './sandbox-detect';
import { LAUNCH_FAILED_EXIT } from './sandbox-launch';
import type { ToolContext } from './types';
import { dataPaths } from '../dataPaths';
import { mas2Home } from '../home';
import { StreamCapture } from './sandbox-output';

export type { SandboxCapabilities, SandboxMode } from './sandbox-detect';

const KiB = 1024;
const MiB = 1024 * KiB;

export interface SandboxLimits {
  /** CPU seconds per process (RLIMIT_CPU soft; SIGXCPU, then SIGKILL one second later). */
  cpuSeconds: number;
  /** Wall-clock seconds for the whole run; then the sandbox is killed. */
  wallSeconds: number;
  /** Address space per process (RLIMIT_AS); also the cgroup memory limit of the whole run unless the program sets its own. */
  memoryBytes: number;
  /** Largest file a process may write (RLIMIT_FSIZE). */
  fileSizeBytes: number;
  /** Processes + threads of the whole run (pids cgroup; RLIMIT_NPROC per uid in the weaker modes). */
  maxProcesses: number;
  /** RLIMIT_NOFILE. */
  maxOpenFiles: number;
  /** Captured bytes per stream (stdout, stderr); the rest is read and discarded. */
  outputBytes: number;
  /** Size of the private /tmp (workspace) tmpfs. */
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

/** Files and folders the private /tmp may hold (its inode cap): each costs kernel memory. */
export const TMPFS_INODES = 4096;

export interface SandboxOptions {
  limits?: Partial<SandboxLimits>;
  /** uid/gid the code runs as when the worker is root (default 65534, nobody). */
  uid?: number;
  gid?: number;
  /** Where the temp workspace is created in the weaker modes (default os.tmpdir()). */
  tmpRoot?: string;
  /** Extra host folders to hide from the code. */
  hidePaths?: string[];
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
  /** Memory of the whole run (cgroup), when it should differ from `limits.memoryBytes` (V8 needs a large address space but little memory). */
  runMemoryBytes?: number;
}

export interface SandboxRunContext {
  signal?: AbortSignal;
  heartbeat?: () => void;
  /** Folders to hide in addition to the defaults (e.g. the run's workspace). */
  hidePaths?: string[];
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

/** True when the file itself is executable by others (inside the jail only the mount matters, not the host's parent folders). */
function otherExecutable(file: string): boolean {
  try {
    return (fs.statSync(fs.realpathSync(file)).mode & 0o001) !== 0;
  } catch {
    return false;
  }
}

let detection: Promise<SandboxCapabilities> | undefined;

/** Detects (once per process, cached) which sandbox this host can give. */
export function detectSandbox(): Promise<SandboxCapabilities> {
  detection ??= probeSandbox(async (caps) => {
    try {
      const r = await runWithCapabilities(
        { tool: 'sandbox-probe', fileName: 'probe.py', interpreter: [caps.bins.python, '-I', '-S'], code: 'print("ok")\n' },
        {},
        caps,
        { limits: { wallSeconds: 20 } },
      );
      return r.ok && r.output === 'ok\n' ? undefined : `${r.error ?? ''} ${r.output} ${r.stderr ?? ''}`;
    } catch (e) {
      return (e as Error).message;
    }
  });
  return detection;
}

const SIGNAL_NAMES: Record<number, string> = Object.fromEntries(Object.entries(os.constants.signals).map(([k, v]) => [v, k]));

/**
 * Host folders and files the code must never see (only those inside a mounted folder need covering;
 * see sandbox-mounts.ts): home folders, the worker's cwd and package, temp folders, and every data
 * path of this process's configuration (dataPaths.ts), besides the caller's own.
 */
function hiddenPaths(extra: string[]): string[] {
  const homes = ['/home', '/root'];
  try {
    for (const d of fs.readdirSync('/home')) homes.push(path.join('/home', d));
  } catch {
    /* no /home */
  }
  return [...homes, os.homedir(), process.cwd(), packageRoot() ?? '', ...dataPaths(mas2Home()), os.tmpdir(), '/var/tmp', '/run', ...extra].filter(Boolean);
}

/** What a tool call hides from its program: its workspace, the documents folder and the runtime's data paths. */
export function sandboxContext(ctx: ToolContext): SandboxRunContext {
  return { signal: ctx.signal, heartbeat: ctx.heartbeat, hidePaths: [ctx.workspaceDir, ctx.docsDir ?? '', ...(ctx.dataPaths ?? [])].filter(Boolean) };
}

interface InitStatus {
  setup_error?: string;
  exec_error?: string;
  exit?: number;
  signal?: number;
  cpu?: number;
}

/** The init's `key value` lines on fd 3 (sandbox-init.ts). */
function parseInitStatus(text: string): InitStatus {
  const status: InitStatus = {};
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp < 0) continue;
    const key = line.slice(0, sp);
    const value = line.slice(sp + 1);
    if (key === 'setup_error' || key === 'exec_error') status[key] = value;
    else if ((key === 'exit' || key === 'signal' || key === 'cpu') && Number.isFinite(Number(value))) status[key] = Number(value);
  }
  return status;
}

/** Runs `program` in the sandbox. Throws ToolCrashError when the sandbox itself cannot run it (or refuses to). */
export async function runSandboxed(program: SandboxProgram, ctx: SandboxRunContext = {}, options: SandboxOptions = {}): Promise<ToolResult> {
  const caps = await detectSandbox();
  if (caps.refusal) throw new ToolCrashError(program.tool, caps.refusal);
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

function resolveLimits(given: SandboxLimits): ResolvedLimits {
  // rlimits are whole numbers; never 0 (0 would mean "nothing allowed" or be rejected).
  return {
    cpuSeconds: Math.max(1, Math.ceil(given.cpuSeconds)),
    wallSeconds: Math.max(0.1, given.wallSeconds),
    memoryBytes: Math.max(16 * MiB, Math.floor(given.memoryBytes)),
    fileSizeBytes: Math.max(1, Math.floor(given.fileSizeBytes)),
    maxProcesses: Math.max(1, Math.floor(given.maxProcesses)),
    maxOpenFiles: Math.max(8, Math.floor(given.maxOpenFiles)),
    outputBytes: Math.max(1024, Math.floor(given.outputBytes)),
    tmpfsBytes: Math.max(MiB, Math.floor(given.tmpfsBytes)),
    tmpfsInodes: TMPFS_INODES,
  };
}

async function runWithCapabilities(program: SandboxProgram, ctx: SandboxRunContext, caps: SandboxCapabilities, options: SandboxOptions): Promise<ToolResult> {
  const limits = resolveLimits({ ...DEFAULT_SANDBOX_LIMITS, ...options.limits });
  const uid = options.uid ?? 65534;
  const gid = options.gid ?? 65534;
  const interpreterPath = program.interpreter[0];
  if (!interpreterPath || !path.isAbsolute(interpreterPath)) throw new ToolCrashError(program.tool, `interpreter path must be absolute: ${interpreterPath}`);
  if (!fs.existsSync(interpreterPath)) throw new ToolCrashError(program.tool, `interpreter not found: ${interpreterPath}`);
  const jail = caps.mode === 'namespaces';
  if (caps.dropPrivileges && !(jail ? otherExecutable(interpreterPath) : worldExecutable(interpreterPath))) {
    throw new ToolCrashError(program.tool, `interpreter ${interpreterPath} is not executable by uid ${uid} (it${jail ? '' : ' or a parent folder'} lacks o+x)`);
  }
  if (ctx.signal?.aborted) return { ok: false, output: '', error: 'cancelled before the program started' };

  let hostDir: string | undefined;
  let cgroup: RunCgroup | undefined;
  let argv: string[];
  let spawnEnv: Record<string, string>;
  let cwd = '/';
  if (jail) {
    const env = { PATH: '/usr/bin:/bin', HOME: '/tmp/work', TMPDIR: '/tmp/work', LANG: 'C.UTF-8', ...program.extraEnv };
    if (caps.cgroup) {
      try {
        cgroup = createRunCgroup(caps.cgroup, Math.max(16 * MiB, Math.floor(program.runMemoryBytes ?? limits.memoryBytes)), limits.maxProcesses + 2);
      } catch (e) {
        throw new ToolCrashError(program.tool, `could not create the run's cgroup: ${(e as Error).message}`, { cause: e });
      }
    }
    const cmd = nsjailCommand({
      caps,
      limits,
      argv: [...program.interpreter, `/tmp/${program.fileName}`],
      env,
      fileName: program.fileName,
      uid,
      gid,
      hidden: hiddenPaths([...(options.hidePaths ?? []), ...(ctx.hidePaths ?? [])]),
      cgroupProcs: cgroup?.procsFiles ?? [],
    });
    if ('refusal' in cmd) {
      await cgroup?.remove();
      throw new ToolCrashError(program.tool, cmd.refusal);
    }
    argv = cmd.argv;
    spawnEnv = cmd.env;
  } else {
    const root = options.tmpRoot ?? os.tmpdir();
    hostDir = await fsp.mkdtemp(path.join(root, 'mas2-sandbox-'));
    const workDir = path.join(hostDir, 'work');
    const scriptPath = path.join(hostDir, program.fileName);
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
    const cmd = weakCommand(caps, limits, [...program.interpreter, scriptPath], uid, gid);
    if ('refusal' in cmd) {
      await fsp.rm(hostDir, { recursive: true, force: true }).catch(() => undefined);
      throw new ToolCrashError(program.tool, cmd.refusal);
    }
    argv = cmd.argv;
    spawnEnv = { PATH: '/usr/bin:/bin', HOME: workDir, TMPDIR: workDir, LANG: 'C.UTF-8', ...program.extraEnv, ...cmd.env };
    cwd = workDir;
  }

  const stdout = new StreamCapture(limits.outputBytes);
  const stderr = new StreamCapture(limits.outputBytes);
  let jailLog = '';
  let statusText = '';
  let wallHit = false;
  let aborted = false;
  let exitCode: number | null = null;
  let exitSignal: NodeJS.Signals | null = null;
  let spawnError: Error | undefined;
  const started = Date.now();

  const child = spawn(argv[0], argv.slice(1), {
    cwd,
    env: spawnEnv,
    // jail: 0 code, 1 stdout, 2 nsjail's log, 3 status, 4 the program's stderr
    stdio: jail ? ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
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
  // nsjail is asked to end the jail (SIGTERM: it kills the jail and reaps it), so no orphan is left for the
  // host's PID 1 to reap; if it does not exit quickly, the whole process group is killed.
  const stop = () => {
    if (!jail || child.pid === undefined) return killGroup();
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    setTimeout(killGroup, 1500).unref();
  };
  const onAbort = () => {
    aborted = true;
    stop();
  };
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  const wallTimer = setTimeout(() => {
    wallHit = true;
    stop();
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
  if (jail) {
    (child.stderr as Readable).on('data', (d: Buffer) => {
      if (jailLog.length < 16 * KiB) jailLog += d.toString('utf8');
    });
    (child.stdio[4] as Readable).on('data', (d: Buffer) => stderr.push(d));
    const fd3 = child.stdio[3] as Readable;
    fd3.on('data', (d: Buffer) => {
      if (statusText.length < 64 * KiB) statusText += d.toString('utf8');
    });
    for (const s of [fd3, child.stdio[4] as Readable]) s.on('error', () => undefined);
    const stdin = child.stdin as Writable;
    stdin.on('error', () => undefined);
    stdin.end(program.code);
  } else {
    (child.stderr as Readable).on('data', (d: Buffer) => stderr.push(d));
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
      // Weak modes: take down anything the program left behind in its process group.
      if (!jail) killGroup();
      // Streams held open by an escaped background process must not hang us.
      setTimeout(() => {
        for (const s of [child.stdout, child.stderr, child.stdio[3], child.stdio[4]]) (s as Readable | null)?.destroy();
        finish();
      }, 1000).unref();
    });
    child.on('close', finish);
  });

  clearTimeout(wallTimer);
  if (beat) clearInterval(beat);
  ctx.signal?.removeEventListener('abort', onAbort);
  if (hostDir) await fsp.rm(hostDir, { recursive: true, force: true }).catch(() => undefined);
  const oomKills = cgroup?.oomKills() ?? 0;
  if (cgroup) await cgroup.remove();
  const elapsed = (Date.now() - started) / 1000;

  if (spawnError) throw new ToolCrashError(program.tool, `could not start the sandbox (${argv[0]}): ${(spawnError as Error).message}`, { cause: spawnError });

  // --- what happened to the program
  let progExit: number | null = exitCode;
  let progSignal: string | null = exitSignal;
  let cpuUsed: number | undefined;
  if (jail) {
    const status = parseInitStatus(statusText);
    if (status.setup_error) throw new ToolCrashError(program.tool, `sandbox setup failed: ${status.setup_error}`);
    if (status.exec_error) throw new ToolCrashError(program.tool, `could not start the program in the sandbox: ${status.exec_error}`);
    if (status.exit === undefined && status.signal === undefined) {
      if (!wallHit && !aborted && !oomKills) {
        const log = jailLog
          .split('\n')
          .filter((l) => l.trim() && !/no version information available/.test(l))
          .join(' ')
          .slice(0, 500);
        throw new ToolCrashError(program.tool, `sandbox exited without a status (exit ${exitCode ?? exitSignal}): ${log || stderr.text('stderr').slice(0, 500)}`);
      }
      progExit = null;
      progSignal = 'SIGKILL';
    } else {
      progExit = status.exit ?? null;
      progSignal = status.signal !== undefined ? (SIGNAL_NAMES[status.signal] ?? `signal ${status.signal}`) : null;
      cpuUsed = status.cpu;
    }
  } else if ((exitCode === 127 || exitCode === LAUNCH_FAILED_EXIT) && !stdout.total && /mas2-launch:|setpriv|prlimit|unshare|No such file|cannot execute|failed to execute/i.test(stderr.text('stderr'))) {
    throw new ToolCrashError(program.tool, `could not start the program in the sandbox: ${stderr.text('stderr').slice(0, 500)}`);
  }

  const runMemory = fmtBytes(Math.floor(program.runMemoryBytes ?? limits.memoryBytes));
  const errText = stderr.text('stderr');
  const failed = progExit !== 0 || progSignal !== null;
  let limit: string | undefined;
  let error: string | undefined;
  if (aborted) {
    error = `cancelled after ${elapsed.toFixed(1)} s; process group killed`;
  } else if (wallHit) {
    limit = 'wall';
    error = `wall-clock time limit (${limits.wallSeconds} s) exceeded; the program and all its processes were killed`;
  } else if (oomKills > 0) {
    limit = 'memory';
    error = `memory limit (${runMemory} for the whole run: all its processes, shared memory and files in /tmp) exceeded; the kernel killed ${oomKills} process${oomKills > 1 ? 'es' : ''}`;
  } else if (progSignal === 'SIGXCPU' || (progSignal === 'SIGKILL' && cpuUsed !== undefined && cpuUsed >= limits.cpuSeconds * 0.9) || (progSignal === 'SIGKILL' && !jail && caps.rlimits)) {
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
    error = `workspace full (/tmp holds at most ${fmtBytes(limits.tmpfsBytes)} in ${limits.tmpfsInodes} files and folders)`;
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
