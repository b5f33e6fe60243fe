/**
 * A weak model, scripted over the OpenAI-compatible loopback server: the engine
 * must turn schema-invalid meta-agent output, runaway tool calls and a checker that always
 * says FAIL into an honest end — never a "completed" run whose answer is a rejection.
 */
import { PoolSchema, TemplateSchema, type Result } from '../../mas/schemas';
import { FakeOpenAI, reply, type FakeServerHandle, type RecordedRequest } from '../helpers/fakeOpenAI';
import { runToEnd, taskInput, useTestWorker } from './harness';

const env = useTestWorker('weak');

let fake: FakeOpenAI;
let server: FakeServerHandle;

const systemText = (body: any): string => body.messages.find((m: { role: string }) => m.role === 'system')?.content ?? '';
const chat = (): RecordedRequest[] => fake.requests.filter((r) => r.path === '/v1/chat/completions');

/** A template whose checker loops onto itself and whose upstream agent is final: broken twice over. */
const SELF_LOOP = {
  name: 'bad',
  agents: [
    { id: 'solver', role: 'Solver', instructions: 'Solve it.', tools: ['calculator'] },
    { id: 'checker', role: 'Checker', instructions: 'Check it.', tools: [], verifier: true },
  ],
  edges: [
    { from: 'solver', to: 'checker' },
    { from: 'checker', to: 'checker' },
  ],
  loops: [],
  finalAgent: 'solver',
};

beforeAll(async () => {
  fake = new FakeOpenAI();
  server = await fake.start();
  process.env.MAS2_TEST_FAKE_KEY = 'sk-test-loopback';
});

afterAll(async () => {
  await server?.close();
});

function pool() {
  return PoolSchema.parse({
    default: 'small',
    backbones: [{ id: 'small', provider: 'openai', model: 'weak-model', baseURL: server.baseURL, apiKeyEnv: 'MAS2_TEST_FAKE_KEY', pricing: { inputPerM: 0.1, outputPerM: 0.4 } }],
  });
}

test('a weak model end to end: invalid designs fall back, runaway tool calls are bounded, a FAIL that stands ends the run unverified with the solver’s answer', async () => {
  fake.reset();
  fake.setDefault((body: any) => {
    const system = systemText(body);
    if (system.startsWith('You are the Generator')) return reply.json(SELF_LOOP); // the same broken template, first try and repair
    if (system.startsWith('You are the Implementer')) return reply.text('I think the solver should use the big model.');
    if (system.startsWith('You are the Rectifier')) return reply.text('{"scope": "local", "ops": [');
    if (system.includes('agent "checker"')) return reply.text('FAIL, the answer 18 is incorrect. The correct answer is 27 dollars.');
    if (body.tools) {
      // Five identical calculator calls in one turn, every turn the tools are offered.
      return reply.toolCalls(Array.from({ length: 5 }, (_, i) => ({ id: `c${i}`, name: 'calculator', arguments: { expression: '27 / 3 * 2' } })));
    }
    return reply.text(system.includes('agent "solver"') ? '18' : 'Cost = 27 / 3 * 2');
  });
  const r: Result = await runToEnd(env.client, env.worker.taskQueue, taskInput('A shop sells pencils at 3 for 2 dollars. How many dollars do 27 pencils cost?', { pool: pool(), options: { maxRectifications: 1 } }));

  // 1. The Generator broke two rules; the repair round named both, then the built-in math team stood in.
  const generatorCalls = chat().filter((q) => systemText(q.body).startsWith('You are the Generator'));
  expect(generatorCalls).toHaveLength(2);
  const repair: string = generatorCalls[1].body.messages.at(-1).content;
  expect(repair).toContain('edge checker → checker is a self-loop');
  expect(repair).toContain('the final agent "solver" feeds "checker"');
  expect(repair.split('\n').filter((l) => l.startsWith('- ')).length).toBeGreaterThanOrEqual(2);
  expect(r.config!.template.name).toBe('analyse-solve-check');

  // 2. Every meta-agent decision says where it came from, and the result counts them.
  expect(r.decisions.find((d) => d.role === 'generator')?.source).toBe('fallback');
  expect(r.decisions.find((d) => d.role === 'implementer')?.source).toBe('fallback');
  expect(r.metaValidity?.generator).toEqual({ firstTry: 0, repair: 0, fallback: 1 });
  expect(r.metaValidity?.implementer).toEqual({ firstTry: 0, repair: 0, fallback: 1 });
  expect(r.metaValidity?.rectifier?.fallback).toBeGreaterThanOrEqual(1);

  // 3. Five calls in a turn: three run, two are answered with an error; the repeat turns the tools off.
  const solverRequests = chat().filter((q) => systemText(q.body).includes('agent "solver"'));
  const firstTurnTools = r.steps.filter((s) => s.agent === 'solver' && s.kind === 'tool' && s.configVersion === 1);
  expect(firstTurnTools.length).toBeGreaterThan(0);
  expect(firstTurnTools.length % 3).toBe(0);
  const second = solverRequests[1].body.messages;
  expect(second.filter((m: { role: string }) => m.role === 'tool')).toHaveLength(5);
  expect(second.filter((m: { role: string; content: string }) => m.role === 'tool' && m.content.includes('not executed'))).toHaveLength(2);
  // Identical calls repeat: the next turn is offered no tools, says so, and the solver answers.
  expect(solverRequests[1].body.tools).toBeUndefined();
  expect(second.at(-1).content).toMatch(/^No more tool calls/);
  expect(r.outputs.solver.text).toBe('18');

  // 4. The checker's FAIL stood at the cap: not completed, and the answer is the solver's, not the verdict.
  expect(r.status).toBe('unverified');
  expect(r.reason).toMatch(/verifier checker rejected the answer and the rectification cap of 1 was reached/);
  expect(r.answer).toBe('18');
  expect(r.answer).not.toMatch(/FAIL/);
});

