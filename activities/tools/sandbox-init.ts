/**
 * The Python program that runs as PID 1 inside the sandbox's fresh
 * mount + PID + network namespaces (started by `unshare`, still privileged
 * inside the namespaces: real root, or root of a user namespace).
 *
 * It reads the untrusted code from stdin, then, before running it:
 *   1. remounts every visible mount read-only (only in this private mount
 *      namespace; the host is untouched),
 *   2. hides host folders (home dirs, the project, $MAS2_HOME...) under empty
 *      read-only tmpfs mounts,
 *   3. mounts a fresh, size-limited tmpfs on /tmp with the writable workspace
 *      /tmp/work (owned by the sandbox uid; its own bind mount) and the script,
 *      then makes /tmp itself read-only; mounts a private /dev/shm,
 *   4. checks that every mount still visible is read-only except its own,
 * then forks the (privilege-dropping, rlimit-setting) command line given in
 * the config, waits for it, and reports its status as one JSON line on fd 3.
 * When it exits the kernel kills every process left in the PID namespace, so
 * nothing the code started (double forks, setsid daemons) survives the run.
 *
 * Setup failures are reported as {"setup_error": ...}: the run fails closed
 * (the code is never run without the isolation it was promised).
 */
export const SANDBOX_INIT_PY = String.raw`
import json, os, sys, subprocess

cfg = json.loads(sys.argv[1])

def report(obj):
    try:
        os.write(3, (json.dumps(obj) + '\n').encode())
    except OSError:
        pass

def fail(msg):
    report({'setup_error': msg})
    os._exit(70)

def run_mount(args):
    r = subprocess.run([cfg['mount']] + args, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return r.returncode == 0, r.stderr.decode('utf-8', 'replace').strip()

def unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == '\\' and s[i + 1:i + 4].isdigit() and len(s[i + 1:i + 4]) == 3:
            out.append(chr(int(s[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(s[i])
            i += 1
    return ''.join(out)

def mount_points():
    with open('/proc/self/mounts', 'rb') as f:
        lines = f.read().decode('utf-8', 'replace').splitlines()
    seen = []
    for line in lines:
        parts = line.split(' ')
        if len(parts) >= 4:
            mp = unescape(parts[1])
            if mp not in seen:
                seen.append(mp)
    return seen

def is_ro(p):
    try:
        return bool(os.statvfs(p).f_flag & os.ST_RDONLY)
    except OSError:
        return True

def under(p, base):
    return p == base or p.startswith(base.rstrip('/') + '/')

try:
    code = sys.stdin.buffer.read()
    for mp in mount_points():
        if is_ro(mp):
            continue
        ok, err = run_mount(['-o', 'remount,bind,ro', mp])
        if not ok and not is_ro(mp):
            fail('could not make %s read-only: %s' % (mp, err))
    for p in sorted(cfg['hide'], key=len):
        if os.path.isdir(p):
            ok, err = run_mount(['-t', 'tmpfs', '-o', 'ro,nosuid,nodev,size=4k,mode=0755', 'mas2-hidden', p])
            if not ok:
                fail('could not hide %s: %s' % (p, err))
    ok, err = run_mount(['-t', 'tmpfs', '-o', 'nosuid,nodev,size=%d,mode=0755' % cfg['tmpBytes'], 'mas2-tmp', '/tmp'])
    if not ok:
        fail('could not mount a private /tmp: %s' % err)
    writable = ['/tmp']
    if os.path.isdir('/dev/shm'):
        ok, err = run_mount(['-t', 'tmpfs', '-o', 'nosuid,nodev,size=%d,mode=1777' % cfg['shmBytes'], 'mas2-shm', '/dev/shm'])
        if not ok:
            fail('could not mount a private /dev/shm: %s' % err)
        writable.append('/dev/shm')
    os.mkdir('/tmp/work', 0o700)
    if cfg.get('uid') is not None:
        os.chown('/tmp/work', cfg['uid'], cfg['gid'])
    fd = os.open('/tmp/' + cfg['script'], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    view = memoryview(code)
    while view:
        n = os.write(fd, view)
        view = view[n:]
    os.close(fd)
    # /tmp itself read-only; only /tmp/work (its own bind mount) stays writable.
    ok, err = run_mount(['--bind', '/tmp/work', '/tmp/work'])
    if ok:
        ok, err = run_mount(['-o', 'remount,bind,ro', '/tmp'])
    if not ok:
        fail('could not make /tmp read-only: %s' % err)
    writable[0] = '/tmp/work'
    for mp in mount_points():
        if any(under(mp, w) for w in writable):
            continue
        if not is_ro(mp):
            fail('mount point %s is still writable' % mp)
except SystemExit:
    raise
except BaseException as e:
    fail('%s: %s' % (type(e).__name__, e))

pid = os.fork()
if pid == 0:
    try:
        os.chdir('/tmp/work')
        nul = os.open('/dev/null', os.O_RDONLY)
        os.dup2(nul, 0)
        os.set_inheritable(3, False)
        os.closerange(4, 65536)
        argv = cfg['argv']
        os.execvpe(argv[0], argv, cfg['env'])
    except BaseException as e:
        report({'exec_error': '%s: %s' % (cfg['argv'][0], e)})
    os._exit(127)

# Backstop for the wall-clock limit: the worker normally kills us first, but if the
# worker itself dies, nothing would; so PID 1 gives up on its own a bit later.
import signal
def on_alarm(signum, frame):
    report({'backstop': True})
    os._exit(0)
signal.signal(signal.SIGALRM, on_alarm)
signal.alarm(int(cfg.get('backstopSeconds', 0)))

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
res = {}
if st is not None:
    if os.WIFSIGNALED(st):
        res['signal'] = os.WTERMSIG(st)
    elif os.WIFEXITED(st):
        res['exit'] = os.WEXITSTATUS(st)
    res['cpu'] = ru.ru_utime + ru.ru_stime
    res['maxrss_kb'] = ru.ru_maxrss
report(res)
os._exit(0)
`;
