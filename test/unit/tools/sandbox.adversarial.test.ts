/**
 * Adversarial suite for the python sandbox: each case is hostile code, and
 * each must be contained with the reason reported.
 *
 * The strong guarantees need the "namespaces" sandbox mode (root, or
 * unprivileged user namespaces). On a host without them this suite FAILS
 * with an explanation, unless MAS2_ALLOW_WEAK_SANDBOX=1 (then it is skipped).
 */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ToolResult } from '../../../mas/messages';
import { createPythonTool, pythonTool } from '../../../activities/tools/python';
import { detectSandbox, type SandboxCapabilities, type SandboxOptions } from '../../../activities/tools/sandbox';
import { dataPaths } from '../../../activities/dataPaths';
import { runNode } from '../../helpers/tsChild';

jest.setTimeout(60_000);

const SECRET = 'sk-secret-123';
const PROJECT_DIR = path.resolve(__dirname, '..', '..', '..');
/** A uid used only by this file, so `pgrep -u` is not confused by sandboxes of other test files running in parallel. */
const PRIVATE_UID = 59_999;

let caps: SandboxCapabilities;
let base: string;
let ws: string;
const token = crypto.randomBytes(6).toString('hex');

beforeAll(async () => {
  process.env.OPENAI_API_KEY = SECRET;
  caps = await detectSandbox();
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-adv-'));
  ws = path.join(base, 'workspace');
  fs.mkdirSync(ws);
  fs.writeFileSync(path.join(ws, 'run-notes.md'), `workspace secret ${token}`);
});
afterAll(() => {
  delete process.env.OPENAI_API_KEY;
  fs.rmSync(base, { recursive: true, force: true });
});

/** false → skip this case (weak sandbox explicitly allowed); throws when the sandbox is weak and that was not allowed. */
function strong(): boolean {
  if (caps.mode === 'namespaces' && caps.rlimits && caps.cgroup && !caps.refusal) return true;
  if (process.env.MAS2_ALLOW_WEAK_SANDBOX === '1') {
    console.warn(`adversarial case skipped: sandbox mode ${caps.mode}: ${caps.notes.join('; ')}`);
    return false;
  }
  throw new Error(
    `the sandbox on this host is weak (mode ${caps.mode}, rlimits ${caps.rlimits}): ${caps.notes.join('; ')}. ` +
      'Run as root or enable unprivileged user namespaces; set MAS2_ALLOW_WEAK_SANDBOX=1 to skip this suite.',
  );
}

async function py(code: string, options?: SandboxOptions): Promise<ToolResult> {
  const tool = options ? createPythonTool(options) : pythonTool;
  return tool.execute({ code }, { workspaceDir: ws });
}

