/** What the Temporal UI shows of a run: activity summaries, static details, current details (mas/progress.ts). */
import { activitySummary, progressMarkdown, runDetails, runSummary } from '../../mas/progress';
import { TaskInputSchema, type Result } from '../../mas/schemas';
import { SIMULATOR_POOL } from '../../mas/simulatorPool';
import { TEMPLATES_BY_KIND } from '../../mas/templates';

const T = TEMPLATES_BY_KIND.code;
const coder = T.agents.find((a) => a.id === 'coder')!;

test('activity summaries say who does what, on which backbone', () => {
  expect(activitySummary('callModel', { agent: coder, backbone: { id: 'qwen-1.5b' }, callKey: 'coder:llm:1' })).toBe('coder · model call 2 on qwen-1.5b');
  expect(activitySummary('runTool', { agent: 'coder', call: { id: 'x', name: 'python', arguments: {} } })).toBe('coder · python');
  expect(activitySummary('rectify', { trigger: { kind: 'verifier', detail: 'REVISE', agent: 'reviewer' }, config: { version: 2 } })).toBe('rectifier · verifier trigger on reviewer (M2)');
  expect(activitySummary('implementAssignment', { template: T })).toBe(`implementer · assign backbones to ${T.agents.length} agents`);
  expect(activitySummary('somethingElse', {})).toBeUndefined();
  // Garbage in still gives one line, never a throw.
  expect(activitySummary('callModel', undefined)).toBe('? · model call on ?');
  expect(activitySummary('runTool', { agent: 'a\nb'.repeat(200), call: { name: 'python' } })!.length).toBeLessThanOrEqual(200);
});

test('static summary and details carry the task and the budget; amounts are not typeset as math', () => {
  const input = TaskInputSchema.parse({ task: 'line one\nline two', budgetUsd: 0.25, pool: SIMULATOR_POOL, faults: [{ kind: 'tool_crash', tool: 'python', at: 1 }], options: { rectifier: false } });
  expect(runSummary(input)).toBe('mas2 · line one line two');
  const d = runDetails(input);
  expect(d).toContain('> line one\n> line two');
  expect(d).toContain('**Budget:** 0.2500 USD');
  expect(d).toContain('--no-rectifier');
  expect(d).toContain('tool_crash');
  expect(d).not.toContain('$');
});

test('current details: status, spend, the team with what is done, the last rectification and steps', () => {
  const r = {
    status: 'running',
    budgetUsd: 1,
    cost: { usd: 0.01 },
    config: { template: T, assignment: { planner: 'sim-small', coder: 'sim-medium', reviewer: 'sim-small' }, version: 2 },
    outputs: { planner: { text: 'plan' } },
    rectifications: [{ version: 2, fromVersion: 1, trigger: { kind: 'failure', detail: 'tool python crashed' }, source: 'rectifier' }],
    steps: [{ agent: 'coder', kind: 'tool', name: 'python', status: 'failed', attempts: 1 }],
  } as unknown as Result;
  const md = progressMarkdown(r);
  expect(md).toContain('**Status:** running');
  expect(md).toContain('0.0100 USD of 1.0000 USD');
  expect(md).toContain('**Team v2**');
  expect(md).toContain('- **planner** (Planner) on `sim-small` — done');
  expect(md).toContain('- **coder** (Coder) on `sim-medium` — pending');
  expect(md).toContain('v1 → v2 on failure trigger (rectifier)');
  expect(md).toContain('- coder · python · failed');
  expect(progressMarkdown({ ...r, config: null })).toContain('Designing the team');
});
