import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ToolDefinitionSchema, ToolResultSchema } from '../../../mas/messages';
import { ToolCrashError, isToolCrashError } from '../../../activities/tools/errors';
import { TOOL_NAMES, executeTool, getTool, isKnownTool, prepareToolCall, toolDefinitions } from '../../../activities/tools/registry';
import { shutdownCalculator } from '../../../activities/tools/calculator';
import { detectSandbox } from '../../../activities/tools/sandbox';

// Sandbox runs and the math.js worker start-up can be slow on a busy 2-core machine.
jest.setTimeout(30_000);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-reg-test-'));
});
afterAll(() => {
  shutdownCalculator();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('registry', () => {
  test('knows its tools', () => {
    expect([...TOOL_NAMES].sort()).toEqual(['calculator', 'javascript', 'python', 'search', 'workspace']);
    for (const n of TOOL_NAMES) {
      expect(isKnownTool(n)).toBe(true);
      expect(getTool(n)?.name).toBe(n);
    }
    expect(isKnownTool('rm')).toBe(false);
    expect(isKnownTool('toString')).toBe(false);
    expect(getTool('constructor')).toBeUndefined();
  });

  test('toolDefinitions derive JSON schemas from the zod inputs', () => {
    const defs = toolDefinitions([...TOOL_NAMES]);
    for (const d of defs) {
      expect(ToolDefinitionSchema.parse(d)).toEqual(d);
      expect(d.parameters.type).toBe('object');
      expect(d.parameters.$schema).toBeUndefined();
      expect(d.description.length).toBeGreaterThan(20);
    }
    const calc = defs.find((d) => d.name === 'calculator')!;
    expect(calc.parameters).toMatchObject({ type: 'object', required: ['expression'], properties: { expression: { type: 'string' } } });
    const ws = defs.find((d) => d.name === 'workspace')!;
    expect((ws.parameters.properties as Record<string, { enum?: string[] }>).action.enum).toEqual(['read', 'write', 'list']);
    expect(() => toolDefinitions(['nope'])).toThrow(/unknown tool "nope"/);
  });

  test('unknown tool → ok:false naming the known tools', async () => {
    const r = await executeTool('shell', '{}', { workspaceDir: dir });
    expect(r.ok).toBe(false);
    expect(r.error).toBe(`unknown tool "shell"; known: ${TOOL_NAMES.join(', ')}`);
  });

  test('bad JSON → ok:false with an actionable message, not a crash', async () => {
    const r = await executeTool('calculator', '{"expression": 1+', { workspaceDir: dir });
    expect(ToolResultSchema.parse(r)).toEqual(r);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/not valid JSON/);
    expect(r.output).toMatch(/"expression"/);
    expect(prepareToolCall('calculator', 'nope').kind).toBe('bad_json');
  });

  test('schema violation → ok:false listing the problems and the expected schema', async () => {
    const r = await executeTool('calculator', '{"expr": "1+1"}', { workspaceDir: dir });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/do not match its parameters/);
    expect(r.output).toMatch(/expression/);
    const r2 = await executeTool('workspace', '{"action": "delete", "path": "a"}', { workspaceDir: dir });
    expect(r2.ok).toBe(false);
    expect(r2.output).toMatch(/action/);
    const r3 = await executeTool('python', JSON.stringify({ code: 'x'.repeat(100_001) }), { workspaceDir: dir });
    expect(r3.ok).toBe(false);
    expect(r3.output).toMatch(/at most 100000/);
    expect(prepareToolCall('python', '[1,2]').kind).toBe('invalid_input');
  });

  test('empty arguments are treated as {}', () => {
    const p = prepareToolCall('calculator', '');
    expect(p.kind).toBe('invalid_input');
  });

  test('a tool that breaks throws ToolCrashError (checked by name)', async () => {
    const notADir = path.join(dir, 'file');
    fs.writeFileSync(notADir, 'x');
    let caught: unknown;
    try {
      await executeTool('workspace', '{"action": "list", "path": "."}', { workspaceDir: notADir });
    } catch (e) {
      caught = e;
    }
    expect(isToolCrashError(caught)).toBe(true);
    expect((caught as ToolCrashError).tool).toBe('workspace');
    expect((caught as ToolCrashError).name).toBe('ToolCrashError');
    expect(isToolCrashError(new Error('x'))).toBe(false);
    expect(isToolCrashError({ name: 'ToolCrashError', tool: 'python', message: 'm' })).toBe(true);
  });

  test('a missing interpreter is a crash, not an agent error', async () => {
    await detectSandbox(); // detect with the real interpreter first
    const prev = process.env.MAS2_SANDBOX_PYTHON;
    process.env.MAS2_SANDBOX_PYTHON = '/nonexistent/python3';
    try {
      await expect(executeTool('python', '{"code": "print(1)"}', { workspaceDir: dir })).rejects.toMatchObject({ name: 'ToolCrashError', tool: 'python' });
    } finally {
      if (prev === undefined) delete process.env.MAS2_SANDBOX_PYTHON;
      else process.env.MAS2_SANDBOX_PYTHON = prev;
    }
  });

  test('a valid call returns a validated ToolResult', async () => {
    const r = await executeTool('calculator', '{"expression": "6 * 7"}', { workspaceDir: dir });
    expect(r).toEqual({ ok: true, output: '42' });
  });
});
