/**
 * Where the full sandbox cannot run, the python tool refuses with one clear
 * line instead of running weaker; an unknown MAS2_SANDBOX_MODE is refused too.
 * (Detection is cached per process; Jest gives each test its own module registry.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

let ws: string;
const saved = { nsjail: process.env.MAS2_NSJAIL, mode: process.env.MAS2_SANDBOX_MODE };
beforeAll(() => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-refusal-'));
});
afterAll(() => fs.rmSync(ws, { recursive: true, force: true }));
beforeEach(() => {
  jest.resetModules();
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterEach(() => {
  for (const [k, v] of [['MAS2_NSJAIL', saved.nsjail], ['MAS2_SANDBOX_MODE', saved.mode]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  jest.restoreAllMocks();
});

async function runPrint(): Promise<unknown> {
  const { pythonTool } = await import('../../../activities/tools/python');
  return Promise.resolve(pythonTool.execute({ code: 'print("ran")' }, { workspaceDir: ws })).catch((e: Error) => e);
}

test('no usable nsjail: the call is a ToolCrashError with a one-line reason, and nothing runs', async () => {
  process.env.MAS2_NSJAIL = path.join(ws, 'no-such-nsjail');
  delete process.env.MAS2_SANDBOX_MODE;
  const r = await runPrint();
  expect(r).toMatchObject({ name: 'ToolCrashError', tool: 'python' });
  const msg = (r as Error).message;
  expect(msg).toMatch(/sandbox cannot run here: MAS2_NSJAIL=.*no-such-nsjail is not an executable file; run `npm run setup`.*MAS2_SANDBOX_MODE=/);
  expect(msg).not.toContain('\n');
  const { detectSandbox } = await import('../../../activities/tools/sandbox');
  expect((await detectSandbox()).refusal).toBe(msg.replace(/^tool "python" crashed: /, ''));
});

test('an unknown MAS2_SANDBOX_MODE is refused, not treated as the default', async () => {
  process.env.MAS2_SANDBOX_MODE = 'strongest-please';
  const r = await runPrint();
  expect(r).toMatchObject({ name: 'ToolCrashError' });
  expect((r as Error).message).toMatch(/MAS2_SANDBOX_MODE=strongest-please is not one of nsjail, no-cgroup, net-only, none/);
});

test('an explicitly requested weaker mode still runs, and says so in stderr', async () => {
  process.env.MAS2_SANDBOX_MODE = 'net-only';
  const r = (await runPrint()) as { ok: boolean; output: string; stderr: string };
  expect(r.output).toBe('ran\n');
  expect(r.stderr).toMatch(/\[sandbox\] MAS2_SANDBOX_MODE=net-only: no mount, PID or IPC namespace/);
});
