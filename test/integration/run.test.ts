import { ResultSchema } from '../../mas/schemas';
import { runToEnd, taskInput, useTestWorker } from './harness';

const env = useTestWorker('run');

test('a code task runs end to end: Generator → Implementer → team, with model and tool steps', async () => {
  const r = await runToEnd(env.client, env.worker.taskQueue, taskInput('Write a Python function fib(n) and check it on the first 10 values'));
  expect(ResultSchema.parse(r)).toBeTruthy();
  expect(r.status).toBe('completed');
  expect(r.config!.template.agents.length).toBeGreaterThanOrEqual(2);
  expect(r.steps.some((s) => s.kind === 'llm')).toBe(true);
  expect(r.steps.some((s) => s.kind === 'tool' && s.name === 'python' && s.status === 'completed')).toBe(true);
  expect(r.cost.usd).toBeGreaterThan(0);
  expect(r.cost.meta).toBeGreaterThan(0);
  expect(r.answer).toContain('[0, 1, 1, 2, 3, 5, 8, 13, 21, 34]');
  expect(r.decisions.map((d) => d.role)).toEqual(['generator', 'implementer']);
});
