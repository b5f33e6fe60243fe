/**
 * The Python program that runs as PID 1 inside the nsjail sandbox, as the
 * sandbox uid, without capabilities, under the seccomp policy.
 *
 * nsjail has already built the namespaces, the mount tree, the cgroup and the
 * filter; this init only:
 *   0. ignores every catchable signal but SIGCHLD: the kernel delivers a signal
 *      from inside the namespace to its PID 1 only when PID 1 handles it, and
 *      python3 installs a SIGINT handler of its own, so without this the program
 *      could end the init (and lose its own output) with one os.kill(1, SIGINT),
 *   1. reads the untrusted code from stdin and writes it to /tmp/<script>,
 *      creates the working folder /tmp/work,
 *   2. forks the program with every signal back to its default disposition (an
 *      ignored signal stays ignored across exec) and its own resource limits
 *      (soft CPU limit first, so an infinite loop gets SIGXCPU and we can say
 *      so), stderr on fd 4,
 *   3. reaps every process of the namespace (orphans are re-parented to it),
 *   4. reports the program's status as one JSON line on fd 3.
 * When it exits the kernel kills every process left in the PID namespace, so
 * nothing the code started (double forks, setsid daemons) survives the run.
 *
 * It is launched as `python3 -I -S -c <this> <script> <cpu> <as> <fsize> <nofile>
 * <n> <n × NAME=VALUE> <program argv...>` (no json: importing it would double
 * the init's start-up time). /proc/1/cmdline shows only this code and that
 * config (the interpreter, /tmp paths, limits), never a host path of the worker.
 * Status lines on fd 3 are `key value` (see parseInitStatus in sandbox.ts).
 */
export const SANDBOX_INIT_PY = String.raw`
import os, sys, resource, _signal

KEEP = (_signal.SIGKILL, _signal.SIGSTOP, _signal.SIGCHLD)

def dispose(action):
    for s in range(1, _signal.NSIG):
        if s not in KEEP:
            try:
                _signal.signal(s, action)
            except (OSError, ValueError, RuntimeError):
                pass  # numbers libc keeps for itself (32, 33)

dispose(_signal.SIG_IGN)

a = sys.argv
script = a[1]
cpu, vmem, fsize, nofile = int(a[2]), int(a[3]), int(a[4]), int(a[5])
nenv = int(a[6])
env = dict(kv.split('=', 1) for kv in a[7:7 + nenv])
argv = a[7 + nenv:]

def report(key, value):
    try:
        os.write(3, ('%s %s\n' % (key, str(value).replace('\n', ' '))).encode())
    except OSError:
        pass

try:
    code = sys.stdin.buffer.read()
    os.mkdir('/tmp/work', 0o700)
    fd = os.open('/tmp/' + script, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    view = memoryview(code)
    while view:
        n = os.write(fd, view)
        view = view[n:]
    os.close(fd)
except BaseException as e:
    report('setup_error', '%s: %s' % (type(e).__name__, e))
    os._exit(70)

pid = os.fork()
if pid == 0:
    try:
        dispose(_signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (vmem, vmem))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.chdir('/tmp/work')
        nul = os.open('/dev/null', os.O_RDONLY)
        os.dup2(nul, 0)
        os.dup2(4, 2)
        os.close(4)
        os.closerange(5, 65536)
        os.set_inheritable(3, False)
        os.execve(argv[0], argv, env)
    except BaseException as e:
        report('exec_error', '%s: %s' % (argv[0], e))
    os._exit(127)

os.close(4)
st = None
ru = None
while True:
    try:
        p, s, r = os.wait4(-1, 0)
    except ChildProcessError:
        break
    except InterruptedError:
        continue
    if p == pid:
        st, ru = s, r
        break
if st is not None:
    if os.WIFSIGNALED(st):
        report('signal', os.WTERMSIG(st))
    elif os.WIFEXITED(st):
        report('exit', os.WEXITSTATUS(st))
    report('cpu', ru.ru_utime + ru.ru_stime)
os._exit(0)
`;