function processesOf(uid: number): string[] {
  try {
    return execFileSync('pgrep', ['-a', '-u', String(uid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch (e) {
    if ((e as { status?: number }).status === 1) return []; // pgrep: nothing matched
    throw e;
  }
}

const TRY_READ = `
def try_read(p):
    try:
        with open(p, 'rb') as f:
            data = f.read()
        print('READ', p, len(data), data[:200])
    except Exception as e:
        print('DENIED', p, type(e).__name__, e)
`;

describe('sandbox: secrets', () => {
  test('API keys in the worker environment are not visible', async () => {
    if (!strong()) return;
    expect(process.env.OPENAI_API_KEY).toBe(SECRET);
    const r = await py(`import os\nprint(dict(os.environ))\n${TRY_READ}\ntry_read('/proc/self/environ')\ntry_read('/proc/1/environ')`);
    expect(r.ok).toBe(true);
    expect(r.output).toMatch(/'PATH': '\/usr\/bin:\/bin'/);
    expect(r.output).not.toContain(SECRET);
    expect(r.output).not.toMatch(/OPENAI_API_KEY/);
    expect(r.stderr ?? '').not.toContain(SECRET);
  });

  test("the worker's /proc/<pid>/environ cannot be read (own PID namespace)", async () => {
    if (!strong()) return;
    const r = await py(
      `${TRY_READ}\ntry_read('/proc/${process.pid}/environ')\ntry_read('/proc/${process.ppid}/environ')\n` +
        `import os\nfor p in os.listdir('/proc'):\n    if p.isdigit(): try_read('/proc/%s/environ' % p)\nprint('PIDS', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))`,
    );
    expect(r.output).toMatch(new RegExp(`DENIED /proc/${process.pid}/environ (FileNotFoundError|PermissionError)`));
    expect(r.output).not.toContain(SECRET);
    // Only the sandbox's own processes exist in its PID namespace (init + the program).
    const pids = JSON.parse(/PIDS (\[.*\])/.exec(r.output)![1]) as number[];
    expect(pids.length).toBeLessThanOrEqual(3);
  });
});

describe('sandbox: host files', () => {
  test('files outside the sandbox cannot be read (private /tmp, hidden project, home, workspace)', async () => {
    if (!strong()) return;
    const rootOnly = path.join(base, 'root-only.txt');
    fs.writeFileSync(rootOnly, `root only ${token}`, { mode: 0o600 });
    const worldReadable = path.join(os.tmpdir(), `mas2-adv-world-${crypto.randomBytes(4).toString('hex')}.txt`);
    fs.writeFileSync(worldReadable, `world readable ${token}`, { mode: 0o644 });
    try {
      const targets = [rootOnly, worldReadable, path.join(PROJECT_DIR, 'package.json'), path.join(ws, 'run-notes.md'), '/root/.bashrc', path.join(os.homedir(), '.mas2')];
      const r = await py(`${TRY_READ}\n` + targets.map((t) => `try_read(${JSON.stringify(t)})`).join('\n'));
      for (const t of targets) expect(r.output).toMatch(new RegExp(`DENIED ${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (FileNotFoundError|PermissionError|IsADirectoryError)`));
      expect(r.output).not.toContain(token);
      expect(r.output).not.toMatch(/"name": "mas2"/);
    } finally {
      fs.rmSync(worldReadable, { force: true });
    }
  });

  test('documented limit: world-readable system files such as /etc/passwd ARE readable', async () => {
    if (!strong()) return;
    const r = await py(`print(open('/etc/passwd').read().splitlines()[0])`);
    expect(r.output).toMatch(/^root:/);
  });

  test('writes outside the private /tmp fail and leave the host untouched', async () => {
    if (!strong()) return;
    const targets = [
      path.join(PROJECT_DIR, `mas2-adv-${token}`),
      path.join(ws, `mas2-adv-${token}`),
      path.join('/var/tmp', `mas2-adv-${token}`),
      path.join('/etc', `mas2-adv-${token}`),
      path.join(os.homedir(), `mas2-adv-${token}`),
    ];
    const r = await py(
      `import os\nfor p in ${JSON.stringify(targets)}:\n    try:\n        open(p, 'w').write('pwned')\n        print('WROTE', p)\n    except Exception as e:\n        print('DENIED', p, type(e).__name__)\n` +
        // /tmp is the run's own capped tmpfs: writable inside, invisible to the host.
        `os.makedirs('/tmp/escape-${token}/deeper'); print('WROTE /tmp/escape')\n` +
        `open('/dev/shm/x-${token}', 'w').write('private shm is fine')\nprint('uid', os.getuid())`,
    );
    for (const t of targets) {
      expect(r.output).toContain(`DENIED ${t} `);
      expect(fs.existsSync(t)).toBe(false);
    }
    expect(r.output).toContain('WROTE /tmp/escape');
    expect(fs.existsSync(`/tmp/escape-${token}`)).toBe(false);
    expect(fs.existsSync(`/dev/shm/x-${token}`)).toBe(false);
    if (caps.dropPrivileges) expect(r.output).toContain('uid 65534');
  });

  test('no way back to root', async () => {
    if (!strong() || !caps.dropPrivileges) return;
    const r = await py(
      `import os\ntry:\n    os.setuid(0); print('ROOT')\nexcept Exception as e: print('DENIED setuid', type(e).__name__)\n` +
        `try:\n    os.setgroups([0]); print('ROOT GROUP')\nexcept Exception as e: print('DENIED setgroups', type(e).__name__)\n` +
        `print(open('/proc/self/status').read())`,
    );
    expect(r.output).toContain('DENIED setuid PermissionError');
    expect(r.output).toContain('DENIED setgroups PermissionError');
    expect(r.output).not.toContain('ROOT');
    expect(r.output).toMatch(/^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
    expect(r.output).toMatch(/^CapEff:\s+0+$/m);
    expect(r.output).toMatch(/^NoNewPrivs:\s+1$/m);
  });
});

describe('sandbox: network', () => {
  test('a TCP connection to a server on 127.0.0.1 fails', async () => {
    if (!strong()) return;
    let connections = 0;
    const server = net.createServer((s) => {
      connections++;
      s.end('hello from the host');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await py(
        `import socket\nfor host in ['127.0.0.1', 'localhost', '::1']:\n    try:\n        s = socket.create_connection((host, ${port}), timeout=2)\n        print('CONNECTED', host, s.recv(100))\n    except Exception as e:\n        print('BLOCKED', host, type(e).__name__, e)\n` +
          `try:\n    socket.create_connection(('1.1.1.1', 443), timeout=2); print('CONNECTED internet')\nexcept Exception as e: print('BLOCKED internet', e)`,
      );
      expect(r.output).not.toContain('CONNECTED');
      expect(r.output).toMatch(/BLOCKED 127\.0\.0\.1 OSError \[Errno 101\] Network is unreachable/);
      expect(r.output).toMatch(/BLOCKED internet/);
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe('sandbox: resource limits', () => {
  test('an infinite loop is stopped by the CPU limit (within ~20 s)', async () => {
    if (!strong()) return;
    // 3 s of CPU instead of the default 10 s keeps the suite short; the wall limit is raised so that
    // on a busy machine (CPU time accrues slower than wall time) it is still the CPU limit that fires.
    const t0 = Date.now();
    const r = await py('while True:\n    pass', { limits: { cpuSeconds: 3, wallSeconds: 40 } });
    const secs = (Date.now() - t0) / 1000;
    expect(r.ok).toBe(false);
    expect(r.limit).toBe('cpu');
    expect(r.error).toMatch(/CPU time limit \(3 s\) exceeded; killed by SIGXCPU/);
    expect(secs).toBeLessThan(40);
  });

  test('a sleeping program is stopped by the wall-clock limit', async () => {
    if (!strong()) return;
    const t0 = Date.now();
    const r = await py('import time\nprint("sleeping", flush=True)\ntime.sleep(3600)', { limits: { wallSeconds: 2 } });
    expect(r).toMatchObject({ ok: false, limit: 'wall', output: 'sleeping\n' });
    expect(r.error).toMatch(/wall-clock time limit \(2 s\)/);
    // The program sleeps an hour; this only proves the limit ended it.
    expect(Date.now() - t0).toBeLessThan(60_000);
  });

  test('allocating 8 GiB hits the memory limit', async () => {
    if (!strong()) return;
    const r = await py('x = bytearray(8 * 1024**3)\nprint("allocated")');
    expect(r).toMatchObject({ ok: false, limit: 'memory' });
    expect(r.error).toMatch(/memory limit \(512 MiB address space\)/);
    expect(r.stderr).toMatch(/MemoryError/);
    expect(r.output).not.toContain('allocated');
  });

  test('growing memory step by step hits the memory limit too', async () => {
    if (!strong()) return;
    const r = await py('chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024**2))');
    expect(r).toMatchObject({ ok: false, limit: 'memory' });
  });

  test('a 20 MiB file hits the file size limit', async () => {
    if (!strong()) return;
    const r = await py('with open("big.bin", "wb") as f:\n    f.write(b"x" * (20 * 1024**2))');
    expect(r).toMatchObject({ ok: false, limit: 'fsize' });
    expect(r.stderr).toMatch(/File too large/);
  });

  test('a fork bomb is contained by the process limit and leaves no process behind', async () => {
    if (!strong()) return;
    const opts: SandboxOptions = { uid: PRIVATE_UID, gid: PRIVATE_UID };
    const r = await py('import os\nwhile True:\n    os.fork()', opts);
    expect(r.ok).toBe(false);
    expect(r.limit).toBe('nproc');
    expect(r.error).toMatch(/process limit \(64 processes\/threads\)/);
    expect(r.stderr).toMatch(/BlockingIOError|Resource temporarily unavailable/);
    if (caps.dropPrivileges) expect(processesOf(PRIVATE_UID)).toEqual([]);
    // The machine is fine: the next run works.
    expect((await py('print("alive")')).output).toBe('alive\n');
  });

  test('a fork bomb that swallows errors is stopped by the wall limit, every process is killed', async () => {
    if (!strong()) return;
    const opts: SandboxOptions = { uid: PRIVATE_UID, gid: PRIVATE_UID, limits: { wallSeconds: 3 } };
    const r = await py('import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass', opts);
    expect(r).toMatchObject({ ok: false });
    expect(['wall', 'cpu', 'nproc']).toContain(r.limit);
    if (caps.dropPrivileges) {
      await new Promise((res) => setTimeout(res, 300));
      expect(processesOf(PRIVATE_UID)).toEqual([]);
    }
  });

  test('a daemon (double fork + setsid) does not outlive the run', async () => {
    if (!strong()) return;
    const opts: SandboxOptions = { uid: PRIVATE_UID, gid: PRIVATE_UID };
    const r = await py(
      'import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(3600)\n    os._exit(0)\nprint("parent exits")',
      opts,
    );
    expect(r).toMatchObject({ ok: true, output: 'parent exits\n' });
    if (caps.dropPrivileges) {
      await new Promise((res) => setTimeout(res, 300));
      expect(processesOf(PRIVATE_UID)).toEqual([]);
    }
  });

  test('printing 50 MB is cut to the output limit', async () => {
    if (!strong()) return;
    const r = await py('import sys\nchunk = "y" * 1_000_000\nfor _ in range(50):\n    sys.stdout.write(chunk)\nprint("THE END")');
    expect(r.ok).toBe(false);
    expect(r.limit).toBe('output');
    expect(r.exitCode).toBe(0);
    expect(Buffer.byteLength(r.output)).toBeLessThanOrEqual(64 * 1024 + 512);
    expect(r.output).toMatch(/bytes of stdout omitted/);
    expect(r.output.endsWith('THE END\n')).toBe(true);
    expect(r.error).toMatch(/output limit \(64 KiB per stream\) exceeded: stdout 50000008 bytes/);
  });

  test('stderr floods are capped as well', async () => {
    if (!strong()) return;
    const r = await py('import sys\nfor _ in range(20):\n    sys.stderr.write("e" * 1_000_000)\nraise SystemExit(2)');
    expect(r).toMatchObject({ ok: false, limit: 'output', exitCode: 2 });
    expect(Buffer.byteLength(r.stderr ?? '')).toBeLessThanOrEqual(64 * 1024 + 2048);
  });
});

// ---------------------------------------------------------------- round 2

describe('round 2: the init cannot be killed and the program starts with default signals', () => {
  test('every signal the program sends to PID 1 is ignored: the run ends normally with all its output', async () => {
    if (!strong()) return;
    const r = await py(
      'import os, signal, time\nprint("before", flush=True)\nsent = 0\nfor s in range(1, signal.NSIG):\n' +
        '    try:\n        os.kill(1, s); sent += 1\n    except OSError:\n        pass\ntime.sleep(0.3)\nprint("after", sent)',
    );
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(r.output).toMatch(/^before\nafter \d+\n$/);
    expect(Number(/after (\d+)/.exec(r.output)![1])).toBeGreaterThan(60);
  });

  test('the program itself gets every signal at its default disposition (none stays ignored across the exec)', async () => {
    if (!strong()) return;
    const r = await py(
      'import signal\nprint(signal.getsignal(signal.SIGINT) is signal.default_int_handler, ' +
        '[s for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGQUIT, signal.SIGALRM) if signal.getsignal(s) != signal.SIG_DFL])',
    );
    expect(r.output).toBe('True []\n');
  });
});

describe("round 2: the worker's session keyring is not the sandbox's", () => {
  test('/proc/keys inside lists none of the keys of a worker that holds a session keyring', async () => {
    if (!strong() || process.arch !== 'x64') return;
    const name = `mas2-worker-key-${token}`;
    // The worker joins a named session keyring holding a key, then runs the python tool.
    const hostPython = [
      '/usr/bin/python3',
      '-c',
      'import ctypes, os, sys\nlibc = ctypes.CDLL(None, use_errno=True)\n' +
        "assert libc.syscall(ctypes.c_long(250), ctypes.c_long(1), ctypes.c_char_p(b'worker-session-" + token + "')) >= 0\n" +
        "assert libc.syscall(ctypes.c_long(248), ctypes.c_char_p(b'user'), ctypes.c_char_p(sys.argv[1].encode()), ctypes.c_char_p(b'hunter2'), ctypes.c_long(7), ctypes.c_long(-3)) >= 0\n" +
        'os.execv(sys.argv[2], sys.argv[2:])',
      name,
    ];
    const out = await runNode(
      `const { pythonTool } = require('./activities/tools/python.ts');
       const r = await pythonTool.execute({ code: "print(open('/proc/keys').read())" }, { workspaceDir: ${JSON.stringify(ws)} });
       process.stdout.write(JSON.stringify(r));`,
      hostPython,
    );
    const r = JSON.parse(out) as ToolResult;
    expect(r.ok).toBe(true);
    expect(r.output).not.toContain(name);
    expect(r.output).not.toContain(`worker-session-${token}`);
    expect(r.output).toMatch(/keyring\s+_ses: empty/);
  });
});

describe('round 2: every data folder the configuration names is hidden', () => {
  test('a file: blob store, the call ledger, a TLS key, the local-model cache, the documents and another home under a mounted folder read as nothing', async () => {
    if (!strong()) return;
    const root = path.join('/usr/local/share', `mas2-adv-${token}`);
    const blobs = path.join(root, 'blobs');
    const ledgerDir = path.join(root, 'ledger');
    const models = path.join(root, 'models');
    const docs = path.join(root, 'docs');
    const otherHome = path.join(root, 'lib-home');
    const key = path.join(root, 'tls', 'client.key');
    const content = crypto.randomBytes(6).toString('hex');
    const secrets: Record<string, string> = {
      [path.join(blobs, 'ab', 'cdef')]: `stored prompt ${content}`,
      [path.join(ledgerDir, 'ledger.jsonl')]: `ledger ${content}`,
      [path.join(models, 'model.gguf')]: `weights ${content}`,
      [path.join(docs, 'notes.md')]: `docs ${content}`,
      [path.join(otherHome, 'runs', 'other-run', 'workspace', 'plan.md')]: `other run ${content}`,
      [key]: `-----BEGIN PRIVATE KEY----- ${content}`,
    };
    const env: Record<string, string> = {
      MAS2_BLOB_STORE: `file:${blobs}`,
      MAS2_CALL_LEDGER: path.join(ledgerDir, 'ledger.jsonl'),
      MAS2_LOCAL_MODELS_DIR: models,
      MAS2_DOCS_DIR: docs,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
    };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    try {
      for (const [f, text] of Object.entries(secrets)) {
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, text, { mode: 0o644 });
      }
      fs.chmodSync(root, 0o755);
      Object.assign(process.env, env);
      // A library caller's own home reaches the tool as its runtime's data paths.
      const r = await pythonTool.execute(
        { code: `${TRY_READ}\n` + Object.keys(secrets).map((f) => `try_read(${JSON.stringify(f)})`).join('\n') + `\nimport os\nprint('LIST', os.listdir(${JSON.stringify(root)}))` },
        { workspaceDir: ws, dataPaths: dataPaths(otherHome) },
      );
      expect(r.output).not.toContain(content);
      for (const f of Object.keys(secrets)) expect(r.output).toMatch(new RegExp(`(DENIED|READ) ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (FileNotFoundError|PermissionError|0 b'')`));
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
