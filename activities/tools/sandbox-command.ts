/**
 * The command line of one sandboxed run: nsjail (the default), or the
 * hand-built unshare + setpriv + prlimit stack of the explicitly requested
 * weaker modes.
 */
import type { SandboxCapabilities } from './sandbox-detect';
import type { SandboxLimits } from './sandbox';
import { launcher } from './sandbox-launch';
import { planMounts } from './sandbox-mounts';
import { SECCOMP_POLICY } from './sandbox-seccomp';
import { SANDBOX_INIT_PY } from './sandbox-init';

/** The limits a run gets: the caller's, completed with defaults, plus the /tmp inode cap. */
export type ResolvedLimits = SandboxLimits & { tmpfsInodes: number };

export interface JailInput {
  caps: SandboxCapabilities;
  limits: ResolvedLimits;
  /** Program argv, the script path (`/tmp/<fileName>`) last. */
  argv: string[];
  env: Record<string, string>;
  fileName: string;
  uid: number;
  gid: number;
  hidden: string[];
  /** The run's cgroup.procs files (empty without a cgroup). */
  cgroupProcs: string[];
}

const MiB = 1024 * 1024;

/** argv + env for spawn, or a one-line refusal. fd 3 = status, fd 4 = program stderr, fd 2 = nsjail's log. */
export function nsjailCommand(j: JailInput): { argv: string[]; env: Record<string, string> } | { refusal: string } {
  const { caps, limits } = j;
  const insideUid = caps.isRoot ? j.uid : (process.getuid?.() ?? 0);
  const insideGid = caps.isRoot ? j.gid : (process.getgid?.() ?? 0);
  const mounts = planMounts({
    interpreters: [j.argv[0], caps.bins.python],
    hidden: j.hidden,
    tmpBytes: limits.tmpfsBytes,
    tmpInodes: limits.tmpfsInodes,
    shmBytes: Math.min(16 * MiB, limits.tmpfsBytes),
    shmInodes: 64,
    uid: insideUid,
    gid: insideGid,
  });
  if (!mounts.ok) return { refusal: mounts.reason };
  const envList = Object.entries(j.env).map(([k, v]) => `${k}=${v}`);
  const initArgs = [
    j.fileName,
    String(limits.cpuSeconds),
    String(limits.memoryBytes),
    String(limits.fileSizeBytes),
    String(limits.maxOpenFiles),
    String(envList.length),
    ...envList,
    ...j.argv,
  ];
  const argv = [
    caps.bins.nsjail!,
    '--mode', 'o',
    '--quiet',
    ...(caps.isRoot ? ['--disable_clone_newuser', '--user', String(j.uid), '--group', String(j.gid)] : []),
    '--iface_no_lo',
    '--hostname', 'sandbox',
    '--cwd', '/tmp',
    '--nice_level', '0',
    '--time_limit', String(Math.ceil(limits.wallSeconds) + 5),
    // Upper bounds for the whole jail; the init sets the program's own (lower) limits.
    '--rlimit_as', 'max',
    '--rlimit_cpu', String(limits.cpuSeconds + 2),
    '--rlimit_fsize', String(Math.max(1, Math.ceil(limits.fileSizeBytes / MiB))),
    '--rlimit_nofile', String(limits.maxOpenFiles + 8),
    '--rlimit_nproc', caps.cgroup ? 'soft' : String(limits.maxProcesses),
    '--rlimit_core', '0',
    '--pass_fd', '3',
    '--pass_fd', '4',
    '--seccomp_string', SECCOMP_POLICY,
    ...mounts.args,
    '--',
    caps.bins.python,
    '-I',
    '-S',
    '-c',
    SANDBOX_INIT_PY,
    ...initArgs,
  ];
  const launch = launcher(caps.bins, j.cgroupProcs);
  if ('refusal' in launch) return { refusal: `refusing to run: ${launch.refusal}` };
  return { argv: [...launch.argv, ...argv], env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', ...launch.env } };
}

/** The weaker modes (MAS2_SANDBOX_MODE=net-only|none): setpriv + prlimit (+ unshare --net), host file system. */
export function weakCommand(caps: SandboxCapabilities, limits: ResolvedLimits, argv: string[], uid: number, gid: number): { argv: string[]; env: Record<string, string> } | { refusal: string } {
  const user: string[] = [];
  if (caps.dropPrivileges && caps.bins.setpriv) {
    user.push(caps.bins.setpriv, `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--bounding-set=-all', '--inh-caps=-all', '--no-new-privs');
  } else if (caps.setpriv && caps.bins.setpriv) {
    user.push(caps.bins.setpriv, '--no-new-privs');
  }
  if (caps.rlimits && caps.bins.prlimit) {
    user.push(
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
  // Backstop for the wall-clock limit should this worker die before its own timer fires.
  const backstop = caps.bins.timeout ? [caps.bins.timeout, '-s', 'KILL', String(Math.ceil(limits.wallSeconds) + 5)] : [];
  const net = caps.mode === 'net-only' ? [caps.bins.unshare!, ...(caps.isRoot ? [] : ['--user', '--map-root-user']), '--net'] : [];
  const launch = launcher(caps.bins, []);
  if ('refusal' in launch) return { refusal: `refusing to run: ${launch.refusal}` };
  return { argv: [...launch.argv, ...net, ...backstop, ...user, ...argv], env: launch.env };
}
