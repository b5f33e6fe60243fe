/**
 * The seccomp policy of the sandbox, in Kafel (nsjail's policy language).
 *
 * Model-written code needs files, processes, threads, pipes, memory and
 * (to fail cleanly) inet sockets. Everything below is denied with an errno, so a
 * program gets an ordinary error instead of being killed:
 *
 * - keyrings (`keyctl`, `add_key`, `request_key`): the worker's session keyring
 *   and uid 65534's user keyring are host-wide objects that namespaces do not
 *   separate. ENOSYS, as on a kernel without keys.
 * - namespaces and mounts (`unshare`, `setns`, namespace flags of `clone`,
 *   `clone3` whose flags seccomp cannot read: ENOSYS makes libc fall back to
 *   `clone`), the new mount API, `pivot_root`, `chroot`.
 * - debugging other processes (`ptrace`, `process_vm_*`, `pidfd_getfd`).
 * - kernel modules, kexec, `bpf`, `perf_event_open`, `userfaultfd`, `io_uring`
 *   (it could open sockets past this filter), handles by inode
 *   (`open_by_handle_at`), host-wide settings (clock, swap, reboot, quota, acct,
 *   syslog, host/domain name), `iopl`/`ioperm`/`modify_ldt`.
 * - sockets of any family but AF_UNIX, AF_INET, AF_INET6 (AF_VSOCK reaches the
 *   hypervisor and is not isolated by network namespaces; AF_PACKET, AF_NETLINK,
 *   AF_ALG... are kernel attack surface), and raw / packet inet sockets.
 *
 * Syscalls from Linux 5.1 on have the same number on every architecture; those
 * are written as SYSCALL[n] where Kafel's table may not know the name.
 */

const EPERM = 1;
const ENOSYS = 38;
const EAFNOSUPPORT = 97;

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_RAW = 3;
const SOCK_PACKET = 10;
/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;

/** Denied with ENOSYS: libc treats them as "not supported here". */
const NOT_SUPPORTED = ['keyctl', 'add_key', 'request_key', 'clone3'];

/** Denied with EPERM. */
const FORBIDDEN = [
  // namespaces and mounts
  'unshare', 'setns', 'mount', 'umount', 'pivot_root', 'chroot',
  'SYSCALL[428]' /* open_tree */, 'SYSCALL[429]' /* move_mount */, 'SYSCALL[430]' /* fsopen */,
  'SYSCALL[431]' /* fsconfig */, 'SYSCALL[432]' /* fsmount */, 'SYSCALL[433]' /* fspick */,
  'SYSCALL[442]' /* mount_setattr */,
  // other processes
  'ptrace', 'process_vm_readv', 'process_vm_writev', 'SYSCALL[438]' /* pidfd_getfd */, 'kcmp',
  // kernel code and kernel-wide facilities
  'init_module', 'finit_module', 'delete_module', 'kexec_load', 'kexec_file_load',
  'bpf', 'perf_event_open', 'userfaultfd',
  'SYSCALL[425]' /* io_uring_setup */, 'SYSCALL[426]' /* io_uring_enter */, 'SYSCALL[427]' /* io_uring_register */,
  'open_by_handle_at', 'name_to_handle_at', 'fanotify_init', 'lookup_dcookie',
  'reboot', 'swapon', 'swapoff', 'syslog', 'acct', 'quotactl', 'SYSCALL[443]' /* quotactl_fd */,
  'settimeofday', 'clock_settime', 'clock_adjtime', 'adjtimex',
  'sethostname', 'setdomainname', 'vhangup', 'uselib', 'nfsservctl',
  'iopl', 'ioperm', 'modify_ldt',
];

export const SECCOMP_POLICY = [
  'POLICY mas2 {',
  `  ERRNO(${ENOSYS}) { ${NOT_SUPPORTED.join(', ')} },`,
  `  ERRNO(${EPERM}) { ${FORBIDDEN.join(', ')} },`,
  `  ERRNO(${EAFNOSUPPORT}) {`,
  `    socket(domain, type, protocol) { domain != ${AF_UNIX} && domain != ${AF_INET} && domain != ${AF_INET6} },`,
  `    socketpair(domain, type, protocol, sv) { domain != ${AF_UNIX} }`,
  '  },',
  `  ERRNO(${EPERM}) {`,
  `    socket(domain, type, protocol) { (type & 0xf) == ${SOCK_RAW} || (type & 0xf) == ${SOCK_PACKET} },`,
  `    clone(flags, stack, ptid, ctid, tls) { (flags & ${CLONE_NAMESPACE_FLAGS}) != 0 }`,
  '  }',
  '}',
  'USE mas2 DEFAULT ALLOW',
  '',
].join('\n');