test('code is executed: invalid Python that the reviewer passes is a FAIL, and the run ends unverified with the code as the candidate', async () => {
  fake.reset();
  const badCode = '```python\nfunction is_palindrome(s):\n    return s == s[::-1]\n```';
  fake.setDefault((body: any) => {
    const system = systemText(body);
    if (system.includes('agent "reviewer"')) return reply.text('PASS: the function looks right.');
    return reply.text(badCode);
  });
  const template = TemplateSchema.parse({
    name: 'code-review',
    agents: [
      { id: 'coder', role: 'Coder', instructions: 'Write the function.', tools: [] },
      { id: 'reviewer', role: 'Reviewer', instructions: 'Start with PASS or FAIL.', tools: [], verifier: true },
    ],
    edges: [{ from: 'coder', to: 'reviewer' }],
    finalAgent: 'reviewer',
  });
  const r = await runToEnd(
    env.client,
    env.worker.taskQueue,
    taskInput('Write a Python function is_palindrome(s) that ignores case and non-alphanumeric characters', { pool: pool(), options: { template, assignment: { coder: 'small', reviewer: 'small' }, rectifier: false } }),
  );
  const check = r.steps.find((s) => s.agent === 'reviewer' && s.kind === 'tool');
  expect(check).toMatchObject({ name: 'python', status: 'completed' });
  expect(check!.error).toMatch(/SyntaxError/);
  expect(r.outputs.reviewer.text).toMatch(/^FAIL \(executed check/);
  expect(r.status).toBe('unverified');
  expect(r.reason).toMatch(/Rectifier is off/);
  expect(r.answer).toBe(badCode);
});

test('a run past its wall-time bound stops before the next model call', async () => {
  fake.reset();
  fake.setDefault(() => reply.delayed(6000, reply.text('working on it')));
  const template = TemplateSchema.parse({
    name: 'chain',
    agents: [
      { id: 'a', role: 'A', instructions: 'Step one.', tools: [] },
      { id: 'b', role: 'B', instructions: 'Step two.', tools: [] },
    ],
    edges: [{ from: 'a', to: 'b' }],
    finalAgent: 'b',
  });
  const r = await runToEnd(env.client, env.worker.taskQueue, taskInput('Do two steps', { pool: pool(), options: { template, assignment: { a: 'small', b: 'small' }, maxWallSeconds: 5 } }));
  expect(r.status).toBe('failed');
  expect(r.reason).toMatch(/wall-time bound of 5 s was reached before b's next model call/);
  expect(r.steps.filter((s) => s.kind === 'llm').map((s) => s.agent)).toEqual(['a']);
});
