/** The meta-agents read the run's tools: the Generator to hand them out, the Rectifier for set_tools. */
import { generatorMessages, rectifierMessages } from '../../activities/prompts';
import type { Config, ToolSpec } from '../../mas/schemas';
import { SIMULATOR_POOL } from '../../mas/simulatorPool';

const catalogue: ToolSpec[] = [
  { name: 'python', description: 'Run Python', parameters: {}, source: 'builtin' },
  { name: 'word_count', description: 'Counts the words in a text\nsecond line not shown', parameters: {}, source: 'own' },
];

test('the Generator sees the catalogue: built-ins with their notes, others with the first line of their description', () => {
  const sys = generatorMessages('t', catalogue.map((t) => t.name), catalogue)[0].content!;
  expect(sys).toMatch(/Tools: python \(runs Python 3 code in a sandbox[^;]*\); word_count \(Counts the words in a text\)\. Use only these\./);
  expect(sys).not.toContain('second line');
  expect(generatorMessages('t')[0].content).toMatch(/Tools: python \(.*; workspace \(/);
});

test('the Rectifier is told which tools set_tools may use', () => {
  const config: Config = { version: 1, assignment: { a: 'sim-medium' }, template: { name: 'x', agents: [{ id: 'a', role: 'r', instructions: 'i', tools: [], maxTurns: 2 }], edges: [], loops: [], finalAgent: 'a' } };
  const state = { costUsd: 0, budgetUsd: 1, finished: [], failedSteps: [], previousPatches: [] };
  const user = rectifierMessages('t', config, state, { kind: 'external', detail: 'd' }, SIMULATOR_POOL, catalogue.map((t) => t.name), catalogue).map((m) => m.content).join('\n');
  expect(user).toContain('Tools agents may have: python (');
  expect(user).toContain('word_count (Counts the words in a text)');
});
