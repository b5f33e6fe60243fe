/**
 * The first program of every sandboxed run, on the host side, before nsjail (or
 * the weaker modes' unshare/setpriv/prlimit): it joins the run's cgroups, gives
 * itself a fresh anonymous session keyring, and execs the sandbox.
 *
 * Why the keyring: a session keyring is inherited across fork, exec and setuid,
 * and a process "possesses" every key in it. A worker started from a login
 * session, `keyctl session`, systemd or a container runtime has one, and
 * `/proc/keys` inside the sandbox would list its keys (names, owners, sizes) to
 * uid 65534 through that possession; in the weaker modes, where no seccomp
 * filter denies `keyctl`, the program could even read them. A fresh anonymous
 * keyring (KEYCTL_JOIN_SESSION_KEYRING with no name) is empty and owned by
 * this run alone. If the kernel refuses it, the run does not start (fail
 * closed): the launcher exits with a line on stderr.
 *
 * Perl when the host has it (perl-base is part of every Debian/Ubuntu
 * system; its `syscall` built-in costs ~1 ms), else the python3 the sandbox
 * needs anyway, through ctypes (~15 ms more per run).
 */
import * as os from 'node:os';

/** keyctl(2) by architecture (Node's process.arch). */
const KEYCTL_SYSCALL: Record<string, number> = { x64: 250, ia32: 288, arm64: 219, arm: 311, riscv64: 219, ppc64: 355, s390x: 280, loong64: 219 };
/** Exit code of a launcher that could not prepare the run (nothing of the program ran). */
export const LAUNCH_FAILED_EXIT = 125;

const PERL = String.raw`
for my $f (grep { length } split /\n/, $ENV{MAS2_CGROUP_PROCS} // '') {
  open(my $h, '>>', $f) or do { print STDERR "mas2-launch: cannot join the cgroup $f: $!\n"; exit 125 };
  print $h "$$\n";
  close($h) or do { print STDERR "mas2-launch: cannot join the cgroup $f: $!\n"; exit 125 };
}
delete $ENV{MAS2_CGROUP_PROCS};
# 1 = KEYCTL_JOIN_SESSION_KEYRING, 0 = no name: a new anonymous keyring
if (syscall($ENV{MAS2_KEYCTL} + 0, 1, 0) < 0) { print STDERR "mas2-launch: cannot give the sandbox its own session keyring (keyctl: $!)\n"; exit 125 }
delete $ENV{MAS2_KEYCTL};
exec { $ARGV[0] } @ARGV;
print STDERR "mas2-launch: cannot run $ARGV[0]: $!\n";
exit 125;
`;

const PYTHON = String.raw`
import os, sys, ctypes
def fail(msg):
    os.write(2, ('mas2-launch: %s\n' % msg).encode())
    os._exit(125)
for f in [p for p in os.environ.pop('MAS2_CGROUP_PROCS', '').split('\n') if p]:
    try:
        with open(f, 'a') as h:
            h.write('%d\n' % os.getpid())
    except OSError as e:
        fail('cannot join the cgroup %s: %s' % (f, e.strerror))
libc = ctypes.CDLL(None, use_errno=True)
# 1 = KEYCTL_JOIN_SESSION_KEYRING, 0 = no name: a new anonymous keyring
if libc.syscall(ctypes.c_long(int(os.environ.pop('MAS2_KEYCTL'))), ctypes.c_long(1), ctypes.c_long(0)) < 0:
    fail('cannot give the sandbox its own session keyring (keyctl: %s)' % os.strerror(ctypes.get_errno()))
try:
    os.execv(sys.argv[1], sys.argv[1:])
except OSError as e:
    fail('cannot run %s: %s' % (sys.argv[1], e.strerror))
`;

export interface Launcher {
  /** Put in front of the sandbox's own argv. */
  argv: string[];
  /** Added to the spawn environment (the launcher removes it before the exec). */
  env: Record<string, string>;
}

/** The launcher for this host, or a one-line reason it cannot be built. */
export function launcher(bins: { perl?: string; python: string }, cgroupProcs: string[]): Launcher | { refusal: string } {
  const nr = KEYCTL_SYSCALL[os.arch()];
  if (nr === undefined) return { refusal: `no keyctl syscall number known for ${os.arch()}: cannot give the sandbox its own session keyring` };
  if (cgroupProcs.some((f) => f.includes('\n'))) return { refusal: 'a cgroup path contains a newline' };
  const env = { MAS2_CGROUP_PROCS: cgroupProcs.join('\n'), MAS2_KEYCTL: String(nr) };
  if (bins.perl) return { argv: [bins.perl, '-e', PERL, '--'], env };
  return { argv: [bins.python, '-I', '-S', '-c', PYTHON], env };
}
