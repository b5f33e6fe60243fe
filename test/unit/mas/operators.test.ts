import { templateProblems } from '../../../mas/graph';
import { callsModel, describeOperator, ensemble, expectedModelCalls, isChecker, maxModelCalls, needsSandbox, programmer, sampleMember, sampleSeeds, TEST_STEP } from '../../../mas/operators';
import { AgentSpecSchema, OperatorSchema, TemplateSchema, type AgentSpec } from '../../../mas/schemas';
import { tmpl } from './fixtures';

const spec = (extra: Partial<AgentSpec> = {}): AgentSpec => ({ id: 'a', role: 'r', instructions: 'i', tools: [], maxTurns: 4, ...extra });

describe('operators in the schema', () => {
  test('an agent without an operator is a plain agent, as in every recorded run', () => {
    const old = { id: 'solver', role: 'Solver', instructions: 'solve', tools: ['calculator'], maxTurns: 3 };
    expect(AgentSpecSchema.parse(old)).toEqual(old);
  });

  test('defaults are filled; bounds are enforced', () => {
    expect(OperatorSchema.parse({ kind: 'ensemble', answer: 'number' })).toEqual(ensemble('number', 'agent'));
    expect(OperatorSchema.parse({ kind: 'programmer', answer: 'code' })).toEqual(programmer('code'));
    expect(OperatorSchema.safeParse({ kind: 'ensemble', answer: 'number', k: 10 }).success).toBe(false);
    expect(OperatorSchema.safeParse({ kind: 'ensemble', answer: 'number', k: 1 }).success).toBe(false);
    expect(OperatorSchema.safeParse({ kind: 'ensemble', answer: 'number', temperature: 0 }).success).toBe(false);
    expect(OperatorSchema.safeParse({ kind: 'programmer', answer: 'number', maxRounds: 6 }).success).toBe(false);
    expect(OperatorSchema.safeParse({ kind: 'debate' }).success).toBe(false);
  });
});

describe('operator rules (part of templateProblems)', () => {
  test('a programmer has no tools and is no verifier; a test step is fed by something; without python nothing executes', () => {
    const t = TemplateSchema.parse({
      agents: [spec({ id: 'p', tools: ['calculator'], verifier: true, operator: programmer('number') }), spec({ id: 't', operator: TEST_STEP }), spec({ id: 'v', verifier: true, operator: ensemble('number', 'agent') })],
      edges: [{ from: 'p', to: 'v' }],
      finalAgent: 'v',
    });
    expect(templateProblems(t)).toEqual([
      'agent "t" cannot reach the final agent "v": its output would be wasted (add an edge from "t" toward "v", or remove "t")',
      'agent "p" is a programmer: the sandbox runs its program itself, so give it no tools (it lists calculator)',
      'agent "p" is a programmer and a verifier: a programmer produces an answer; checks are verifiers or test steps',
      'agent "t" is a test step but nothing feeds it: add an edge from the agent whose code it tests',
      'agent "v" is an ensemble and a verifier: verdicts are not voted on; drop one of the two',
    ]);
    const noPython = tmpl(['a']);
    noPython.agents[0].operator = programmer('text');
    expect(templateProblems(noPython, ['calculator'])).toEqual(['agent "a" is a programmer but the python sandbox is not available here: make it a plain agent']);
    // A chain-of-thought vote on numbers needs no sandbox.
    noPython.agents[0].operator = ensemble('number', 'agent');
    expect(templateProblems(noPython, ['calculator'])).toEqual([]);
  });
});

describe('what an operator means for the run', () => {
  test('checkers, model calls, the sandbox', () => {
    expect(isChecker(spec({ verifier: true }))).toBe(true);
    expect(isChecker(spec({ operator: TEST_STEP }))).toBe(true);
    expect(isChecker(spec({ operator: programmer('code') }))).toBe(false);
    expect(callsModel(spec({ operator: TEST_STEP }))).toBe(false);
    expect(needsSandbox(spec({ operator: ensemble('text', 'agent') }))).toBe(false);
    expect(needsSandbox(spec({ operator: ensemble('code', 'agent') }))).toBe(true);
  });

  test('mixed ensembles alternate, starting with a program', () => {
    const op = ensemble('number', 'mixed', 5);
    expect([0, 1, 2, 3, 4].map((i) => sampleMember(op, i))).toEqual(['programmer', 'agent', 'programmer', 'agent', 'programmer']);
    expect(sampleMember(ensemble('number', 'agent'), 2)).toBe('agent');
  });

  test('model calls expected and at most, for cost projections', () => {
    expect(expectedModelCalls(spec())).toBe(1);
    expect(expectedModelCalls(spec({ tools: ['calculator'] }))).toBe(2);
    expect(expectedModelCalls(spec({ tools: ['calculator'], operator: ensemble('number', 'mixed', 5) }))).toBe(3 * 1 + 2 * 2);
    expect(expectedModelCalls(spec({ operator: TEST_STEP }))).toBe(0);
    expect(maxModelCalls(spec({ maxTurns: 4, operator: ensemble('number', 'mixed', 3) }))).toBe(3 + 4 + 3);
    expect(maxModelCalls(spec({ operator: programmer('code', 2) }))).toBe(2);
  });

  test('sample seeds: deterministic, distinct, positive 31-bit; a new nonce draws new samples', () => {
    const a = sampleSeeds(1, 'solver', 0, 9);
    expect(sampleSeeds(1, 'solver', 0, 9)).toEqual(a);
    expect(new Set(a).size).toBe(9);
    for (const s of a) expect(Number.isInteger(s) && s >= 1 && s < 2 ** 31).toBe(true);
    expect(sampleSeeds(1, 'solver', 1, 9).filter((s) => a.includes(s))).toEqual([]);
    expect(sampleSeeds(2, 'solver', 0, 3)).not.toEqual(a.slice(0, 3));
  });

  test('one line for the audit', () => {
    expect(describeOperator(undefined)).toBe('agent');
    expect(describeOperator(programmer('number'))).toBe('programmer (answer: printed number, ≤3 rounds)');
    expect(describeOperator(programmer('code', 2))).toBe('programmer (answer: the program, ≤2 rounds)');
    expect(describeOperator(ensemble('number', 'mixed', 5))).toBe('ensemble of 5 program + chain-of-thought samples (vote on the number, T=0.7)');
    expect(describeOperator(ensemble('code', 'agent', 3))).toBe('ensemble of 3 samples (chosen by tests passed, then agreement, T=0.7)');
    expect(describeOperator(TEST_STEP)).toBe("test (the task's examples and the team's asserts)");
  });
});
