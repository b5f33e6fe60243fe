/**
 * The Generator chooses from the blueprint catalogue, end to end on the simulator pool: the
 * choice is recorded as the decision, the team is its expansion, and the operators it builds
 * run. (The path where the model's answer is unusable, and the workflow's own fallback, are in
 * fallbacks.test.ts.)
 */
import { expandChoice } from '../../mas/blueprints';
import type { BlueprintChoice } from '../../mas/schemas';
import { runToEnd, taskInput, useTestWorker } from './harness';

const env = useTestWorker('generator');

const CRATES = 'A warehouse holds 12 rows of 13 crates and 4 loose crates, so the count is 12*13 + 4. How many crates does the warehouse hold in total? Answer with the number only.';
const IS_PRIME = 'Write a Python function is_prime(n) and test it';

test('a math task: the Generator chooses "program"; the programmer’s printed number is the answer', async () => {
  const r = await runToEnd(env.client, env.worker.taskQueue, taskInput(CRATES));
  expect(r.status).toBe('completed');
  const d = r.decisions.find((x) => x.role === 'generator')!;
  expect(['model', 'repair']).toContain(d.source);
  const choice = d.output as BlueprintChoice;
  expect(choice).toMatchObject({ blueprint: 'program', answer: 'number' });
  expect(d.rationale).toMatch(/^Blueprint "program" \(answer number\)/);
  expect(r.config!.template).toEqual(expandChoice('program', choice, ['python', 'javascript', 'calculator', 'workspace']).template);
  expect(r.config!.template.agents[0].operator).toMatchObject({ kind: 'programmer', answer: 'number' });
  expect(r.steps.some((s) => s.agent === 'programmer' && s.kind === 'tool' && s.name === 'python' && s.status === 'completed')).toBe(true);
  expect(r.answer?.trim()).toBe('160');
});

test('a code task: the Generator chooses "plan-code-test"; the test step passes the code, which is the answer', async () => {
  const r = await runToEnd(env.client, env.worker.taskQueue, taskInput(IS_PRIME));
  expect(r.status).toBe('completed');
  const d = r.decisions.find((x) => x.role === 'generator')!;
  expect(d.output).toMatchObject({ blueprint: 'plan-code-test', answer: 'code' });
  expect(r.config!.template.agents.map((a) => [a.id, a.operator?.kind ?? 'plain'])).toEqual([
    ['planner', 'plain'],
    ['programmer', 'programmer'],
    ['test', 'test'],
  ]);
  expect(r.judgements?.some((j) => j.agent === 'test' && j.action === 'accept')).toBe(true);
  expect(r.answer).toBe(r.outputs.programmer.text);
  expect(r.answer).toContain('def is_prime');
});
