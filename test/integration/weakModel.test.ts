/**
 * A weak model, scripted over the OpenAI-compatible loopback server: the engine
 * must turn schema-invalid meta-agent output (an off-catalogue choice, prose, half a patch), runaway tool calls and a checker that always
 * says FAIL into an honest end — never a "completed" run whose answer is a rejection.
 */
import { PoolSchema, TemplateSchema, type Result } from '../../mas/schemas';
import { FakeOpenAI, reply, type FakeServerHandle, type RecordedRequest } from '../helpers/fakeOpenAI';
import { FALLBACK_BLUEPRINT } from '../../mas/fallback';
import { runToEnd, taskInput, useTestWorker } from './harness';

const env = useTestWorker('weak');

let fake: FakeOpenAI;
let server: FakeServerHandle;

const systemText = (body: any): string => body.messages.find((m: { role: string }) => m.role === 'system')?.content ?? '';
const chat = (): RecordedRequest[] => fake.requests.filter((r) => r.path === '/v1/chat/completions');

/** A catalogue choice broken twice over: an answer kind and a blueprint the catalogue does not have. */
const OFF_CATALOGUE = { answer: 'fraction', blueprint: 'debate', rationale: 'two agents argue' };

/** A plain solver → checker team: the weak model's runaway tool calls and standing FAIL need a tool-using agent and a verifier. */
const SOLVE_CHECK = TemplateSchema.parse({
  name: 'solve-check',
  agents: [
    { id: 'solver', role: 'Solver', instructions: 'Solve it.', tools: ['calculator'] },
    { id: 'checker', role: 'Checker', instructions: 'Check it.', tools: [], verifier: true },
  ],
  edges: [{ from: 'solver', to: 'checker' }],
  finalAgent: 'checker',
});

const PENCILS = 'A shop sells pencils at 3 for 2 dollars. How many dollars do 27 pencils cost?';

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

/** The weak model's meta-agent answers: the same off-catalogue choice on the first try and the repair, prose, half a patch. */
function weakMeta(body: any): ReturnType<typeof reply.text> | null {
  const system = systemText(body);
  if (system.startsWith('You are the Generator')) return reply.json(OFF_CATALOGUE);
  if (system.startsWith('You are the Implementer')) return reply.text('I think the solver should use the big model.');
  if (system.startsWith('You are the Rectifier')) return reply.text('{"scope": "local", "ops": [');
  return null;
}

test('a weak model’s invalid choices fall back: the repair round names every broken rule, then the blueprint for the task kind stands in', async () => {
  fake.reset();
  fake.setDefault((body: any) => weakMeta(body) ?? reply.text('```python\nprint(27 / 3 * 2)\n```'));
  const r: Result = await runToEnd(env.client, env.worker.taskQueue, taskInput(PENCILS, { pool: pool(), options: { maxRectifications: 1 } }));

  // 1. The choice broke two rules; the repair round named both, then the math fallback blueprint stood in.
  const generatorCalls = chat().filter((q) => systemText(q.body).startsWith('You are the Generator'));
  expect(generatorCalls).toHaveLength(2);
  const repair: string = generatorCalls[1].body.messages.at(-1).content;
  expect(repair).toMatch(/^- answer: .*"number"\|"text"\|"code"/m);
  expect(repair).toMatch(/^- blueprint: .*"single"/m);
  expect(repair.split('\n').filter((l) => l.startsWith('- ')).length).toBeGreaterThanOrEqual(2);
  expect(r.config!.template.name).toBe(FALLBACK_BLUEPRINT.math);

  // 2. Every meta-agent decision says where it came from, and the result counts them.
  const generator = r.decisions.find((d) => d.role === 'generator')!;
  expect(generator.source).toBe('fallback');
  expect(generator.rationale).toContain(`blueprint "${FALLBACK_BLUEPRINT.math}"`);
  expect(r.decisions.find((d) => d.role === 'implementer')?.source).toBe('fallback');
  expect(r.metaValidity?.generator).toEqual({ firstTry: 0, repair: 0, fallback: 1 });
  expect(r.metaValidity?.implementer).toEqual({ firstTry: 0, repair: 0, fallback: 1 });
  expect(r.status).toBe('completed');
  expect(r.answer).toContain('18');
});

test('a weak model end to end: runaway tool calls are bounded, a FAIL that stands ends the run unverified with the solver’s answer', async () => {
  fake.reset();
  fake.setDefault((body: any) => {
    const meta = weakMeta(body);
    if (meta) return meta;
    const system = systemText(body);
    if (system.includes('agent "checker"')) return reply.text('FAIL, the answer 18 is incorrect. The correct answer is 27 dollars.');
    if (body.tools) {
      // Five identical calculator calls in one turn, every turn the tools are offered.
      return reply.toolCalls(Array.from({ length: 5 }, (_, i) => ({ id: `c${i}`, name: 'calculator', arguments: { expression: '27 / 3 * 2' } })));
    }
    return reply.text(system.includes('agent "solver"') ? '18' : 'Cost = 27 / 3 * 2');
  });
  // The team is pinned: no blueprint has a plain tool-using solver checked by a verifier agent.
  const r: Result = await runToEnd(env.client, env.worker.taskQueue, taskInput(PENCILS, { pool: pool(), options: { template: SOLVE_CHECK, maxRectifications: 1 } }));

  // 2. The Implementer's and the Rectifier's unusable answers fall back, and the result counts them.
  expect(r.decisions.find((d) => d.role === 'implementer')?.source).toBe('fallback');
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
