/**
 * The Rectifier against the real dev server: every trigger kind, resume from
 * s_t, the budget guard, the raiseBudget update, ablations and cancellation.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Result, Step } from '../../mas/schemas';
import { TemplateSchema } from '../../mas/schemas';
import { TEMPLATES_BY_KIND } from '../../mas/templates';
import { runToEnd, simPool, taskInput, useTestWorker } from './harness';

const env = useTestWorker('rect');

const IS_PRIME = 'Write a Python function is_prime(n) and test it';

/**
 * The tests of the rules for plain agents (a crashed tool, a model call that fails, the budget
 * threshold) pin the built-in team of the task's kind: the Generator chooses blueprints whose
 * programmers and ensembles run code through the sandbox activity, not through a tool call.
 */
const CODE_TEAM = { template: TEMPLATES_BY_KIND.code };
const QA_TEAM = { template: TEMPLATES_BY_KIND.qa };

function completedStepKeys(r: Result): string[] {
  return r.steps.filter((s) => s.status === 'completed').map((s: Step) => `${s.agent}/${s.kind}/${s.callIndex}`);
}

async function waitFor(pred: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}

test('a crashed tool fires the failure trigger; the patched team resumes from s_t', async () => {
  const r = await runToEnd(env.client, env.worker.taskQueue, taskInput(IS_PRIME, { faults: [{ kind: 'tool_crash', tool: 'python', at: 1 }], options: CODE_TEAM }));
  expect(r.status).toBe('completed');
  expect(r.rectifications.length).toBeGreaterThanOrEqual(1);
  const rect = r.rectifications[0];
  expect(rect.trigger.kind).toBe('failure');
  expect(rect.trigger.tool).toBe('python');
  expect(rect.patch.length).toBeGreaterThan(0);
  expect(r.config!.version).toBeGreaterThanOrEqual(2);
  // The planner finished before the crash and is untouched by the patch: kept, not re-run.
  expect(rect.kept).toContain('planner');
  expect(r.steps.filter((s) => s.agent === 'planner' && s.kind === 'llm')).toHaveLength(1);
  const keys = completedStepKeys(r);
  expect(new Set(keys).size).toBe(keys.length);
  expect(r.answer).toContain('[2, 3, 5, 7, 11, 13, 17, 19, 23, 29]');
});

