/**
 * Escape classes closed by the nsjail sandbox (docs/tools.md): kernel objects shared
 * between runs (IPC namespace), keyrings, memory beyond the cap (cgroup),
 * tmpfs inode and size caps, fail-closed hiding when the interpreter lives in a
 * hidden folder, socket families, dangerous syscalls (seccomp), and host paths
 * visible from inside. Each case is hostile code that must be contained.
 *
 * Like the adversarial suite this FAILS on a host without the full sandbox,
 * unless MAS2_ALLOW_WEAK_SANDBOX=1 (then it is skipped).
 */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ToolResult } from '../../../mas/messages';
import { createPythonTool, pythonTool } from '../../../activities/tools/python';
import { detectSandbox, type SandboxCapabilities, type SandboxOptions } from '../../../activities/tools/sandbox';

jest.setTimeout(90_000);

const PROJECT_DIR = path.resolve(__dirname, '..', '..', '..');
const token = crypto.randomBytes(6).toString('hex');
let caps: SandboxCapabilities;
let base: string;
let ws: string;

beforeAll(async () => {
  caps = await detectSandbox();
  // Not under /tmp: the jail has its own /tmp, so an interpreter there could never be mounted.
  base = fs.mkdtempSync('/var/tmp/mas2-esc-');
  ws = path.join(base, 'workspace');
  fs.mkdirSync(ws);
  fs.writeFileSync(path.join(ws, 'notes.md'), `workspace secret ${token}`);
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function strong(): boolean {
  if (caps.mode === 'namespaces' && caps.cgroup && !caps.refusal) return true;
  if (process.env.MAS2_ALLOW_WEAK_SANDBOX === '1') {
    console.warn(`escape case skipped: sandbox mode ${caps.mode}: ${caps.notes.join('; ')}`);
    return false;
  }
  throw new Error(`the full sandbox (nsjail + cgroup) is not available on this host: ${caps.notes.join('; ')}. Set MAS2_ALLOW_WEAK_SANDBOX=1 to skip.`);
}

async function py(code: string, options?: SandboxOptions, workspaceDir = ws): Promise<ToolResult> {
  const tool = options ? createPythonTool(options) : pythonTool;
  return tool.execute({ code }, { workspaceDir });
}

/** ctypes helpers for raw syscalls (x86_64 numbers) and libc IPC calls. */
const LIBC = `
import ctypes, ctypes.util, os, errno
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def sc(*a):
    ctypes.set_errno(0)
    r = libc.syscall(*[ctypes.c_long(x) for x in a])
    return r, ctypes.get_errno()
`;

function hostPython(code: string): string {
  return execFileSync('/usr/bin/python3', ['-I', '-c', LIBC + code], { encoding: 'utf8' });
}

describe('escapes: kernel objects are private to a run and die with it (IPC namespace)', () => {
  const key = 0x6d00 + (parseInt(token.slice(0, 4), 16) % 0xff);
  const mq = `/mas2-${token}`;
  const create = `
IPC_CREAT = 0o1000
shm = libc.shmget(${key}, 1 << 20, IPC_CREAT | 0o666)
libc.shmat.restype = ctypes.c_void_p
addr = libc.shmat(shm, None, 0)
ctypes.memmove(addr, b'${token}', 12)
msq = libc.msgget(${key}, IPC_CREAT | 0o666)
sem = libc.semget(${key}, 1, IPC_CREAT | 0o666)
rt = ctypes.CDLL(ctypes.util.find_library('rt') or 'librt.so.1', use_errno=True)
mqd = rt.mq_open(b'${mq}', os.O_CREAT | os.O_RDWR, 0o666, None)
print('CREATED', shm >= 0, msq >= 0, sem >= 0, mqd >= 0)
`;
  const lookup = `
shm = libc.shmget(${key}, 0, 0); e1 = ctypes.get_errno()
msq = libc.msgget(${key}, 0); e2 = ctypes.get_errno()
sem = libc.semget(${key}, 0, 0); e3 = ctypes.get_errno()
rt = ctypes.CDLL(ctypes.util.find_library('rt') or 'librt.so.1', use_errno=True)
mqd = rt.mq_open(b'${mq}', os.O_RDWR); e4 = ctypes.get_errno()
print('LOOKUP', shm, e1, msq, e2, sem, e3, mqd, e4)
`;

  test('SysV shm, message queues, semaphores and POSIX mqueues left by one run are gone for the next run and for the host', async () => {
    if (!strong()) return;
    const a = await py(LIBC + create);
    expect(a.output).toBe('CREATED True True True True\n');
    const b = await py(LIBC + lookup);
    // ENOENT (2) for all four: the next run starts with an empty IPC namespace.
    expect(b.output).toBe('LOOKUP -1 2 -1 2 -1 2 -1 2\n');
    expect(hostPython(lookup)).toBe('LOOKUP -1 2 -1 2 -1 2 -1 2\n');
  });

  test('a run cannot reach the SysV objects of the host either', async () => {
    if (!strong()) return;
    const hostKey = key + 1;
    const made = hostPython(`shm = libc.shmget(${hostKey}, 4096, 0o1000 | 0o666)\nprint(shm >= 0)`);
    expect(made).toBe('True\n');
    try {
      const r = await py(LIBC + `print('LOOKUP', libc.shmget(${hostKey}, 0, 0), ctypes.get_errno())`);
      expect(r.output).toBe('LOOKUP -1 2\n');
    } finally {
      hostPython(`libc.shmctl(libc.shmget(${hostKey}, 0, 0), 0, None)`); // IPC_RMID
    }
  });
});

describe('escapes: keyrings', () => {
  test("the worker's session keyring and nobody's user keyring cannot be read or written", async () => {
    if (!strong()) return;
    const r = await py(
      LIBC +
        `
KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING = -3, -4
print('session', sc(250, 0, KEY_SPEC_SESSION_KEYRING, 0))   # keyctl(GET_KEYRING_ID)
print('user', sc(250, 0, KEY_SPEC_USER_KEYRING, 1))         # ... and create it
print('join', sc(250, 1, 0))                                # keyctl(JOIN_SESSION_KEYRING)
sysc = libc.syscall
print('add', sysc(248, b'user', b'mas2-${token}', b'secret', 6, KEY_SPEC_USER_KEYRING), ctypes.get_errno())     # add_key
print('request', sysc(249, b'user', b'mas2-${token}', None, KEY_SPEC_SESSION_KEYRING), ctypes.get_errno())   # request_key
`,
    );
    expect(r.output).toBe('session (-1, 38)\nuser (-1, 38)\njoin (-1, 38)\nadd -1 38\nrequest -1 38\n');
  });
});

describe('escapes: memory beyond the cap (cgroup)', () => {
  test('memfd pages count: 50 memfds of 15 MiB (each under the file size limit) are stopped at the run cap', async () => {
    if (!strong()) return;
    const r = await py(
      `import os\nb = b'x' * (1 << 20)\nfds = []\nfor i in range(50):\n    fd = os.memfd_create('x%d' % i)\n    for j in range(15):\n        os.write(fd, b)\n    fds.append(fd)\nprint('HELD 750 MiB')`,
    );
    expect(r.output).not.toContain('HELD');
    expect(r).toMatchObject({ ok: false, limit: 'memory' });
    expect(r.error).toMatch(/memory limit \(512 MiB for the whole run/);
  });

  test('SysV shared memory counts: segments kept without being attached are stopped at the run cap, and die with the run', async () => {
    if (!strong()) return;
    // Two 300 MiB segments, attached one at a time (each under RLIMIT_AS), both kept: 600 MiB held.
    const r = await py(
      LIBC +
        `libc.shmat.restype = ctypes.c_void_p\nfor k in (0x4d41, 0x4d42):\n    shm = libc.shmget(k, 300 << 20, 0o1000 | 0o600)\n    addr = libc.shmat(shm, None, 0)\n    print('ATTACHED', k, flush=True)\n    ctypes.memset(addr, 1, 300 << 20)\n    libc.shmdt(ctypes.c_void_p(addr))\nprint('HELD 600 MiB')`,
    );
    expect(r.output).not.toContain('HELD');
    expect(r).toMatchObject({ ok: false, limit: 'memory' });
    const again = await py(LIBC + `print(libc.shmget(0x4d41, 0, 0), ctypes.get_errno())`);
    expect(again.output).toBe('-1 2\n');
  });

  test('many processes under the per-process limit together hit the run cap', async () => {
    if (!strong()) return;
    // 4 × 200 MiB: each under RLIMIT_AS (512 MiB), together over the 512 MiB of the run.
    const r = await py(
      `import os, time\nkids = []\nfor i in range(4):\n    pid = os.fork()\n    if pid == 0:\n        b = bytearray(200 << 20)\n        for j in range(0, len(b), 4096): b[j] = 1\n        time.sleep(5)\n        os._exit(0)\n    kids.append(pid)\nok = sum(os.waitpid(k, 0)[1] == 0 for k in kids)\nprint('SURVIVORS', ok)\nraise SystemExit(0 if ok == 4 else 3)`,
    );
    expect(r).toMatchObject({ ok: false, limit: 'memory' });
    expect(r.output).not.toContain('SURVIVORS 4');
  });

  test('the next run is fine', async () => {
    if (!strong()) return;
    expect((await py('print("alive")')).output).toBe('alive\n');
  });
});

describe('escapes: tmpfs caps', () => {
  test('hundreds of thousands of empty files stop at the inode cap', async () => {
    if (!strong()) return;
    const r = await py(
      `import os\nn = 0\ntry:\n    for i in range(300000):\n        open('f%d' % i, 'w').close()\n        n += 1\nexcept OSError as e:\n    print('STOPPED', n, e.errno)\n`,
    );
    const m = /STOPPED (\d+) (\d+)/.exec(r.output);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBe(28); // ENOSPC
    expect(Number(m![1])).toBeLessThan(4096);
  });

  test('/dev/shm has an inode cap too, and /tmp a size cap across many files', async () => {
    if (!strong()) return;
    const r = await py(
      `import os\nn = 0\ntry:\n    for i in range(10000):\n        open('/dev/shm/f%d' % i, 'w').close(); n += 1\nexcept OSError as e:\n    print('SHM', n, e.errno)\n` +
        `total = 0\ntry:\n    for i in range(20):\n        with open('big%d' % i, 'wb') as f:\n            f.write(b'x' * (8 << 20)); total += 8\nexcept OSError as e:\n    print('TMP', total, e.errno)\n`,
    );
    const shm = /SHM (\d+) 28/.exec(r.output);
    expect(shm).not.toBeNull();
    expect(Number(shm![1])).toBeLessThan(100);
    const tmp = /TMP (\d+) 28/.exec(r.output);
    expect(tmp).not.toBeNull();
    expect(Number(tmp![1])).toBeLessThanOrEqual(64);
  });
});

describe('escapes: fail-closed hiding when the interpreter lives in a hidden folder', () => {
  /** A copy (hard link when possible) of the system python at `file`. */
  function plantPython(file: string): string {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const src = fs.realpathSync('/usr/bin/python3');
    try {
      fs.linkSync(src, file);
    } catch {
      fs.copyFileSync(src, file);
      fs.chmodSync(file, 0o755);
    }
    return file;
  }

  async function withInterpreter<T>(interp: string, env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
    const saved: Record<string, string | undefined> = { MAS2_SANDBOX_PYTHON: process.env.MAS2_SANDBOX_PYTHON };
    for (const k of Object.keys(env)) saved[k] = process.env[k];
    process.env.MAS2_SANDBOX_PYTHON = interp;
    Object.assign(process.env, env);
    try {
      return await fn();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }

  test('an interpreter whose install prefix is $MAS2_HOME is refused with a one-line reason', async () => {
    if (!strong()) return;
    const home = path.join(base, 'mas2home');
    fs.mkdirSync(path.join(home, 'runs', 'other-run'), { recursive: true });
    fs.writeFileSync(path.join(home, 'runs', 'other-run', 'result.json'), `other run ${token}`);
    const interp = plantPython(path.join(home, 'bin', 'python3'));
    await withInterpreter(interp, { MAS2_HOME: home }, async () => {
      const err = await py('print(open("runs/other-run/result.json").read())').catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/refusing to run: the interpreter .*mas2home\/bin\/python3 lives in .*mas2home, a folder the sandbox must hide/);
      expect((err as Error).message).not.toContain('\n');
    });
  });

  test('an interpreter in a home folder (prefix = the home folder) is refused', async () => {
    if (!strong()) return;
    const interp = plantPython(path.join(os.homedir(), `.mas2-esc-${token}`, 'python3'));
    try {
      await withInterpreter(interp, {}, async () => {
        await expect(py('print(1)')).rejects.toThrow(/refusing to run: the interpreter .* has no install prefix of its own|a folder the sandbox must hide/);
      });
    } finally {
      fs.rmSync(path.dirname(interp), { recursive: true, force: true });
    }
  });

  test("an interpreter with its own prefix runs, and sees only that prefix: not its neighbours, not a workspace inside it", async () => {
    if (!strong()) return;
    const prefix = path.join(base, 'opt', 'py');
    const interp = plantPython(path.join(prefix, 'bin', 'python3'));
    const innerWs = path.join(prefix, 'ws');
    fs.mkdirSync(innerWs);
    fs.writeFileSync(path.join(innerWs, 'secret.txt'), `inner ${token}`);
    fs.writeFileSync(path.join(base, 'opt', 'neighbour.txt'), `neighbour ${token}`);
    await withInterpreter(interp, {}, async () => {
      const r = await py(
        `import os, sys\nprint(sys.executable)\nprint(sorted(os.listdir(${JSON.stringify(prefix)})), os.listdir(${JSON.stringify(innerWs)}))\n` +
          `for p in [${JSON.stringify(path.join(innerWs, 'secret.txt'))}, ${JSON.stringify(path.join(base, 'opt', 'neighbour.txt'))}, ${JSON.stringify(path.join(ws, 'notes.md'))}]:\n` +
          `    try: print('READ', open(p).read())\n    except OSError as e: print('DENIED', type(e).__name__)`,
        undefined,
        innerWs,
      );
      expect(r.ok).toBe(true);
      expect(r.output).toContain(interp);
      expect(r.output).toContain("['bin', 'ws'] []");
      expect(r.output).not.toContain(token);
      expect(r.output.match(/DENIED (FileNotFoundError|PermissionError)/g)).toHaveLength(3);
    });
  });
});

describe('escapes: sockets', () => {
  test('AF_VSOCK, AF_PACKET, AF_NETLINK, AF_ALG, AF_BLUETOOTH and raw inet sockets are denied; plain TCP/UDP/unix sockets still open', async () => {
    if (!strong()) return;
    const r = await py(
      `import socket\nfor name, fam, typ in [('vsock', 40, 1), ('packet', 17, 3), ('netlink', 16, 3), ('alg', 38, 5), ('bluetooth', 31, 1), ('raw4', 2, 3), ('raw6', 10, 3), ('raw4nb', 2, 3 | 0o4000), ('packet4', 2, 10)]:\n` +
        `    try:\n        socket.socket(fam, typ); print(name, 'OPEN')\n    except OSError as e:\n        print(name, 'DENIED', e.errno)\n` +
        `for fam, typ in [(2, 1), (2, 2), (10, 1), (1, 1)]:\n    socket.socket(fam, typ).close()\nprint('ordinary sockets ok')\n` +
        `try:\n    socket.socketpair(40, 1); print('pair OPEN')\nexcept OSError as e: print('pair DENIED', e.errno)\n` +
        `a, b = socket.socketpair(); a.close(); b.close(); print('unix pair ok')`,
    );
    expect(r.output).not.toContain('OPEN');
    for (const n of ['vsock', 'packet', 'netlink', 'alg', 'bluetooth']) expect(r.output).toContain(`${n} DENIED 97`);
    for (const n of ['raw4', 'raw6', 'raw4nb', 'packet4']) expect(r.output).toContain(`${n} DENIED 1`);
    expect(r.output).toContain('ordinary sockets ok\npair DENIED 97\nunix pair ok');
  });
});

describe('escapes: dangerous syscalls (seccomp)', () => {
  test('namespace, mount, ptrace, module, bpf, perf, io_uring, userfaultfd... calls fail; threads and subprocesses still work', async () => {
    if (!strong() || process.arch !== 'x64') return;
    const calls: [string, number[]][] = [
      ['unshare_user', [272, 0x10000000]],
      ['unshare_mnt', [272, 0x20000]],
      ['unshare_net', [272, 0x40000000]],
      ['setns', [308, 0, 0]],
      ['clone_newuser', [56, 0x10000000 | 17, 0, 0, 0, 0]],
      ['mount', [165, 0, 0, 0, 0, 0]],
      ['umount2', [166, 0, 0]],
      ['pivot_root', [155, 0, 0]],
      ['chroot', [161, 0]],
      ['ptrace_traceme', [101, 0, 0, 0, 0]],
      ['ptrace_attach_1', [101, 16, 1, 0, 0]],
      ['process_vm_readv', [310, 1, 0, 0, 0, 0, 0]],
      ['init_module', [175, 0, 0, 0]],
      ['finit_module', [313, 0, 0, 0]],
      ['delete_module', [176, 0, 0]],
      ['kexec_load', [246, 0, 0, 0, 0]],
      ['bpf', [321, 0, 0, 0]],
      ['perf_event_open', [298, 0, 0, -1, -1, 0]],
      ['userfaultfd', [323, 0]],
      ['io_uring_setup', [425, 1, 0]],
      ['open_tree', [428, -100, 0, 0]],
      ['fsopen', [430, 0, 0]],
      ['pidfd_getfd', [438, 0, 0, 0]],
      ['open_by_handle_at', [304, 0, 0, 0]],
      ['syslog', [103, 3, 0, 0]],
      ['iopl', [172, 3]],
      ['clone3', [435, 0, 0]],
    ];
    const r = await py(
      LIBC +
        `for name, args in ${JSON.stringify(calls)}:\n    r, e = sc(*args)\n    print(name, r, e)\n` +
        `import threading, subprocess\nt = threading.Thread(target=lambda: print('thread ok')); t.start(); t.join()\nprint(subprocess.run(['echo', 'child ok'], capture_output=True, text=True).stdout.strip())`,
    );
    expect(r.ok).toBe(true);
    for (const [name] of calls) {
      const m = new RegExp(`^${name} (-?\\d+) (\\d+)$`, 'm').exec(r.output);
      expect(m).not.toBeNull();
      expect([name, m![1]]).toEqual([name, '-1']);
      expect([name, ['1', '38']]).toEqual([name, expect.arrayContaining([m![2]])]);
    }
    expect(r.output).toContain('thread ok\nchild ok');
  });
});

describe('escapes: host paths of the worker', () => {
  test('/proc/1/cmdline, mountinfo, environ, cgroup, cwd and hostname reveal no path of the worker', async () => {
    if (!strong()) return;
    const mas2Home = path.join(base, 'home-of-mas2');
    fs.mkdirSync(mas2Home);
    const saved = process.env.MAS2_HOME;
    process.env.MAS2_HOME = mas2Home;
    try {
      const r = await py(
        `import os, socket\nfor p in ['/proc/1/cmdline', '/proc/self/cmdline', '/proc/self/mountinfo', '/proc/self/environ', '/proc/1/environ', '/proc/self/cgroup', '/proc/1/mountinfo']:\n` +
          `    try: print(p, open(p, 'rb').read().replace(b'\\0', b' ').decode())\n    except OSError as e: print(p, 'DENIED', e.errno)\n` +
          `print('cwd', os.getcwd(), 'host', socket.gethostname())\nprint(os.listdir('/'))`,
      );
      expect(r.ok).toBe(true);
      for (const p of [PROJECT_DIR, process.cwd(), ws, base, mas2Home, os.homedir() === '/' ? '/nonexistent' : os.homedir()]) expect(r.output).not.toContain(p);
      const cg = /\/proc\/self\/cgroup ([\s\S]*?)\n\/proc\/1\/mountinfo/.exec(r.output)![1].trim().split('\n');
      for (const line of cg) expect(line).toMatch(/:\/$/); // the cgroup namespace: every hierarchy shows its root
      expect(r.output).toMatch(/cwd \/tmp\/work host sandbox/);
    } finally {
      if (saved === undefined) delete process.env.MAS2_HOME;
      else process.env.MAS2_HOME = saved;
    }
  });
});
