/**
 * The hard budget holds on the simulator's exact token counts: over random budgets, task
 * sizes, team shapes (parallel agents with tools, the Generator's own teams), backbones and
 * seeds, no run spends past its budget, and every cent spent is in a step.
 */
import * as fc from 'fast-check';
import { PoolSchema, TaskInputSchema, type Result, type Template } from '../../mas/schemas';
import { SIMULATOR_POOL } from '../../mas/simulatorPool';
import { MAX_TASK_CHARS } from '../../mas/schemas';
import { useTestWorker } from './harness';

const env = useTestWorker('budget-prop', { homePrefix: 'mas2-budget-' });

/** Three agents with tools working at once, then one that combines them: calls run in parallel. */
const PARALLEL: Template = {
  name: 'parallel',
  agents: [
    { id: 'a', role: 'Coder', instructions: 'Write and run Python that solves the task.', tools: ['python'], maxTurns: 4 },
    { id: 'b', role: 'Calculator', instructions: 'Compute the numbers the task needs.', tools: ['calculator'], maxTurns: 4 },
    { id: 'c', role: 'Analyst', instructions: 'Work the task out step by step.', tools: [], maxTurns: 4 },
    { id: 'final', role: 'Editor', instructions: 'Combine the three answers into one.', tools: [], maxTurns: 4 },
  ],
  edges: [
    { from: 'a', to: 'final' },
    { from: 'b', to: 'final' },
    { from: 'c', to: 'final' },
  ],
  loops: [],
  finalAgent: 'final',
};

const FILLER = 'The report lists measurements taken every hour at the north station, with notes on wind and rain. ';

function task(base: string, chars: number): string {
  let t = base;
  while (t.length < chars) t += ` ${FILLER}`;
  return t.slice(0, Math.min(chars, MAX_TASK_CHARS));
}

test('no run spends past its hard budget (random budgets, task sizes, teams, backbones, seeds)', async () => {
  let ran = 0;
  const statuses = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        // Log-uniform from $0.00002 to $0.05: from "no call fits" to "everything fits".
        budgetExp: fc.double({ min: Math.log10(2e-5), max: Math.log10(5e-2), noNaN: true }),
        taskChars: fc.integer({ min: 40, max: MAX_TASK_CHARS }),
        base: fc.constantFrom('Compute 17 * 23 + 4.', 'Write a Python function is_prime(n) and test it on 1..20.', 'Summarise the report in two sentences.'),
        team: fc.constantFrom('generator', 'parallel'),
        backbone: fc.constantFrom('sim-small', 'sim-medium', 'sim-large'),
        seed: fc.integer({ min: 1, max: 10_000 }),
        quality: fc.constantFrom(0.3, 0.9),
      }),
      async (c) => {
        const budgetUsd = 10 ** c.budgetExp;
        const pool = PoolSchema.parse({ ...SIMULATOR_POOL, backbones: SIMULATOR_POOL.backbones.map((b) => ({ ...b, sim: { ...b.sim!, quality: c.quality } })) });
        const input = TaskInputSchema.parse({
          task: task(c.base, c.taskChars),
          budgetUsd,
          pool,
          options: {
            seed: c.seed,
            ...(c.team === 'parallel' ? { template: PARALLEL, assignment: Object.fromEntries(PARALLEL.agents.map((a) => [a.id, c.backbone])) } : {}),
          },
        });
        const handle = await env.client.workflow.start('mas2Task', { taskQueue: env.worker.taskQueue, workflowId: `budget-prop-${Date.now().toString(36)}-${ran}`, args: [input] });
        const r = (await handle.result()) as Result;
        ran++;
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        expect(r.cost.usd).toBeLessThanOrEqual(budgetUsd);
        const stepped = r.steps.reduce((n, s) => n + s.costUsd, 0);
        expect(Math.abs(stepped - r.cost.usd)).toBeLessThanOrEqual(1e-12);
        expect(['completed', 'budget_exhausted', 'unverified', 'failed']).toContain(r.status);
      },
    ),
    { numRuns: 40, endOnFailure: true },
  );
  // The samples reach both ends: runs that finish and runs the budget stops.
  expect(ran).toBe(40);
  expect(statuses.get('budget_exhausted') ?? 0).toBeGreaterThan(0);
  expect((statuses.get('completed') ?? 0) + (statuses.get('unverified') ?? 0)).toBeGreaterThan(0);
}, 900_000);
