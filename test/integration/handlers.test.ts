/**
 * No client can wedge a run: arbitrary JSON sent to every handler of a running
 * mas2Task and ctoCollect (signals, updates, queries, known names and unknown
 * ones) through a real client leaves the run completing with the same answer
 * as an undisturbed run. Malformed signals are recorded in the result.
 */
import fc from 'fast-check';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { checkRectifyArgs } from '../../mas/handlerInputs';
import type { CtoTree } from '../../mas/cto';
import { CtoParamsSchema } from '../../mas/ctoSchemas';
import type { Result, Template } from '../../mas/schemas';
import { ctoInput, parseTasksFile, startQuery } from '../../client/cto';
import { simPool, taskInput, useTestWorker } from './harness';

const env = useTestWorker('handlers', { homePrefix: 'mas2-handlers-' });

const SEED = Number(process.env.FUZZ_SEED ?? 1414);

const chain = (n: number): Template => ({
  name: 'chain',
  agents: Array.from({ length: n }, (_, i) => ({ id: `a${i}`, role: `step ${i}`, instructions: `Do step ${i}.`, tools: [], maxTurns: 4 })),
  edges: Array.from({ length: n - 1 }, (_, i) => ({ from: `a${i}`, to: `a${i + 1}` })),
  loops: [],
  finalAgent: `a${n - 1}`,
});

/** Anything a client could send as arguments: JSON, nothing at all, or several values. */
const argsArb = fc.array(fc.oneof(fc.jsonValue(), fc.record({ reason: fc.jsonValue() }), fc.record({ budgetUsd: fc.jsonValue() })), { maxLength: 3 });
const nameArb = (known: string[]) => fc.oneof(fc.constantFrom(...known), fc.string({ minLength: 1, maxLength: 20 }));

interface Sent {
  signals: number;
  rejectedUpdates: string[];
  acceptedUpdates: number;
  queryErrors: number;
}

/** Fires the messages at the running workflow; messages that arrive after it closed do not count. */
async function barrage(client: Client, handle: WorkflowHandle, messages: { kind: 'signal' | 'update' | 'query'; name: string; args: unknown[] }[]): Promise<Sent> {
  const sent: Sent = { signals: 0, rejectedUpdates: [], acceptedUpdates: 0, queryErrors: 0 };
  for (const m of messages) {
    const running = (await handle.describe()).status.name === 'RUNNING';
    if (!running) break;
    if (m.kind === 'signal') {
      await handle.signal(m.name, ...m.args).then(() => sent.signals++, () => undefined);
    } else if (m.kind === 'update') {
      await handle.executeUpdate(m.name, { args: m.args as [unknown] }).then(
        () => sent.acceptedUpdates++,
        (e: { cause?: { message?: string }; message?: string }) => sent.rejectedUpdates.push(e.cause?.message ?? e.message ?? String(e)),
      );
    } else {
      await handle.query(m.name, ...m.args).catch(() => sent.queryErrors++);
    }
  }
  void client;
  return sent;
}

test('mas2Task: fuzzed signals, updates and queries leave the run completing with the same answer', async () => {
  const input = (latencyMs: number) =>
    taskInput('Summarise the three laws of thermodynamics', {
      budgetUsd: 5,
      pool: simPool({ latencyMs }),
      options: { template: chain(6), assignment: Object.fromEntries(chain(6).agents.map((a) => [a.id, 'sim-medium'])), seed: 3 },
    });
  const q = env.worker.taskQueue;
  const reference = (await (await env.client.workflow.start('mas2Task', { taskQueue: q, workflowId: `fuzz-ref-${Date.now()}`, args: [input(0)] })).result()) as Result;
  expect(reference.status).toBe('completed');

  const handle = await env.client.workflow.start('mas2Task', { taskQueue: q, workflowId: `fuzz-${Date.now()}`, args: [input(1500)] });
  // The case from the issue first, then the generated ones. Valid rectify signals would change
  // the run on purpose, so only malformed ones are sent under that name.
  const generated = fc.sample(
    fc.record({ kind: fc.constantFrom('signal' as const, 'update' as const, 'query' as const), name: nameArb(['rectify', 'raiseBudget', 'state']), args: argsArb }),
    { numRuns: 80, seed: SEED },
  );
  const messages = [
    { kind: 'signal' as const, name: 'rectify', args: [{ reason: 5 }] },
    { kind: 'signal' as const, name: 'rectify', args: [] },
    { kind: 'update' as const, name: 'raiseBudget', args: [null] },
    { kind: 'update' as const, name: 'raiseBudget', args: [{ budgetUsd: 'lots' }] },
    ...generated.filter((m) => !(m.kind === 'signal' && m.name === 'rectify' && checkRectifyArgs(m.args).ok)),
  ];
  const sent = await barrage(env.client, handle, messages);
  const result = (await handle.result()) as Result;

  expect(result.status).toBe('completed');
  expect(result.answer).toBe(reference.answer);
  expect(result.rectifications).toEqual([]);
  expect(sent.signals).toBeGreaterThanOrEqual(2);
  // Every signal delivered was malformed or unknown: each one is recorded, none changed the run.
  expect(result.rejectedSignalCount).toBe(sent.signals);
  expect(result.rejectedSignals![0]).toMatchObject({ name: 'rectify', problem: 'rectify expects one {"reason": string} of at most 2000 characters; got {"reason":5}' });
  // Invalid updates were refused by the validator with one sentence each.
  expect(sent.rejectedUpdates[0]).toBe('raiseBudget expects one {"budgetUsd": number}; got null');
  for (const m of sent.rejectedUpdates) expect(m).not.toMatch(/Cannot destructure|is not a function|undefined/);
}, 120_000);

test('ctoCollect: fuzzed signals, updates and queries leave the collection completing with the same tree', async () => {
  const text = JSON.stringify({ id: 'fuzz', task: 'Compute 6 * 7', expected: '42', evaluator: 'numeric' });
  const [line] = parseTasksFile(text);
  const settings = (latencyMs: number) => ({
    pool: simPool({ latencyMs }),
    budgetUsd: 1,
    params: CtoParamsSchema.parse({ k: 2, n: 1, m: 1, concurrency: 1, maxDepth: 1 }),
    options: {},
    faults: [],
  });
  const q = env.worker.taskQueue;
  const ref = await (await startQuery(env.client, ctoInput(line, settings(0)), `cto-fuzz-ref-${Date.now()}`, q)).handle.result();
  const { handle } = await startQuery(env.client, ctoInput(line, settings(800)), `cto-fuzz-${Date.now()}`, q);
  const messages = fc.sample(
    fc.record({ kind: fc.constantFrom('signal' as const, 'update' as const, 'query' as const), name: nameArb(['ctoProgress', 'rectify', 'raiseBudget', 'state']), args: argsArb }),
    { numRuns: 60, seed: SEED },
  );
  const sent = await barrage(env.client, handle as unknown as WorkflowHandle, messages);
  const tree = (await handle.result()) as CtoTree;
  const answers = (t: CtoTree) => Object.fromEntries(Object.values(t.nodes).map((n) => [n.id, [n.run?.status, n.run?.answer, n.outcome?.pass]]));
  expect(answers(tree)).toEqual(answers(ref));
  expect(tree.passed).toBe(ref.passed);
  expect(sent.signals).toBeGreaterThan(0);
  expect(tree.rejectedSignalCount).toBe(sent.signals);
  expect(sent.acceptedUpdates).toBe(0); // ctoCollect has no updates: every one is refused
}, 120_000);
