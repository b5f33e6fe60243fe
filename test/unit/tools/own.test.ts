/** Own tools (defineTool) and the ToolSet that puts them beside the built-ins. */
import { z } from 'zod';
import { defineTool, ownToolSpec, runOwnTool, toolResult, ToolError } from '../../../activities/tools/own';
import { ToolSet } from '../../../activities/tools/toolset';
import { isToolCrashError } from '../../../activities/tools/errors';
import { KNOWN_TOOLS } from '../../../mas/tools';

const ctx = { heartbeat: () => undefined, workspaceDir: '/nonexistent' };

const wordCount = defineTool({
  name: 'word_count',
  description: 'Counts the words in a text',
  parameters: z.object({ text: z.string().describe('the text') }),
  execute: ({ text }) => text.trim().split(/\s+/).length,
  timeoutMs: 5000,
});

test('defineTool rejects what would break later: bad names, no description, a non-zod schema', () => {
  const ok = { name: 'x', description: 'd', parameters: z.object({}), execute: () => '' };
  expect(() => defineTool({ ...ok, name: 'has space' })).toThrow(/name "has space"/);
  expect(() => defineTool({ ...ok, description: ' ' })).toThrow(/description is required/);
  expect(() => defineTool({ ...ok, parameters: { type: 'object' } as unknown as z.ZodObject })).toThrow(/zod schema/);
  expect(() => defineTool({ ...ok, timeoutMs: -1 })).toThrow(/timeoutMs/);
});

test('the spec a run carries: JSON schema from the zod schema, source "own", the timeout', () => {
  expect(ownToolSpec(wordCount)).toEqual({
    name: 'word_count',
    description: 'Counts the words in a text',
    parameters: { type: 'object', properties: { text: { type: 'string', description: 'the text' } }, required: ['text'] },
    source: 'own',
    timeoutMs: 5000,
  });
});

test('results: strings as they are, other values as JSON; bad arguments go back to the agent with the schema', async () => {
  expect(await runOwnTool(wordCount, { text: 'a b c' }, ctx)).toEqual({ ok: true, output: '3' });
  const obj = defineTool({ name: 'o', description: 'd', parameters: z.object({}), execute: () => ({ x: [1] }) });
  expect(await runOwnTool(obj, {}, ctx)).toEqual({ ok: true, output: '{"x":[1]}' });
  const bad = await runOwnTool(wordCount, { text: 5 }, ctx);
  expect(bad.ok).toBe(false);
  expect(bad.output).toMatch(/text: .*string/);
  expect(bad.output).toContain('"required":["text"]');
});

test('toolResult passes a complete result as it is (how the built-ins report a failed program); a malformed one is a crash', async () => {
  const ran = defineTool({ name: 'ran', description: 'd', parameters: z.object({}), execute: () => toolResult({ ok: false, output: 'partial', error: 'exit 1', exitCode: 1, stderr: 'Traceback' }) });
  expect(await runOwnTool(ran, {}, ctx)).toEqual({ ok: false, output: 'partial', error: 'exit 1', exitCode: 1, stderr: 'Traceback' });
  const bad = defineTool({ name: 'bad', description: 'd', parameters: z.object({}), execute: () => toolResult({ ok: 'yes' } as never) });
  await expect(runOwnTool(bad, {}, ctx)).rejects.toMatchObject({ name: 'ToolCrashError', message: expect.stringContaining('returned a malformed result') });
  // An object that only looks like a result is a value like any other.
  const lookalike = defineTool({ name: 'look', description: 'd', parameters: z.object({}), execute: () => ({ ok: true, output: 'x' }) });
  expect(await runOwnTool(lookalike, {}, ctx)).toEqual({ ok: true, output: '{"ok":true,"output":"x"}' });
});

test('a ToolError is a result the agent sees; any other exception is a crash (a Rectifier trigger)', async () => {
  const picky = defineTool({ name: 'picky', description: 'd', parameters: z.object({}), execute: () => { throw new ToolError('no such city'); } });
  expect(await runOwnTool(picky, {}, ctx)).toEqual({ ok: false, output: 'no such city', error: 'no such city' });
  const broken = defineTool({ name: 'broken', description: 'd', parameters: z.object({}), execute: async () => { throw new TypeError('db is undefined'); } });
  const e = await runOwnTool(broken, {}, ctx).catch((x: unknown) => x);
  expect(isToolCrashError(e)).toBe(true);
  expect((e as Error).message).toBe('tool "broken" crashed: TypeError: db is undefined');
  expect((e as { retryable: boolean }).retryable).toBe(false);
});

test('execute gets the signal, the heartbeat and the run context', async () => {
  let seen: unknown;
  const t = defineTool({ name: 'peek', description: 'd', parameters: z.object({}), execute: (_i, c) => { c.heartbeat(); seen = { agent: c.agent, workflowId: c.workflowId, aborted: c.signal?.aborted }; return 'ok'; } });
  const beats: number[] = [];
  const set = new ToolSet({ tools: [t] });
  await set.execute('peek', '{}', { workspaceDir: '/w', heartbeat: () => beats.push(1), signal: new AbortController().signal, agent: 'solver', workflowId: 'wf-1' });
  expect(seen).toEqual({ agent: 'solver', workflowId: 'wf-1', aborted: false });
  expect(beats).toEqual([1]);
});

test('ToolSet: the built-ins first, then own tools; one execute for all of them', async () => {
  const set = new ToolSet({ tools: [wordCount] });
  const cat = await set.catalogue();
  expect(cat.map((t) => t.name)).toEqual([...KNOWN_TOOLS, 'word_count']);
  expect(cat.filter((t) => t.source === 'builtin')).toHaveLength(KNOWN_TOOLS.length);
  expect(await set.execute('word_count', '{"text": "one two"}', ctx)).toEqual({ ok: true, output: '2' });
  expect((await set.execute('calculator', '{"expression": "2+3"}', ctx)).output).toBe('5');
  expect(await set.execute('word_count', '{not json', ctx)).toMatchObject({ ok: false, error: 'invalid JSON arguments' });
  expect(await set.execute('nope', '{}', ctx)).toMatchObject({ ok: false, output: 'unknown tool "nope"' });
  expect(await set.has('word_count')).toBe(true);
  expect(await set.has('nope')).toBe(false);
});

test('ToolSet refuses clashing names and things that are not tools', () => {
  const clash = defineTool({ name: 'python', description: 'd', parameters: z.object({}), execute: () => '' });
  expect(() => new ToolSet({ tools: [clash] })).toThrow(/name of a built-in tool/);
  expect(() => new ToolSet({ tools: [wordCount, wordCount] })).toThrow(/defined twice/);
  expect(() => new ToolSet({ tools: [{ name: 'x' } as never] })).toThrow(/defineTool/);
  expect(() => new ToolSet({ mcpServers: { 'bad name!': { command: 'x' } } })).toThrow();
  expect(() => new ToolSet({ mcpServers: { s: { command: 'x', url: 'http://127.0.0.1:1/mcp' } as never } })).toThrow();
});
