/**
 * A whole run through the real `openai` adapter: every meta-agent and agent
 * call goes over HTTP to an OpenAI-compatible server on 127.0.0.1, with a 429
 * that Temporal retries (visible as a second attempt) and tool calling.
 */
import { PoolSchema, TemplateSchema, type Result } from '../../mas/schemas';
import { FakeOpenAI, reply, type FakeServerHandle, type RecordedRequest } from '../helpers/fakeOpenAI';
import { runToEnd, taskInput, useTestWorker } from './harness';

const env = useTestWorker('openai');

let fake: FakeOpenAI;
let server: FakeServerHandle;

/** A team the Generator cannot choose: a solver with the calculator and a verifier checking it (pinned where a test needs a verifier). */
const TEMPLATE = {
  name: 'solve-check',
  agents: [
    { id: 'solver', role: 'Solver', instructions: 'Compute the answer with the calculator.', tools: ['calculator'] },
    { id: 'checker', role: 'Checker', instructions: 'Check the result; start with PASS or FAIL.', tools: [], verifier: true },
  ],
  edges: [{ from: 'solver', to: 'checker' }],
  finalAgent: 'checker',
};

/** The Generator's catalogue choice: one agent, with the calculator. */
const CHOICE = { answer: 'number', blueprint: 'single', tools: ['calculator'], rationale: 'one expression' };

function systemText(body: { messages: { role: string; content: string | null }[] }): string {
  return body.messages.find((m) => m.role === 'system')?.content ?? '';
}

/** Plays the three meta-agents and the team from what each request says. */
function scriptedModel(body: any): ReturnType<typeof reply.text> {
  const system = systemText(body);
  if (system.startsWith('You are the Generator')) return reply.json(CHOICE, { prompt_tokens: 800, completion_tokens: 200 });
  if (system.startsWith('You are the Implementer')) {
    const repair = body.messages.some((m: { role: string }) => m.role === 'assistant');
    // The team is listed in the user message, one "- id: role" line per agent.
    const checked = body.messages.some((m: { role: string; content: string | null }) => m.role === 'user' && m.content?.includes('- checker: Checker'));
    if (!checked) {
      // First a backbone the pool does not have (the rule the repair round names), then the fix.
      return reply.json({ assignment: [{ agent: 'solver', backbone: repair ? 'strong' : 'huge', reason: 'math' }], rationale: 'strong where the answer is decided' });
    }
    // First a checker weaker than the solver it checks (the rule the repair round names), then the fix.
    return reply.json({ assignment: [{ agent: 'solver', backbone: 'strong', reason: 'math' }, { agent: 'checker', backbone: repair ? 'strong' : 'cheap', reason: 'checks the solver' }], rationale: 'strong where the answer is decided' });
  }
  const toolMessages = body.messages.filter((m: { role: string }) => m.role === 'tool');
  if (body.tools && toolMessages.length === 0) return reply.toolCalls([{ name: 'calculator', arguments: { expression: '17 * 23 + 4' } }], { prompt_tokens: 300, completion_tokens: 20 });
  if (body.tools) return reply.text(`result: ${JSON.parse(toolMessages[0].content).output}`, { prompt_tokens: 350, completion_tokens: 10 });
  return reply.text('PASS: 17 * 23 + 4 = 395', { prompt_tokens: 200, completion_tokens: 12 });
}

beforeAll(async () => {
  fake = new FakeOpenAI({ defaultHandler: scriptedModel });
  server = await fake.start();
  process.env.MAS2_TEST_FAKE_KEY = 'sk-test-loopback';
});

afterAll(async () => {
  await server?.close();
});

function pool() {
  const common = { provider: 'openai', baseURL: server.baseURL, apiKeyEnv: 'MAS2_TEST_FAKE_KEY' };
  return PoolSchema.parse({
    default: 'cheap',
    backbones: [
      { ...common, id: 'cheap', model: 'small-model', pricing: { inputPerM: 0.1, outputPerM: 0.4 } },
      { ...common, id: 'strong', model: 'big-model', pricing: { inputPerM: 2, outputPerM: 8 } },
    ],
  });
}

