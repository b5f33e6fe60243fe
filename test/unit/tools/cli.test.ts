import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runToolCommand } from '../../../activities/tools/cli';
import { shutdownCalculator } from '../../../activities/tools/calculator';

// Sandbox runs and the math.js worker start-up can be slow on a busy 2-core machine.
jest.setTimeout(30_000);

afterAll(() => shutdownCalculator());

describe('runToolCommand (mas2 tool NAME --input JSON)', () => {
  test('ok → exit 0', async () => {
    const { result, exitCode } = await runToolCommand('calculator', '{"expression": "2^8"}');
    expect(exitCode).toBe(0);
    expect(result).toEqual({ ok: true, output: '256' });
  });

  test('tool failure or invalid input → exit 1', async () => {
    expect((await runToolCommand('calculator', '{"expression": "1 +"}')).exitCode).toBe(1);
    expect((await runToolCommand('calculator', '{"expr": "1"}')).exitCode).toBe(1);
  });

  test('unknown tool or bad JSON → exit 2', async () => {
    const u = await runToolCommand('nope', '{}');
    expect(u.exitCode).toBe(2);
    expect(u.result.error).toMatch(/unknown tool "nope"; known: /);
    const j = await runToolCommand('calculator', '{oops');
    expect(j.exitCode).toBe(2);
    expect(j.result.output).toMatch(/not valid JSON/);
  });

  test('uses the given workspace, or a temporary one that is removed', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-cli-test-'));
    try {
      const w = await runToolCommand('workspace', JSON.stringify({ action: 'write', path: 'a.txt', content: 'hi' }), { workspaceDir: ws });
      expect(w.exitCode).toBe(0);
      expect(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8')).toBe('hi');
      const before = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('mas2-tool-')).length;
      const t = await runToolCommand('workspace', JSON.stringify({ action: 'list', path: '.' }));
      expect(t).toEqual({ exitCode: 0, result: { ok: true, output: '(empty)' } });
      expect(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('mas2-tool-')).length).toBe(before);
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});