test('a tool crash that retrying can fix (search service 503) is retried by Temporal, not rectified', async () => {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    if (requests <= 2) {
      res.writeHead(503).end('busy');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ results: [{ id: 'titan', title: 'Titan', snippet: 'Titan is the largest moon of Saturn.', score: 1 }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const previous = process.env.MAS2_SEARCH_URL;
  process.env.MAS2_SEARCH_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/search`;
  try {
    const r = await runToEnd(env.client, env.worker.taskQueue, taskInput('Name the largest moon of Saturn', { options: QA_TEAM }));
    expect(r.status).toBe('completed');
    const search = r.steps.filter((st) => st.kind === 'tool' && st.name === 'search');
    expect(search).toHaveLength(1);
    expect(search[0]).toMatchObject({ status: 'completed', attempts: 3 });
    expect(r.rectifications).toHaveLength(0);
    expect(r.outputs.researcher.text).toContain('Titan is the largest moon of Saturn.');
    expect(requests).toBe(3);
  } finally {
    if (previous === undefined) delete process.env.MAS2_SEARCH_URL;
    else process.env.MAS2_SEARCH_URL = previous;
    server.close();
  }
});

test('with --no-rectifier the same fault fails the run and names the trigger', async () => {
  const r = await runToEnd(
    env.client,
    env.worker.taskQueue,
    taskInput(IS_PRIME, { faults: [{ kind: 'tool_crash', tool: 'python', at: 1 }], options: { ...CODE_TEAM, rectifier: false } }),
  );
  expect(r.status).toBe('failed');
  expect(r.reason).toMatch(/failure trigger/);
  expect(r.reason).toMatch(/python crashed/);
  expect(r.reason).toMatch(/--no-rectifier/);
  expect(r.rectifications).toHaveLength(0);
});

test('a model call that fails for good moves the agent to another backbone', async () => {
  const r = await runToEnd(env.client, env.worker.taskQueue, taskInput(IS_PRIME, { faults: [{ kind: 'model_error', backbone: 'sim-large', at: 1 }], options: CODE_TEAM }));
  expect(r.status).toBe('completed');
  const rect = r.rectifications[0];
  expect(rect.trigger.kind).toBe('failure');
  expect(rect.trigger.agent).toBe('coder');
  expect(rect.patch).toEqual([{ op: 'set_backbone', agent: 'coder', backbone: expect.not.stringMatching(/^sim-large$/) }]);
  expect(r.config!.assignment.coder).not.toBe('sim-large');
  const failed = r.steps.filter((s) => s.status === 'failed');
  expect(failed).toHaveLength(1);
  expect(failed[0].error).toMatch(/injected fault/);
});

test('a verifier that answers FAIL fires the verifier trigger (silent error) and re-runs producer and verifier', async () => {
  const template = TemplateSchema.parse({
    name: 'solve-verify',
    agents: [
      { id: 'solver', role: 'Solver', instructions: 'Answer the question.', tools: [] },
      { id: 'checker', role: 'Checker', instructions: 'Check the answer. Start with PASS or FAIL.', tools: [], verifier: true },
    ],
    edges: [{ from: 'solver', to: 'checker' }],
    finalAgent: 'checker',
  });
  const r = await runToEnd(
    env.client,
    env.worker.taskQueue,
    taskInput('Name the largest moon of Saturn', { options: { template, assignment: { solver: 'sim-small', checker: 'sim-small' }, maxRectifications: 2 } }),
  );
  const verifierRects = r.rectifications.filter((x) => x.trigger.kind === 'verifier');
  expect(verifierRects.length).toBeGreaterThanOrEqual(1);
  expect(verifierRects[0].trigger.agent).toBe('checker');
  expect(verifierRects[0].rerun).toEqual(expect.arrayContaining(['solver', 'checker']));
  // The cap bounds the loop; a FAIL that still stands then ends the run unverified, and either way
  // the answer is the solver's output, never the checker's verdict.
  expect(r.rectifications.length).toBeLessThanOrEqual(2);
  expect(['completed', 'unverified']).toContain(r.status);
  if (r.status === 'unverified') expect(r.reason).toMatch(/rectification cap of 2 was reached/);
  expect(r.answer).toBe(r.outputs.solver.text);
});

test('at 60% of an unconstrained run’s cost the run rectifies for budget or stops without overspending', async () => {
  const free = await runToEnd(env.client, env.worker.taskQueue, taskInput(IS_PRIME));
  expect(free.status).toBe('completed');
  const budgetUsd = free.cost.usd * 0.6;
  const r = await runToEnd(env.client, env.worker.taskQueue, taskInput(IS_PRIME, { budgetUsd }));
  expect(r.cost.usd).toBeLessThanOrEqual(budgetUsd);
  if (r.status === 'completed') {
    expect(r.rectifications.some((x) => x.trigger.kind === 'budget' || x.trigger.kind === 'projected_budget')).toBe(true);
  } else {
    expect(r.status).toBe('budget_exhausted');
    expect(r.reason).toMatch(/budget/);
  }
});

test('cost above θ_C fires the budget trigger once and moves unfinished agents to the cheapest backbone', async () => {
  const free = await runToEnd(env.client, env.worker.taskQueue, taskInput(IS_PRIME, { options: CODE_TEAM }));
  // θ_C at 10% of a budget four times the run's cost: crossed early, never near the hard limit.
  const r = await runToEnd(env.client, env.worker.taskQueue, taskInput(IS_PRIME, { budgetUsd: free.cost.usd * 4, options: { ...CODE_TEAM, thetaFraction: 0.1 } }));
  expect(r.status).toBe('completed');
  const budget = r.rectifications.filter((x) => x.trigger.kind === 'budget');
  expect(budget).toHaveLength(1);
  expect(budget[0].trigger.detail).toMatch(/above θ_C = 10%/);
  expect(budget[0].patch.length).toBeGreaterThan(0);
  expect(budget[0].patch.every((op) => op.op === 'set_backbone' && op.backbone === 'sim-small')).toBe(true);
  // Finished agents keep their outputs; only unfinished ones moved.
  for (const op of budget[0].patch) expect(budget[0].kept).not.toContain((op as { agent: string }).agent);
  expect(r.cost.usd).toBeLessThan(free.cost.usd);
});

test('a projected overrun fires before the overrun and moves unfinished agents to cheaper backbones', async () => {
  const template = TEMPLATES_BY_KIND.code;
  const allLarge = Object.fromEntries(template.agents.map((a) => [a.id, 'sim-large']));
  const forced = { template, assignment: allLarge };
  const free = await runToEnd(env.client, env.worker.taskQueue, taskInput(IS_PRIME, { options: forced }));
  expect(free.status).toBe('completed');
  // Half of what the all-large team costs: enough on cheap backbones, not on the large one.
  const budgetUsd = free.cost.usd * 0.5;
  const r = await runToEnd(env.client, env.worker.taskQueue, taskInput(IS_PRIME, { budgetUsd, options: { ...forced, thetaFraction: 1 } }));
  const projected = r.rectifications.find((x) => x.trigger.kind === 'projected_budget');
  expect(projected).toBeDefined();
  // It fired before the overrun: when it fired, less than the budget was spent.
  expect(r.steps.slice(0, projected!.trigger.step! + 1).reduce((n, s) => n + s.costUsd, 0)).toBeLessThan(budgetUsd);
  expect(projected!.patch.length).toBeGreaterThan(0);
  expect(projected!.patch.every((op) => op.op === 'set_backbone' && op.backbone === 'sim-small')).toBe(true);
  expect(r.status).toBe('completed');
  expect(r.cost.usd).toBeLessThanOrEqual(budgetUsd);
});

test('an external rectify signal yields an external rectification; raiseBudget rejects values at or below spend', async () => {
  const workflowId = `ext-${Date.now().toString(36)}`;
  const input = taskInput(IS_PRIME, { pool: simPool({ latencyMs: 600 }) });
  const handle = await env.client.workflow.start('mas2Task', { taskQueue: env.worker.taskQueue, workflowId, args: [input] });
  await waitFor(async () => ((await handle.query<Result>('state')).config !== null));
  await handle.signal('rectify', { reason: 'use cheaper backbones from here on' });

  await expect(handle.executeUpdate('raiseBudget', { args: [{ budgetUsd: 0.0000001 }] })).rejects.toThrow();
  const raised = await handle.executeUpdate<{ budgetUsd: number }, [{ budgetUsd: number }]>('raiseBudget', { args: [{ budgetUsd: 2 }] });
  expect(raised.budgetUsd).toBe(2);

  const r = (await handle.result()) as Result;
  expect(r.status).toBe('completed');
  expect(r.budgetUsd).toBe(2);
  const ext = r.rectifications.find((x) => x.trigger.kind === 'external');
  expect(ext).toBeDefined();
  expect(ext!.trigger.detail).toBe('use cheaper backbones from here on');
  expect(ext!.patch.length).toBeGreaterThan(0);
});

test('ablations: --no-generator uses the fixed template, --no-implementer the default backbone', async () => {
  const r = await runToEnd(env.client, env.worker.taskQueue, taskInput('Compute 17 * 23 + 4', { options: { generator: false, implementer: false } }));
  expect(r.status).toBe('completed');
  expect(r.config!.template.name).toBe('solve-review');
  expect(new Set(Object.values(r.config!.assignment))).toEqual(new Set(['sim-medium']));
  expect(r.decisions.map((d) => d.source)).toEqual(['ablation', 'ablation']);
  expect(r.cost.meta).toBe(0);
});

test('cancelling a run ends it as cancelled with its partial results', async () => {
  const workflowId = `cancel-${Date.now().toString(36)}`;
  const handle = await env.client.workflow.start('mas2Task', {
    taskQueue: env.worker.taskQueue,
    workflowId,
    args: [taskInput(IS_PRIME, { pool: simPool({ latencyMs: 1500 }) })],
  });
  await waitFor(async () => (await handle.query<Result>('state')).steps.some((s) => s.agent === 'planner'));
  await handle.cancel();
  const r = (await handle.result()) as Result;
  expect(r.status).toBe('cancelled');
  expect(r.steps.length).toBeGreaterThanOrEqual(3);
  expect(r.outputs.planner).toBeDefined();
  expect(r.outputs.reviewer).toBeUndefined();
});