const chat = (): RecordedRequest[] => fake.requests.filter((r) => r.path === '/v1/chat/completions');

test('a task runs end to end over HTTP: structured meta-agent output, tool calling, usage → cost, a 429 retried by Temporal', async () => {
  fake.reset();
  fake.setDefault(scriptedModel);
  // The first request (the Generator) is refused once with 429; Temporal's retry policy tries again.
  fake.enqueue(reply.error(429, 'slow down'));
  const r: Result = await runToEnd(env.client, env.worker.taskQueue, taskInput('Compute 17 * 23 + 4', { pool: pool() }));
  expect(r.status).toBe('completed');
  expect(r.simulated).toBe(false);
  expect(r.answer).toBe('result: 395');
  expect(r.config!.template.name).toBe('single');
  expect(r.config!.template.agents.map((a) => a.id)).toEqual(['solver']);
  expect(r.config!.assignment).toEqual({ solver: 'strong' });
  expect(r.decisions.find((d) => d.role === 'generator')?.source).toBe('model');
  expect(r.decisions.find((d) => d.role === 'implementer')?.source).toBe('repair');

  const requests = chat();
  const implementerCalls = requests.filter((q) => systemText(q.body).startsWith('You are the Implementer'));
  expect(implementerCalls).toHaveLength(2);
  expect(implementerCalls[1].body.messages.at(-1).content).toContain('agent "solver": backbone "huge" is not in the pool (cheap, strong)');
  expect(requests[0].headers.authorization).toBe('Bearer sk-test-loopback');
  expect(requests[1].body.response_format?.type).toBe('json_schema');
  expect(requests.find((q) => q.body.tools)?.body.tools[0].function.name).toBe('calculator');
  // 1 refused + generator + implementer ×2 + solver ×2
  expect(requests).toHaveLength(6);

  const generatorStep = r.steps.find((s) => s.agent === 'generator')!;
  expect(generatorStep.attempts).toBe(2);
  const tool = r.steps.find((s) => s.kind === 'tool')!;
  expect(tool).toMatchObject({ name: 'calculator', status: 'completed' });
  expect(r.outputs.solver.text).toBe('result: 395');
  // Usage × price: the Generator's 800 in / 200 out tokens on the default backbone (0.1 / 0.4 per M).
  expect(generatorStep.costUsd).toBeCloseTo((800 * 0.1 + 200 * 0.4) / 1e6, 12);
  expect(r.cost.perBackbone.strong.calls).toBe(2);
  expect(r.cost.usd).toBeCloseTo(r.steps.reduce((n, s) => n + s.costUsd, 0), 12);
});

test('a pinned team whose final agent is a verifier: the answer is the output it verified; a verifier weaker than its producer is repaired', async () => {
  fake.reset();
  fake.setDefault(scriptedModel);
  const r: Result = await runToEnd(env.client, env.worker.taskQueue, taskInput('Compute 17 * 23 + 4', { pool: pool(), options: { template: TemplateSchema.parse(TEMPLATE) } }));
  expect(r.status).toBe('completed');
  // The final agent is a verifier: the answer is the output it verified, not its verdict.
  expect(r.answer).toBe('result: 395');
  expect(r.outputs.checker.text).toBe('PASS: 17 * 23 + 4 = 395');
  expect(r.config!.assignment).toEqual({ solver: 'strong', checker: 'strong' });
  expect(r.decisions.find((d) => d.role === 'implementer')?.source).toBe('repair');
  const implementerCalls = chat().filter((q) => systemText(q.body).startsWith('You are the Implementer'));
  expect(implementerCalls).toHaveLength(2);
  expect(implementerCalls[1].body.messages.at(-1).content).toContain('verifier "checker" on cheap checks "solver" on strong: a verifier needs a backbone at least as strong as the agent it checks');
  // solver ×2 + checker on strong
  expect(r.cost.perBackbone.strong.calls).toBe(3);
});

