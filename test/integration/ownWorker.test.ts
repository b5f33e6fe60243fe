/**
 * A Temporal user hosts mas2 in their own worker: their task queue, their
 * workflow beside mas2's (re-exported from `mas2/workflows`), mas2's
 * activities from `createMas2Activities` with their own tools. Runs are
 * started, followed and steered through the library API (connect with
 * worker: false — the user's worker does the work).
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { connect, createMas2Activities, defineTool, ToolError, z, type Mas2, type RunEvent } from '../../lib';
import { tempHome, simPool, uniqueQueue } from './harness';
import { testServerAddress } from './server';

const wordCount = defineTool({
  name: 'word_count',
  description: 'Counts the words in a text',
  parameters: z.object({ text: z.string() }),
  execute: ({ text }) => text.trim().split(/\s+/).length,
});
const flaky = defineTool({
  name: 'flaky_lookup',
  description: 'Looks a fact up in the company database',
  parameters: z.object({ query: z.string() }),
  execute: () => {
    throw new Error('database connection refused');
  },
});
const strict = defineTool({
  name: 'strict_echo',
  description: 'Echoes a text, but refuses most',
  parameters: z.object({ text: z.string() }),
  execute: ({ text }) => {
    throw new ToolError(`refusing to echo "${text}"`);
  },
});
const slow = defineTool({
  name: 'slow_report',
  description: 'Builds a report (slowly)',
  parameters: z.object({ topic: z.string() }),
  timeoutMs: 1500,
  execute: (_args, ctx) =>
    new Promise<string>((resolve) => {
      const t = setTimeout(() => resolve('too late'), 5000);
      ctx.signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve('stopped');
      });
    }),
});
const tools = [wordCount, flaky, strict, slow];

const taskQueue = uniqueQueue('acme');
let worker: Worker;
let running: Promise<void>;
let connection: NativeConnection;
let mas2: Mas2;
let closeActivities: () => Promise<void>;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    /* installed already in this Jest worker */
  }
  const host = createMas2Activities({ tools, home: tempHome('mas2-own-worker-') });
  closeActivities = host.close;
  connection = await NativeConnection.connect({ address: testServerAddress() });
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./userWorkflows'), logger: { info() {}, warn() {}, debug() {}, trace() {}, log() {}, error: console.error } });
  worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: { code },
    activities: { ...host.activities, greet: async (name: string) => `hello ${name}` },
  });
  running = worker.run();
  process.env.TEMPORAL_ADDRESS = testServerAddress();
  mas2 = await connect({ taskQueue, worker: false, tools });
});

afterAll(async () => {
  await mas2?.close();
  worker?.shutdown();
  await running;
  await connection?.close();
  await closeActivities?.();
});

test("the user's own workflow runs on the same worker", async () => {
  const r = await mas2.client.workflow.execute('greeting', { taskQueue, workflowId: `greet-${taskQueue}`, args: ['ada'] });
  expect(r).toBe('hello ada');
});

test('a mas2 task on their queue calls their own tool; follow() reports it and ends with the result', async () => {
  const run = await mas2.start('Count the words in "to be or not to be"', { id: `count-${taskQueue}`, pool: 'sim' });
  const events: RunEvent[] = [];
  for await (const e of run.follow()) events.push(e);
  const last = events[events.length - 1];
  expect(last.type).toBe('finished');
  const result = (last as Extract<RunEvent, { type: 'finished' }>).result;
  expect(result.status).toBe('completed');
  expect(events.filter((e) => e.type === 'team')).toHaveLength(1);
  expect(events).toContainEqual({ type: 'step', step: expect.objectContaining({ kind: 'tool', name: 'word_count', status: 'completed' }) });
  expect(events.filter((e) => e.type === 'step')).toHaveLength(result.steps.length);
  expect(result.answer).toContain('word_count: 6');
  expect(await run.result()).toEqual(result);
  const audit = await run.audit();
  expect(audit.steps.some((s) => s.activity === 'runTool')).toBe(true);
  // The tool call's activity carries the tool's name as its summary (what the Web UI shows).
  const history = await mas2.client.workflow.getHandle(run.workflowId).fetchHistory();
  const summaries = (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runTool')
    .map((e) => (e.userMetadata?.summary ? defaultPayloadConverter.fromPayload(e.userMetadata.summary) : null));
  expect(summaries).toEqual(['word_count']);
});

test('a ToolError goes back to the agent; any other exception is a crash that fires the Rectifier', async () => {
  const refused = await (await mas2.start('Please echo "hello" with strict echo', { id: `strict-${taskQueue}`, pool: 'sim' })).result();
  expect(refused.steps).toContainEqual(expect.objectContaining({ kind: 'tool', name: 'strict_echo', status: 'completed', error: 'refusing to echo "hello"' }));
  expect(refused.rectifications).toHaveLength(0);

  const crashed = await (await mas2.start('Do a lookup of the capital of France', { id: `flaky-${taskQueue}`, pool: 'sim', options: { maxRectifications: 1 } })).result();
  const failedStep = crashed.steps.find((s) => s.kind === 'tool' && s.name === 'flaky_lookup' && s.status === 'failed');
  expect(failedStep?.error).toMatch(/crashed: Error: database connection refused/);
  expect(crashed.rectifications[0].trigger).toMatchObject({ kind: 'failure', tool: 'flaky_lookup' });
});

test("an own tool's timeoutMs is its activity's start-to-close timeout: retried, then a failure trigger", async () => {
  const r = await (await mas2.start('Write the slow report for today', { id: `slow-${taskQueue}`, pool: 'sim', options: { maxRectifications: 0 } })).result();
  const step = r.steps.find((s) => s.kind === 'tool' && s.name === 'slow_report');
  expect(step).toMatchObject({ status: 'failed', attempts: 3 });
  expect(step!.error).toMatch(/timeout|timed out/i);
  expect(r.status).toBe('failed');
  expect(r.reason).toMatch(/failure trigger/);
});

test('signal, update and cancel through the Run handle', async () => {
  // Slow simulated calls keep the runs open while they are steered.
  const pool = simPool({ latencyMs: 1500 });
  const run = await mas2.start('Write a Python function fib(n) and check it on the first 10 values', { id: `steer-${taskQueue}`, pool });
  expect(await run.raiseBudget(2)).toBe(2);
  await run.rectify('use a reviewer that also checks edge cases');
  const r = await run.result();
  expect(r.budgetUsd).toBe(2);
  expect(r.rectifications.some((x) => x.trigger.kind === 'external' && x.trigger.detail === 'use a reviewer that also checks edge cases')).toBe(true);

  const doomed = await mas2.start('Write a Python function is_prime(n) and test it', { id: `cancel-${taskQueue}`, pool });
  await doomed.cancel();
  expect((await doomed.result()).status).toBe('cancelled');
  await expect(doomed.rectify('too late')).rejects.toThrow(/only a running task can be rectified/);
});
