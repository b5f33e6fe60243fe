/**
 * ctoCollect continues as new (here forced by `continueAsNewAfter`) without
 * losing a branch: the tree equals an undisturbed collection's, every child run
 * is started once across the whole chain (finished ones are re-attached), and
 * no meta-agent decision is asked for twice.
 */
import type { CtoNode, CtoTree } from '../../mas/cto';
import { CtoParamsSchema } from '../../mas/ctoSchemas';
import { ctoInput, parseTasksFile, startQuery, type CollectSettings } from '../../client/cto';
import { eventTypeName } from '../../bench/history';
import { fetchRunHistories } from '../../client/audit';
import { simPool, useTestWorker } from './harness';

const env = useTestWorker('cto-can', { homePrefix: 'mas2-cto-can-' });

test('a collection that continues as new every few items builds the same tree and starts each child once', async () => {
  const text = JSON.stringify({ id: 'can', task: 'Write a Python function is_prime(n) and test it', tests: 'assert is_prime(7)\nassert not is_prime(9)', evaluator: 'python-tests' });
  const [line] = parseTasksFile(text);
  const settings: CollectSettings = {
    pool: simPool(),
    budgetUsd: 1,
    params: CtoParamsSchema.parse({ k: 2, n: 1, m: 2, concurrency: 2, maxDepth: 1 }),
    options: {},
    // Every fresh config run's second model call fails for good: every config branches into
    // Rectifier samples (blueprint teams run their code through the sandbox activity, which tool
    // faults do not reach).
    faults: [{ kind: 'model_error', backbone: '*', at: 2 }],
  };
  const q = env.worker.taskQueue;
  const refId = `cto-can-ref-${Date.now()}`;
  const ref = await (await startQuery(env.client, ctoInput(line, settings), refId, q)).handle.result();
  const canId = `cto-can-${Date.now()}`;
  const started = await startQuery(env.client, { ...ctoInput(line, settings), continueAsNewAfter: 2 }, canId, q);
  const tree = (await started.handle.result()) as CtoTree;

  // The chain really continued as new, several times.
  const runs = (await fetchRunHistories(env.client, canId)).map((r) => r.events);
  expect(runs.length).toBeGreaterThan(2);
  expect(tree.continuedAsNew).toBe(runs.length - 1);

  // Same tree: the same nodes, decisions, runs and outcomes (child ids differ only by the collection id).
  const shape = (t: CtoTree) =>
    Object.fromEntries(
      Object.values(t.nodes).map((x: CtoNode) => [x.id, { children: x.children, out: JSON.stringify(x.decision?.output ?? null), status: x.run?.status, answer: x.run?.answer, pass: x.outcome?.pass, error: x.error }]),
    );
  expect(shape(tree)).toEqual(shape(ref));
  expect(Object.values(tree.nodes).some((x) => x.role === 'rectifier' && x.outcome)).toBe(true);
  expect(tree.leaves).toBe(ref.leaves);
  expect(tree.passed).toBe(ref.passed);

  // Each child started exactly once over the whole chain; each meta decision scheduled once.
  const events = runs.flat();
  const childStarts = events.filter((e) => eventTypeName(e) === 'CHILD_WORKFLOW_EXECUTION_STARTED').map((e) => e.childWorkflowExecutionStartedEventAttributes!.workflowExecution!.workflowId!);
  expect(new Set(childStarts).size).toBe(childStarts.length);
  expect(childStarts.length).toBe(Object.values(tree.nodes).filter((x) => x.run).length);
  const metaScheduled = events
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((name) => name === 'generateTemplate' || name === 'implementAssignment' || name === 'rectify');
  expect(metaScheduled.length).toBe(Object.values(tree.nodes).filter((x) => x.decision).length);
  for (const id of new Set(childStarts)) {
    const executions = [];
    for await (const w of env.client.workflow.list({ query: `WorkflowId = '${id}'` })) executions.push(w.runId);
    expect(executions.length).toBeLessThanOrEqual(1); // visibility may lag; never two executions
  }
}, 240_000);
