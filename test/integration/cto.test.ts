/**
 * CTO on the simulator against the real test server: ctoCollect builds the
 * trees (child mas2Task runs, Rectifier branches that resume from s_t), the
 * client exports preference pairs with their prompts, and collecting again
 * re-attaches instead of redoing the work.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CtoNode, CtoTree, PreferenceLine } from '../../mas/cto';
import { CtoParamsSchema } from '../../mas/ctoSchemas';
import type { Result } from '../../mas/schemas';
import { LocalBlobStore } from '../../activities/blobStore';
import { collectTrees, ctoInput, ctoWorkflowId, exportPreferences, parseTasksFile, sha256, startQuery, type CollectSettings } from '../../client/cto';
import { ctoProgressQuery } from '../../workflows/cto';
import { simPool, useTestWorker } from './harness';

const env = useTestWorker('cto', { homePrefix: 'mas2-cto-' });

const TASKS = [
  JSON.stringify({ id: 'arith', task: 'Compute 17 * 23 + 4', expected: '395', evaluator: 'numeric' }),
  JSON.stringify({ id: 'prime', task: 'Write a Python function is_prime(n) and test it', tests: 'assert is_prime(7)\nassert not is_prime(9)', evaluator: 'python-tests' }),
].join('\n');

const settings = (extra: Partial<CollectSettings> = {}): CollectSettings => ({
  pool: simPool(),
  budgetUsd: 1,
  params: CtoParamsSchema.parse({ k: 2, n: 2, m: 2, concurrency: 4, maxDepth: 2 }),
  options: {},
  // Every fresh config run's second model call fails for good (after the first agent of a
  // multi-agent team finished): the Rectifier fires and branches. Blueprint teams run their
  // code through the sandbox activity, which tool faults do not reach.
  faults: [{ kind: 'model_error', backbone: '*', at: 2 }],
  ...extra,
});

const nodesOf = (t: CtoTree, role: string) => Object.values(t.nodes).filter((n) => n.role === role);

test('collects trees for a numeric and a python-tests query and exports tuples for several roles', async () => {
  const tasks = parseTasksFile(TASKS);
  const s = settings();
  const runs = await collectTrees({ client: env.client, tasks, fileHash: sha256(TASKS), settings: s, taskQueue: env.worker.taskQueue, parallel: 2 });
  expect(runs.map((r) => r.error)).toEqual([undefined, undefined]);
  const [arith, prime] = runs.map((r) => r.tree!);

  for (const t of [arith, prime]) {
    expect(nodesOf(t, 'generator')).toHaveLength(2);
    expect(nodesOf(t, 'implementer')).toHaveLength(4);
    // V(root) is the mean reward of the leaves.
    const leaves = Object.values(t.nodes).filter((n) => n.outcome);
    expect(leaves.length).toBe(t.leaves);
    expect(t.nodes.root.value).toBeCloseTo(leaves.reduce((sum, l) => sum + l.reward!, 0) / leaves.length, 10);
    // The Generator samples differ (sample 1 chooses another blueprint), and so do the Implementer samples.
    const [g0, g1] = nodesOf(t, 'generator');
    expect(JSON.stringify(g0.decision!.output)).not.toEqual(JSON.stringify(g1.decision!.output));
    expect(g0.decision!.promptRef).toMatch(/^sha256:/);
    expect(g0.decision!.promptRef).toBe(g1.decision!.promptRef);
  }
  expect(arith.passed).toBeGreaterThan(0);
  expect(prime.passed).toBeGreaterThan(0);

  // The failed call branched every initial config of the code task into M = 2 Rectifier samples.
  const branched = nodesOf(prime, 'implementer').filter((n) => n.run?.status === 'branched');
  expect(branched.length).toBeGreaterThan(0);
  for (const b of branched) {
    expect(b.run!.trigger!.kind).toBe('failure');
    expect(b.children).toHaveLength(2);
  }
  const recs = nodesOf(prime, 'rectifier') as CtoNode[];
  expect(recs.length).toBeGreaterThanOrEqual(4);
  // Each branch continued from s_t: a new workflow, linked to the collection, that starts with the
  // parent run's trigger rectified and keeps the finished outputs the patch does not touch.
  const rectified = recs.filter((r) => r.depth === 1 && r.run && r.run.status !== 'error');
  expect(rectified.length).toBeGreaterThanOrEqual(2);
  let keptSomething = 0;
  for (const r of rectified) {
    const parentRun = prime.nodes[r.parent!].run!;
    const branchResult = (await env.client.workflow.getHandle(r.run!.workflowId).result()) as Result;
    expect(branchResult.parentWorkflowId).toBe(prime.workflowId);
    const first = branchResult.rectifications[0];
    expect(first.trigger).toEqual(parentRun.trigger);
    expect(first.patch).toEqual((r.decision!.output as { ops: unknown[] }).ops);
    for (const agent of first.kept) {
      keptSomething++;
      // A kept agent ran once, before the branch point, and not again after the patch.
      const llm = branchResult.steps.filter((st) => st.agent === agent && st.kind === 'llm');
      expect(llm.length).toBeGreaterThan(0);
      expect(llm.every((st) => st.configVersion === 1)).toBe(true);
    }
  }
  expect(keptSomething).toBeGreaterThan(0);

  // Export: prompts loaded from the workers' blob store.
  const out = path.join(env.worker.home, 'out', 'PREFS.jsonl');
  const summary = await exportPreferences([arith, prime], new LocalBlobStore(path.join(env.worker.home, 'blobs')), out);
  const lines = fs
    .readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PreferenceLine);
  expect(lines.length).toBe(summary.lines);
  expect(new Set(lines.map((l) => l.role)).size).toBeGreaterThanOrEqual(2);
  for (const l of lines) {
    expect(Object.keys(l).sort()).toEqual(['chosen', 'nodes', 'prompt', 'queryId', 'rejected', 'role', 'weight']);
    expect(l.weight).toBeGreaterThan(0);
    expect(l.chosen).not.toEqual(l.rejected);
    expect(l.prompt[0].role).toBe('system');
    expect(l.prompt[0].content).toMatch(new RegExp(l.role, 'i'));
    JSON.parse(l.chosen);
    JSON.parse(l.rejected);
  }
  const tree = JSON.parse(fs.readFileSync(path.join(env.worker.home, 'out', 'PREFS.tree.json'), 'utf8')) as { trees: CtoTree[] };
  expect(tree.trees.map((t) => t.queryId)).toEqual(['arith', 'prime']);
  expect(JSON.stringify(tree.trees)).not.toContain('"prompt"'); // the tree carries promptRefs, not prompts

  // Collecting again with the same file and settings re-attaches to the finished workflows.
  const again = await collectTrees({ client: env.client, tasks, fileHash: sha256(TASKS), settings: s, taskQueue: env.worker.taskQueue });
  expect(again.map((r) => r.attached)).toEqual([true, true]);
  expect(again.map((r) => r.tree!.workflowId)).toEqual([arith.workflowId, prime.workflowId]);
  expect(again[1].tree!.preferences).toEqual(prime.preferences);
}, 120_000);

test('a collection restarted after its workflow was terminated reuses the children that had completed', async () => {
  const text = JSON.stringify({ id: 'restart', task: 'Compute 6 * 7', expected: '42', evaluator: 'numeric' });
  const [line] = parseTasksFile(text);
  const s = settings({ params: CtoParamsSchema.parse({ k: 2, n: 1, m: 2, concurrency: 1, maxDepth: 1 }), faults: [] });
  const workflowId = ctoWorkflowId(sha256(text), s, line.id);
  const first = await startQuery(env.client, ctoInput(line, s), workflowId, env.worker.taskQueue);
  expect(first.attached).toBe(false);
  // Wait for the first child run to finish, then kill the collection.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const p = await first.handle.query(ctoProgressQuery).catch(() => null);
    if (p && p.runsDone >= 1) break;
    if (Date.now() > deadline) throw new Error('no child finished');
    await new Promise((r) => setTimeout(r, 100));
  }
  await first.handle.terminate('simulated crash of the collection');
  const children = [`${workflowId}--g0.i0`, `${workflowId}--g1.i0`];
  const before = await Promise.all(children.map((id) => env.client.workflow.getHandle(id).describe().then((d) => ({ id, runId: d.runId, status: d.status.name }), () => null)));
  const completed = before.filter((d) => d?.status === 'COMPLETED');
  expect(completed.length).toBeGreaterThanOrEqual(1);

  const again = await startQuery(env.client, ctoInput(line, s), workflowId, env.worker.taskQueue);
  expect(again.attached).toBe(false);
  const tree = await again.handle.result();
  expect(tree.leaves).toBe(2);
  expect(tree.passed).toBe(2);
  // The children that had completed are the same runs as before the restart: fetched, not redone.
  for (const c of completed) expect((await env.client.workflow.getHandle(c!.id).describe()).runId).toBe(c!.runId);
}, 90_000);
