/** The meta-agents read the run's tools: the Generator to hand them out, the Rectifier for set_tools. */
import { generatorMessages, implementerMessages, rectifierMessages } from '../../mas/prompts';
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

describe('worked examples show the rule, with this team’s agents (small models copy them)', () => {
  const agent = (id: string, role: string, verifier = false) => ({ id, role, instructions: 'i', tools: [], maxTurns: 2, ...(verifier ? { verifier: true } : {}) });
  const template = { name: 'x', agents: [agent('solver', 'Solver'), agent('fmt', 'Formatter'), agent('checker', 'Checker', true)], edges: [{ from: 'solver', to: 'checker' }, { from: 'checker', to: 'fmt' }], loops: [], finalAgent: 'fmt' };
  const config: Config = { version: 1, assignment: { solver: 'sim-small', fmt: 'sim-small', checker: 'sim-small' }, template };
  const state = { costUsd: 0, budgetUsd: 1, finished: [], failedSteps: [], previousPatches: [] };
  const exampleOf = (content: string) => JSON.parse(content.split('\n').find((l) => l.startsWith('Example: '))!.slice('Example: '.length));

  test('a verifier rejection: the example re-instructs the producer the verifier checked, not the verifier', () => {
    const [sys, user] = rectifierMessages('t', config, state, { kind: 'verifier', detail: 'FAIL', agent: 'checker' }, SIMULATOR_POOL).map((m) => m.content!);
    expect(exampleOf(sys).ops[0].agent).toBe('solver');
    // What the trigger's kind calls for comes with the trigger, after the static part.
    expect(user).toMatch(/Trigger: verifier — FAIL \(agent checker\)\nFix the agent whose output the verifier rejected/);
    const failure = rectifierMessages('t', config, state, { kind: 'failure', detail: 'x', agent: 'fmt' }, SIMULATOR_POOL)[0].content!;
    expect(exampleOf(failure).ops[0].agent).toBe('fmt');
  });

  test('the Implementer example puts every agent whose work decides the answer on the strongest backbone', () => {
    const sys = implementerMessages('t', template, SIMULATOR_POOL)[0].content!;
    expect(exampleOf(sys).assignment).toEqual([
      { agent: 'solver', backbone: 'sim-large', reason: 'its work decides the answer' },
      { agent: 'fmt', backbone: 'sim-small', reason: 'only formats text' },
      { agent: 'checker', backbone: 'sim-large', reason: 'checks the answer' },
    ]);
  });
});
