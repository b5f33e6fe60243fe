import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createPythonTool, pythonTool } from '../../../activities/tools/python';
import { javascriptTool } from '../../../activities/tools/javascript';
import { detectSandbox, DEFAULT_SANDBOX_LIMITS } from '../../../activities/tools/sandbox';
import { executeTool } from '../../../activities/tools/registry';

// Sandbox runs and the math.js worker start-up can be slow on a busy 2-core machine.
jest.setTimeout(30_000);

let ws: string;
beforeAll(() => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-py-test-'));
});
afterAll(() => fs.rmSync(ws, { recursive: true, force: true }));
const ctx = () => ({ workspaceDir: ws });

describe('python tool', () => {
  test('defaults are the documented limits', () => {
    expect(DEFAULT_SANDBOX_LIMITS).toEqual({
      cpuSeconds: 10,
      wallSeconds: 15,
      memoryBytes: 512 * 1024 * 1024,
      fileSizeBytes: 16 * 1024 * 1024,
      maxProcesses: 64,
      maxOpenFiles: 64,
      outputBytes: 64 * 1024,
      tmpfsBytes: 64 * 1024 * 1024,
    });
  });

  test('runs code and returns stdout, stderr and the exit code', async () => {
    const r = await pythonTool.execute({ code: 'import sys, math\nprint(math.factorial(20))\nprint("warn", file=sys.stderr)' }, ctx());
    expect(r).toMatchObject({ ok: true, output: '2432902008176640000\n', exitCode: 0 });
    expect(r.stderr).toMatch(/^warn\n/);
    expect(r.limit).toBeUndefined();
  });

  test('an exception is a failed result with the traceback, not a crash', async () => {
    const r = await pythonTool.execute({ code: 'print("before")\nraise ValueError("boom")' }, ctx());
    expect(r).toMatchObject({ ok: false, output: 'before\n', exitCode: 1, error: 'exit code 1' });
    expect(r.stderr).toMatch(/ValueError: boom/);
    const r2 = await pythonTool.execute({ code: 'import sys; sys.exit(3)' }, ctx());
    expect(r2).toMatchObject({ ok: false, exitCode: 3 });
  });

  test('the working folder is fresh, writable, and gone afterwards', async () => {
    const code = 'import os\nprint(sorted(os.listdir(".")))\nopen("f.txt", "w").write("x" * 1000)\nprint(os.path.getsize("f.txt"), os.getcwd() == os.environ["HOME"])';
    const a = await pythonTool.execute({ code }, ctx());
    const b = await pythonTool.execute({ code }, ctx());
    expect(a.output).toBe('[]\n1000 True\n');
    expect(b.output).toBe('[]\n1000 True\n');
    expect(fs.readdirSync(ws)).toEqual([]); // the run's workspace is not touched
  });

  test('standard library works (site packages, tempfile, threads, subprocess)', async () => {
    const code = [
      'import json, tempfile, threading, subprocess, sqlite3',
      'with tempfile.NamedTemporaryFile() as f: print("tmp ok")',
      't = threading.Thread(target=lambda: print("thread ok")); t.start(); t.join()',
      'print(subprocess.run(["echo", "child ok"], capture_output=True, text=True).stdout.strip())',
      'print(sqlite3.connect(":memory:").execute("select 1+1").fetchone()[0])',
    ].join('\n');
    const r = await pythonTool.execute({ code }, ctx());
    expect(r.output).toBe('tmp ok\nthread ok\nchild ok\n2\n');
    expect(r.ok).toBe(true);
  });

  test('heartbeats while running', async () => {
    let beats = 0;
    const r = await pythonTool.execute({ code: 'import time; time.sleep(2.2); print("done")' }, { workspaceDir: ws, heartbeat: () => beats++ });
    expect(r.ok).toBe(true);
    expect(beats).toBeGreaterThanOrEqual(2);
  });

  test('abort kills the run', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 500);
    const r = await pythonTool.execute({ code: 'import time\nprint("started", flush=True)\ntime.sleep(30)' }, { workspaceDir: ws, signal: ac.signal });
    // The program sleeps 30 s; finishing well before proves the abort killed it.
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/cancelled/);
    expect(r.output).toBe('started\n');
    const pre = new AbortController();
    pre.abort();
    expect((await pythonTool.execute({ code: 'print(1)' }, { workspaceDir: ws, signal: pre.signal })).error).toMatch(/cancelled/);
  });

  test('limits are configurable', async () => {
    const tool = createPythonTool({ limits: { wallSeconds: 1 } });
    const r = await tool.execute({ code: 'import time; time.sleep(10)' }, ctx());
    expect(r).toMatchObject({ ok: false, limit: 'wall' });
    expect(r.error).toMatch(/wall-clock time limit \(1 s\)/);
  });

  test('through executeTool', async () => {
    const r = await executeTool('python', JSON.stringify({ code: 'print(sum(range(101)))' }), ctx());
    expect(r).toMatchObject({ ok: true, output: '5050\n' });
  });

  test('sandbox detection reports what is in place', async () => {
    const caps = await detectSandbox();
    expect(['namespaces', 'net-only', 'none']).toContain(caps.mode);
    if (caps.mode !== 'namespaces' || !caps.rlimits) expect(caps.notes.length).toBeGreaterThan(0);
  });
});

describe('javascript tool', () => {
  test('runs node code in the same sandbox', async () => {
    process.env.MAS2_TEST_SECRET = 'js-secret-456';
    try {
      const r = await javascriptTool.execute(
        { code: 'console.log(JSON.stringify(process.env)); console.log(require("fs").readdirSync(".").length, [1,2,3].map(x => x * 2).join(","))' },
        ctx(),
      );
      expect(r.ok).toBe(true);
      expect(r.output).not.toMatch(/js-secret-456/);
      expect(r.output).toMatch(/^\{.*"PATH":"\/usr\/bin:\/bin".*\}\n0 2,4,6\n$/);
    } finally {
      delete process.env.MAS2_TEST_SECRET;
    }
  });

  test('errors and network', async () => {
    const r = await javascriptTool.execute({ code: 'throw new Error("kaput")' }, ctx());
    expect(r).toMatchObject({ ok: false, exitCode: 1 });
    expect(r.stderr).toMatch(/kaput/);
    const caps = await detectSandbox();
    if (caps.mode !== 'none') {
      const n = await javascriptTool.execute(
        { code: 'require("net").connect(80, "127.0.0.1").on("connect", () => console.log("CONNECTED")).on("error", (e) => console.log("blocked", e.code))' },
        ctx(),
      );
      expect(n.output).toMatch(/^blocked (ENETUNREACH|ECONNREFUSED)/);
    }
  });
});