/**
 * The catalogue-only Generator cannot name a final agent (a blueprint's team has one by
 * construction), so the rule that fixed a wrong final agent has no input left. Its catalogue
 * counterpart: what expansion can fix by rule (a tool that cannot work here) is fixed and said,
 * without a repair round.
 */
test('a choice naming a tool that cannot work here gets its team without it, by rule, without a repair round', async () => {
  fake.reset();
  fake.setDefault((body: any) => (systemText(body).startsWith('You are the Generator') ? reply.json({ ...CHOICE, tools: ['calculator', 'abacus'] }) : scriptedModel(body)));
  const r: Result = await runToEnd(env.client, env.worker.taskQueue, taskInput('Compute 17 * 23 + 4', { pool: pool() }));
  expect(r.status).toBe('completed');
  expect(r.config!.template.agents.map((a) => a.tools)).toEqual([['calculator']]);
  const generator = r.decisions.find((d) => d.role === 'generator')!;
  expect(generator.source).toBe('model');
  expect(generator.rationale).toContain('tools not available here were left out: abacus');
  expect(chat().filter((q) => systemText(q.body).startsWith('You are the Generator'))).toHaveLength(1);
  expect(r.answer).toBe('result: 395');
});

test('a 401 is not retried: the model call fails once and fires the failure trigger', async () => {
  fake.reset();
  fake.setDefault((body: any) => (systemText(body).startsWith('You are Solver') ? reply.error(401, 'invalid api key') : scriptedModel(body)));
  const r = await runToEnd(env.client, env.worker.taskQueue, taskInput('Compute 17 * 23 + 4', { pool: pool(), options: { rectifier: false } }));
  expect(r.config!.template.agents.map((a) => a.id)).toEqual(['solver']);
  expect(r.status).toBe('failed');
  expect(r.reason).toMatch(/failure trigger/);
  expect(r.reason).toMatch(/401/);
  const failed = r.steps.filter((s) => s.status === 'failed');
  expect(failed).toHaveLength(1);
  expect(failed[0].attempts).toBe(1);
  expect(chat().filter((q) => systemText(q.body).startsWith('You are Solver'))).toHaveLength(1);
});

test('a bounded feedback loop: REVISE sends the work back once with the feedback, then the answer stands', async () => {
  fake.reset();
  let reviews = 0;
  fake.setDefault((body: any) => {
    const system = systemText(body);
    if (system.startsWith('You are Checker')) {
      reviews++;
      return reviews === 1 ? reply.text('REVISE: show the intermediate product') : reply.text('PASS: 17 * 23 = 391, + 4 = 395');
    }
    return scriptedModel(body);
  });
  const template = { ...TEMPLATE, loops: [{ from: 'checker', to: 'solver', maxRounds: 1 }] };
  const r = await runToEnd(
    env.client,
    env.worker.taskQueue,
    taskInput('Compute 17 * 23 + 4', { pool: pool(), options: { template, assignment: { solver: 'strong', checker: 'cheap' } } }),
  );
  expect(r.status).toBe('completed');
  expect(r.answer).toBe('result: 395');
  expect(r.outputs.checker.text).toBe('PASS: 17 * 23 = 391, + 4 = 395');
  expect(reviews).toBe(2);
  const solverFirstCalls = chat().filter((q) => systemText(q.body).startsWith('You are Solver') && !q.body.messages.some((m: { role: string }) => m.role === 'tool'));
  expect(solverFirstCalls).toHaveLength(2);
  expect(solverFirstCalls[1].body.messages[1].content).toContain('REVISE: show the intermediate product');
  expect(r.rectifications).toHaveLength(0);
});
