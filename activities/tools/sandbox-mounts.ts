/**
 * The sandbox's file system, as nsjail mount arguments: an allowlist.
 *
 * The jail's root is an empty read-only tmpfs. Into it go, read-only: the
 * system folders (/usr, /bin, /sbin, /lib*, /etc), a few device nodes, and —
 * when an interpreter lives elsewhere — that interpreter's own install prefix
 * (e.g. /opt/python3.12 for /opt/python3.12/bin/python3), nothing around it.
 * Writable: a private /tmp (size and inode caps) and /dev/shm (same). A fresh
 * read-only /proc of the jail's PID namespace is mounted by nsjail itself.
 *
 * Folders that must stay hidden (home folders, the mas2 package, $MAS2_HOME,
 * the worker's cwd, the run's workspace, every data path of the configuration:
 * activities/dataPaths.ts) are simply not mounted; where one lies inside a
 * mounted folder (a global npm install under /usr/lib, a blob store under
 * /usr/local, a workspace inside an interpreter prefix) it is covered by an
 * empty tmpfs that can hold no file, and a hidden file (a TLS key under /etc)
 * by /dev/null. When that is impossible — the interpreter itself lives in a
 * hidden folder, or its prefix is one — `planMounts` returns a one-line reason
 * and the run is refused (fail closed, never run exposed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Mounted read-only, as they are on the host. */
export const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];
const DEVICES = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom'];
/** Not mounted, but listed so that a folder of theirs never becomes an interpreter prefix. */
/** Folders the jail has its own of: an interpreter there could not be mounted. */
const JAIL_OWN = ['/tmp', '/dev', '/proc', '/sys'];
export const ALWAYS_HIDDEN = ['/home', '/root', '/run', '/var', '/tmp', '/mnt', '/media', '/srv', '/opt', '/proc', '/sys', '/dev', '/boot'];

export interface MountPlanInput {
  /** Interpreter paths as given (argv[0] of the program and of the init). */
  interpreters: string[];
  /** Host folders that must not be visible. */
  hidden: string[];
  tmpBytes: number;
  tmpInodes: number;
  shmBytes: number;
  shmInodes: number;
  /** uid/gid inside the jail that owns /tmp and /dev/shm. */
  uid: number;
  gid: number;
}

export type MountPlan = { ok: true; args: string[] } | { ok: false; reason: string };

function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** True when `p` is `base` or inside it. */
export function isInside(p: string, base: string): boolean {
  return p === base || base === '/' || p.startsWith(base.replace(/\/+$/, '') + '/');
}

function isSystem(p: string): boolean {
  return SYSTEM_DIRS.some((s) => isInside(p, s) || isInside(p, real(s)));
}

/** nsjail's `src:dst` and `-m` arguments use ':' as a separator. */
function safe(p: string): boolean {
  return !p.includes(':') && !p.includes('\n') && !p.includes(',');
}

export function planMounts(input: MountPlanInput): MountPlan {
  const args: string[] = [];
  for (const d of SYSTEM_DIRS) if (fs.existsSync(d)) args.push('-R', d);
  for (const d of DEVICES) if (fs.existsSync(d)) args.push('-R', d);
  args.push('-s', '/proc/self/fd:/dev/fd', '-s', '/proc/self/fd/0:/dev/stdin', '-s', '/proc/self/fd/1:/dev/stdout', '-s', '/proc/self/fd/2:/dev/stderr');

  const hidden = [...new Set(input.hidden.filter(Boolean).flatMap((h) => [path.resolve(h), real(h)]))].filter((h) => h !== '/');

  // Interpreter prefixes to bind (both the path as given and its real location: a venv or a symlink).
  const prefixes: string[] = [];
  for (const interp of input.interpreters) {
    for (const p of new Set([path.resolve(interp), real(interp)])) {
      if (isSystem(p)) continue;
      const prefix = path.dirname(path.dirname(p));
      const why = (s: string) => `refusing to run: the interpreter ${interp} lives in ${s}, a folder the sandbox must hide`;
      if (prefix === '/' || ALWAYS_HIDDEN.includes(prefix)) return { ok: false, reason: `refusing to run: the interpreter ${interp} has no install prefix of its own (${prefix}) that could be mounted without exposing its neighbours; install it under e.g. /opt/<name>/bin or /usr` };
      if (hidden.includes(prefix)) return { ok: false, reason: why(prefix) };
      const replaced = JAIL_OWN.find((j) => isInside(prefix, j));
      if (replaced) return { ok: false, reason: `refusing to run: the interpreter ${interp} lives under ${replaced}, which the sandbox replaces with its own` };
      if (!safe(prefix)) return { ok: false, reason: `refusing to run: the interpreter prefix ${prefix} contains ':' or ',', which nsjail cannot mount` };
      if (!prefixes.includes(prefix)) prefixes.push(prefix);
    }
  }
  for (const p of prefixes) args.push('-R', p);

  // Hidden folders that a mounted folder would show: covered by an empty tmpfs without a single free inode.
  const mounted = [...SYSTEM_DIRS, ...prefixes];
  const cover: string[] = [];
  for (const h of hidden.sort((a, b) => a.length - b.length)) {
    if (!mounted.some((m) => isInside(h, m) || isInside(h, real(m)))) continue;
    if (cover.some((c) => isInside(h, c))) continue;
    for (const interp of input.interpreters) {
      if (isInside(real(interp), h) || isInside(path.resolve(interp), h)) return { ok: false, reason: `refusing to run: the interpreter ${interp} lives in ${h}, a folder the sandbox must hide` };
    }
    if (!safe(h)) return { ok: false, reason: `refusing to run: cannot hide ${h} (its name contains ':' or ',')` };
    if (fs.existsSync(h)) cover.push(h);
  }
  for (const h of cover) {
    // A folder gets an empty tmpfs without a free inode; a file (a TLS key, a config) reads as /dev/null.
    if (isDirectory(h)) args.push('-m', `none:${h}:tmpfs:size=4096,nr_inodes=1,mode=0555`);
    else args.push('-R', `/dev/null:${h}`);
  }

  const own = `uid=${input.uid},gid=${input.gid}`;
  args.push('-m', `none:/tmp:tmpfs:size=${input.tmpBytes},nr_inodes=${input.tmpInodes},mode=0700,${own}`);
  args.push('-m', `none:/dev/shm:tmpfs:size=${input.shmBytes},nr_inodes=${input.shmInodes},mode=0700,${own}`);
  return { ok: true, args };
}
