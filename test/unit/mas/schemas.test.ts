import { PoolSchema, TaskInputSchema, TemplateSchema } from '../../../mas/schemas';
import { POOL } from './fixtures';

const backbone = (id: string) => ({ id, provider: 'sim' as const, model: 'm', pricing: { inputPerM: 1, outputPerM: 2 } });

function poolIssues(input: unknown): { path: string; message: string }[] {
  const r = PoolSchema.safeParse(input);
  if (r.success) return [];
  return r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('PoolSchema', () => {
  test('a valid pool parses and fills defaults', () => {
    const p = PoolSchema.parse({ default: 'a', backbones: [backbone('a'), backbone('b')], meta: { rectifier: 'b' } });
    expect(p.meta).toEqual({ rectifier: 'b' });
    expect(p.backbones[0].maxOutputTokens).toBe(1024);
    expect(p.backbones[0].hints).toEqual({ strengths: [], structuredOutputs: true });
    expect(PoolSchema.parse({ default: 'a', backbones: [backbone('a')] }).meta).toEqual({});
  });

  test('duplicate backbone ids are rejected with the id named', () => {
    const issues = poolIssues({ default: 'a', backbones: [backbone('a'), backbone('b'), backbone('a')] });
    expect(issues).toHaveLength(1);
    expect(issues[0].message).toBe('backbone id "a" is listed twice');
  });

  test('an unknown default is rejected on the default path', () => {
    const issues = poolIssues({ default: 'zzz', backbones: [backbone('a')] });
    expect(issues).toEqual([{ path: 'default', message: 'default backbone "zzz" is not in backbones' }]);
  });

  test('an unknown meta backbone is rejected on meta.<role>', () => {
    const issues = poolIssues({ default: 'a', backbones: [backbone('a')], meta: { generator: 'a', implementer: 'ghost' } });
    expect(issues).toEqual([{ path: 'meta.implementer', message: 'backbone "ghost" is not in backbones' }]);
  });

  test('several problems are all reported', () => {
    const issues = poolIssues({ default: 'x', backbones: [backbone('a'), backbone('a')], meta: { rectifier: 'y' } });
    expect(issues.map((i) => i.message).sort()).toEqual(
      ['backbone "y" is not in backbones', 'backbone id "a" is listed twice', 'default backbone "x" is not in backbones'].sort(),
    );
  });

  test('an empty backbone list and an unknown meta role are rejected', () => {
    expect(PoolSchema.safeParse({ default: 'a', backbones: [] }).success).toBe(false);
    expect(PoolSchema.safeParse({ default: 'a', backbones: [backbone('a')], meta: { judge: 'a' } }).success).toBe(false);
  });

  test('backbone ids must look like ids', () => {
    expect(PoolSchema.safeParse({ default: '1a', backbones: [backbone('1a')] }).success).toBe(false);
    expect(PoolSchema.safeParse({ default: 'a b', backbones: [backbone('a b')] }).success).toBe(false);
  });
});

describe('TaskInputSchema', () => {
  const base = { task: 'add 2 and 2', budgetUsd: 0.5, pool: POOL };

  test('a minimal input parses with default options and no faults', () => {
    const t = TaskInputSchema.parse(base);
    expect(t.options.generator).toBe(true);
    expect(t.options.thetaFraction).toBe(0.8);
    expect(t.options.maxRectifications).toBe(3);
    expect(t.faults).toEqual([]);
  });

  test.each(['', '   ', '\n\t'])('an empty task (%j) is rejected with "the task is empty"', (task) => {
    const r = TaskInputSchema.safeParse({ ...base, task });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.message)).toContain('the task is empty');
  });

  test('the task is trimmed', () => {
    expect(TaskInputSchema.parse({ ...base, task: '  hi  ' }).task).toBe('hi');
  });

  test.each([0, -1, -0.0001])('a budget of %p is rejected', (budgetUsd) => {
    const r = TaskInputSchema.safeParse({ ...base, budgetUsd });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['budgetUsd']);
    expect(r.error!.issues[0].message).toBe('the budget must be above 0 USD');
  });

  test('a tiny positive budget is accepted', () => {
    expect(TaskInputSchema.parse({ ...base, budgetUsd: 1e-9 }).budgetUsd).toBe(1e-9);
  });

  test('thetaFraction must be in (0, 1]', () => {
    expect(TaskInputSchema.safeParse({ ...base, options: { thetaFraction: 0 } }).success).toBe(false);
    expect(TaskInputSchema.safeParse({ ...base, options: { thetaFraction: 1.01 } }).success).toBe(false);
    expect(TaskInputSchema.parse({ ...base, options: { thetaFraction: 1 } }).options.thetaFraction).toBe(1);
  });
});

describe('TemplateSchema', () => {
  test('fills tools, maxTurns, edges, loops and name defaults', () => {
    const t = TemplateSchema.parse({ agents: [{ id: 'A', role: 'r', instructions: 'i' }], finalAgent: 'A' });
    expect(t).toEqual({
      name: 'team',
      agents: [{ id: 'A', role: 'r', instructions: 'i', tools: [], maxTurns: 4 }],
      edges: [],
      loops: [],
      finalAgent: 'A',
    });
  });

  test('rejects no agents, more than 12 agents, and loops over 5 rounds', () => {
    const agent = (id: string) => ({ id, role: 'r', instructions: 'i' });
    expect(TemplateSchema.safeParse({ agents: [], finalAgent: 'A' }).success).toBe(false);
    const thirteen = Array.from({ length: 13 }, (_, i) => agent(`A${i}`));
    expect(TemplateSchema.safeParse({ agents: thirteen, finalAgent: 'A0' }).success).toBe(false);
    expect(
      TemplateSchema.safeParse({ agents: [agent('A'), agent('B')], loops: [{ from: 'B', to: 'A', maxRounds: 6 }], finalAgent: 'B' }).success,
    ).toBe(false);
  });
});
