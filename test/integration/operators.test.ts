/**
 * The workflow runs the operators (docs/operators.md) on the simulator pool and the real
 * sandbox: a programmer whose first program crashes gets its error back and fixes it; an
 * ensemble draws k samples with their own seeds and votes; a test step runs a coder's code on
 * the task's examples, sends the failing test back, and passes the fixed code.
 */
import type { ModelRequest } from '../../activities/models/types';
import { SimulatorClient } from '../../activities/models/sim';
import { defaultClients } from '../../activities/runtime';
import { ensemble, programmer, sampleSeeds, TEST_STEP } from '../../mas/operators';
import type { Template } from '../../mas/schemas';
import { fetchAudit } from '../../client/audit';
import { blobsOf, runToEnd, taskInput, useTestWorker } from './harness';

const sim = new SimulatorClient();
const calls: Record<string, number> = {};
const reply = (content: string) => ({ content, toolCalls: [], usage: { inputTokens: 60, outputTokens: 20 }, finishReason: 'stop' as const });
const FIB_WRONG = '```python\ndef fib(n):\n    return n\n```';
const FIB_RIGHT = '```python\ndef fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n```';
const requests: ModelRequest[] = [];

const env = useTestWorker('operators', {
  runtime: {
    clients: {
      ...defaultClients(),
      sim: {
        async complete(req: ModelRequest) {
          requests.push(req);
          const agent = req.sim?.agentId ?? '';
          const n = (calls[agent] = (calls[agent] ?? 0) + 1);
          // The programmer's first program crashes; the coder's first code is wrong, its second right.
          if (agent === 'prog' && n === 1) return reply('```python\ntotal = 12 * 13\nprint(totl)\n```');
          if (agent === 'coder') return reply(n === 1 ? FIB_WRONG : FIB_RIGHT);
          return sim.complete(req);
        },
      },
    },
  },
});

const one = (id: string, extra: Partial<Template['agents'][number]>): Template => ({
  name: id,
  agents: [{ id, role: 'Solver', instructions: 'Solve the task.', tools: [], maxTurns: 4, ...extra }],
  edges: [],
  loops: [],
  finalAgent: id,
});

test('a programmer: the crash goes back to it, the fixed program runs, its printed number is the answer', async () => {
  const r = await runToEnd(env.client, env.worker.taskQueue, taskInput('What is 12*13? Answer with the number only.', { options: { template: one('prog', { operator: programmer('number') }) } }));
  expect(r.status).toBe('completed');
  expect(r.answer?.trim()).toBe('156');
  const steps = r.steps.filter((s) => s.agent === 'prog');
  expect(steps.map((s) => `${s.kind}:${s.status}:${s.note}`)).toEqual([
    'llm:completed:round 1/3',
    'tool:completed:run of round 1/3',
    'llm:completed:round 2/3',
    'tool:completed:run of round 2/3',
  ]);
  expect(steps[1].error).toMatch(/NameError: name 'totl' is not defined/);
  expect(steps[3].error).toBeUndefined();
  // The second round read the traceback of the first.
  const second = requests.filter((q) => q.sim?.agentId === 'prog')[1];
  expect(second.messages.map((m) => m.content ?? '').join('\n')).toMatch(/Your program failed when run \(round 1 of 3\):[\s\S]*NameError/);
  expect(r.rectifications).toEqual([]);
  // The audit, projected from the history, shows the sandbox runs as python steps of the programmer.
  const audit = await fetchAudit(env.client, r.workflowId, { blobs: blobsOf(env.worker.home) });
  expect(audit.notes.filter((n) => /not part of the mas2 contract/.test(n))).toEqual([]);
  const audited = audit.steps.filter((s) => s.agent === 'prog');
  expect(audited.map((s) => `${s.kind}:${s.name ?? ''}`)).toEqual(['llm:', 'tool:python', 'llm:', 'tool:python']);
  expect(audited[1].error).toMatch(/NameError/);
});

test('an ensemble: five samples with their own seeds and temperature, sent at once; the vote is the answer', async () => {
  const input = taskInput('What is 12*13? Answer with the number only.', { options: { seed: 7, template: one('solver', { tools: ['calculator'], operator: ensemble('number', 'agent', 5) }) } });
  const r = await runToEnd(env.client, env.worker.taskQueue, input);
  expect(r.status).toBe('completed');
  const seeds = sampleSeeds(7, 'solver', 0, 5);
  expect(r.ensembles).toHaveLength(1);
  const e = r.ensembles![0];
  expect(e).toMatchObject({ agent: 'solver', seeds, members: ['agent', 'agent', 'agent', 'agent', 'agent'] });
  expect(e.answers.filter((a) => a === '156').length).toBeGreaterThanOrEqual(3);
  expect(e.outcome).toMatch(/^156 \(\d of 5 votes/);
  expect(r.answer).toContain('156');
  expect(r.answer).toBe(r.outputs.solver.text);
  // Every sample's calls went out with its own seed and the operator's temperature.
  const sent = requests.filter((q) => q.sim?.agentId === 'solver' && q.sim.seed === 7);
  expect(new Set(sent.map((q) => q.sampling?.seed))).toEqual(new Set(seeds));
  expect(sent.every((q) => q.sampling?.temperature === 0.7)).toBe(true);
  for (let i = 0; i < 5; i++) expect(r.steps.some((s) => s.agent === 'solver' && s.kind === 'llm' && s.note === `sample ${i + 1}/5 (seed ${seeds[i]})`)).toBe(true);
});

test('a test step: the failing example goes back to the coder as evidence; the fixed code passes', async () => {
  const template: Template = {
    name: 'code-test',
    agents: [
      { id: 'coder', role: 'Coder', instructions: 'Write the function.', tools: [], maxTurns: 4 },
      { id: 'test', role: 'Test', instructions: 'Runs the code.', tools: [], maxTurns: 1, verifier: true, operator: TEST_STEP },
    ],
    edges: [{ from: 'coder', to: 'test' }],
    loops: [{ from: 'test', to: 'coder', maxRounds: 2 }],
    finalAgent: 'test',
  };
  const task = 'Write a Python function fib(n) that returns the n-th Fibonacci number.\n>>> fib(10)\n55\n>>> fib(1)\n1';
  const r = await runToEnd(env.client, env.worker.taskQueue, taskInput(task, { options: { template } }));
  expect(r.status).toBe('completed');
  expect(r.answer).toBe(FIB_RIGHT);
  expect(r.judgements?.map((j) => `${j.agent}:${j.action}:${j.decidedBy}`)).toEqual(['test:revise:evidence', 'test:accept:evidence']);
  expect(r.judgements![0].reason).toMatch(/fib\(10\).*expected: 55/);
  expect(r.judgements![1].reason).toBe('all 2 usable tests passed');
  // The coder's second call read the failing test.
  const second = requests.filter((q) => q.sim?.agentId === 'coder')[1];
  expect(second.messages.map((m) => m.content ?? '').join('\n')).toMatch(/Your answer was checked by running it, and it failed:\n- a task's test failed: fib\(10\)/);
  expect(r.steps.filter((s) => s.agent === 'test').map((s) => `${s.kind}:${s.name}`)).toEqual(['tool:python', 'tool:python']);
  expect(r.steps.some((s) => s.agent === 'test' && s.kind === 'llm')).toBe(false);
});
