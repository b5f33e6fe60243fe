/** The run's tool catalogue: names, function definitions, and validation of templates and patches against it. */
import { KNOWN_TOOLS, mcpToolName, toolDefinitionsFrom, toolNamesOf } from '../../../mas/tools';
import { templateProblems } from '../../../mas/graph';
import { applyPatch } from '../../../mas/patch';
import { TaskInputSchema, type ToolSpec } from '../../../mas/schemas';
import { SIMULATOR_POOL } from '../../../mas/simulatorPool';
import { POOL, cfg, tmpl } from './fixtures';

const own: ToolSpec = { name: 'word_count', description: 'Counts words', parameters: { type: 'object', properties: { text: { type: 'string' } } }, source: 'own' };
const mcp: ToolSpec = { name: 'everything__get-sum', description: 'Returns the sum of two numbers', parameters: { type: 'object' }, source: 'mcp:everything' };

test('MCP tool names are <server>__<tool>, sanitised to letters, digits, "_" and "-", at most 64 characters', () => {
  expect(mcpToolName('everything', 'get-sum')).toBe('everything__get-sum');
  expect(mcpToolName('my server', 'files/read.v2')).toBe('my_server__files_read_v2');
  const long = mcpToolName('s'.repeat(40), 't'.repeat(40));
  expect(long.length).toBe(64);
  expect(long).toMatch(/^[A-Za-z0-9_-]+$/);
});

test('a run without a catalogue uses the built-ins; with one, exactly its names', () => {
  expect(toolNamesOf(undefined)).toEqual(KNOWN_TOOLS);
  expect(toolNamesOf([own, mcp])).toEqual(['word_count', 'everything__get-sum']);
});

test('function definitions come from the catalogue, in the agent\'s order, skipping names it lacks', () => {
  expect(toolDefinitionsFrom([own, mcp], ['everything__get-sum', 'nope', 'word_count'])).toEqual([
    { name: 'everything__get-sum', description: mcp.description, parameters: mcp.parameters },
    { name: 'word_count', description: own.description, parameters: own.parameters },
  ]);
});

test('templates are checked against the run\'s tools', () => {
  const t = tmpl([{ id: 'A', tools: ['word_count'] }]);
  expect(templateProblems(t)).toEqual([expect.stringContaining('unknown tool "word_count"')]);
  expect(templateProblems(t, toolNamesOf([own]))).toEqual([]);
  expect(templateProblems(tmpl([{ id: 'A', tools: ['python'] }]), toolNamesOf([own]))).toEqual([expect.stringContaining('unknown tool "python"')]);
});

test('a patch may hand out a catalogue tool, and only with that catalogue', () => {
  const config = cfg(tmpl(['A']));
  const patch = { scope: 'local' as const, ops: [{ op: 'set_tools' as const, agent: 'A', tools: ['everything__get-sum'] }], rationale: '' };
  expect(() => applyPatch(config, patch, POOL)).toThrow(/unknown tool "everything__get-sum"/);
  expect(applyPatch(config, patch, POOL, toolNamesOf([mcp])).template.agents[0].tools).toEqual(['everything__get-sum']);
});

test('TaskInput: the catalogue is optional; names must be valid and unique', () => {
  const base = { task: 't', budgetUsd: 1, pool: SIMULATOR_POOL };
  expect(TaskInputSchema.parse(base).tools).toBeUndefined();
  expect(TaskInputSchema.parse({ ...base, tools: [own, mcp] }).tools).toHaveLength(2);
  expect(TaskInputSchema.safeParse({ ...base, tools: [own, own] }).success).toBe(false);
  expect(TaskInputSchema.safeParse({ ...base, tools: [{ ...own, name: 'has space' }] }).success).toBe(false);
  expect(TaskInputSchema.safeParse({ ...base, tools: [{ ...own, source: 'elsewhere' }] }).success).toBe(false);
});
