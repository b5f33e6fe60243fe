/** The simulator plays along with own and MCP tools, so a simulator run can call them. */
import { SimulatorClient } from '../../../activities/models/sim';
import { SIMULATOR_POOL } from '../../../mas/simulatorPool';
import { BlueprintChoiceSchema, type ToolSpec } from '../../../mas/schemas';
import { KNOWN_TOOLS } from '../../../mas/tools';
import type { ToolDefinition } from '../../../mas/messages';

const sim = new SimulatorClient();
const backbone = SIMULATOR_POOL.backbones.find((b) => b.id === 'sim-medium')!;
const builtins: ToolSpec[] = KNOWN_TOOLS.map((n) => ({ name: n, description: n, parameters: { type: 'object' }, source: 'builtin' }));
const sum: ToolSpec = { name: 'everything__get-sum', description: 'Returns the sum of two numbers', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] }, source: 'mcp:everything' };
const count: ToolSpec = { name: 'word_count', description: 'Counts the words in a text', parameters: { type: 'object', properties: { text: { type: 'string' } } }, source: 'own' };

async function choice(task: string, tools?: ToolSpec[]) {
  const r = await sim.complete({ backbone, messages: [{ role: 'user', content: task }], sim: { purpose: 'generator', task, seed: 1, callKey: 'generator:0#1', extra: tools ? { tools } : {} } });
  return BlueprintChoiceSchema.parse(JSON.parse(r.content!));
}

test('the simulated Generator gives an offered tool to one agent when the task names what it does', async () => {
  const task = 'Count the words in "the quick brown fox" and give the sum of 2 and 3.';
  const c = await choice(task, [...builtins, sum, count]);
  expect(c.blueprint).toBe('single');
  expect(c.tools).toEqual(expect.arrayContaining(['everything__get-sum', 'word_count']));
  // Without the tools, the same task gets no such tools.
  expect((await choice(task)).tools ?? []).not.toContain('word_count');
  // A tool whose name the task does not mention is not handed out.
  const unrelated = await choice('Write a Python function fib(n)', [...builtins, sum, count]);
  expect(unrelated.tools ?? []).not.toContain('everything__get-sum');
});

test('a simulated agent calls each offered tool once with arguments from its schema, then answers with the results', async () => {
  const task = 'Count the words in "the quick brown fox" and give the sum of 2 and 3.';
  const tools: ToolDefinition[] = [{ name: 'calculator', description: 'c', parameters: { type: 'object' } }, sum, count].map(({ name, description, parameters }) => ({ name, description, parameters }));
  const base = { backbone, tools, sim: { purpose: 'agent' as const, task, seed: 1, callKey: 'solver:llm:0#1', agentId: 'solver', agentRole: 'Solver' } };
  const first = await sim.complete({ ...base, messages: [{ role: 'system', content: 'You are Solver' }, { role: 'user', content: `Task:\n${task}` }] });
  expect(first.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([
    ['everything__get-sum', { a: 2, b: 3 }],
    ['word_count', { text: 'the quick brown fox' }],
  ]);
  const second = await sim.complete({
    ...base,
    messages: [
      { role: 'system', content: 'You are Solver' },
      { role: 'user', content: `Task:\n${task}` },
      { role: 'assistant', content: null, toolCalls: first.toolCalls },
      { role: 'tool', toolCallId: first.toolCalls[0].id, content: JSON.stringify({ ok: true, output: 'The sum of 2 and 3 is 5.' }) },
      { role: 'tool', toolCallId: first.toolCalls[1].id, content: JSON.stringify({ ok: true, output: '4' }) },
    ],
  });
  expect(second.toolCalls).toEqual([]);
  expect(second.content).toContain('everything__get-sum: The sum of 2 and 3 is 5.');
  expect(second.content).toContain('word_count: 4');
});
