import { answerKindOf, costMatchedK, cotScTemplate, DEFAULT_VARIANTS, variantOptions, variantUnavailable, VARIANTS, WORKFLOW_RUNS_OPERATORS } from '../../../mas/eval/variants';
import { parseVariants } from '../../../client/commands/eval';
import { evalJobs } from '../../../client/eval/runner';
import { templateProblems } from '../../../mas/graph';
import { SIMULATOR_POOL } from '../../../mas/simulatorPool';
import { TemplateSchema } from '../../../mas/schemas';
import { SUITES, type EvalProblem } from '../../../mas/eval/datasets';

describe('cot-sc: self-consistency@k on the strongest backbone, no meta-agents', () => {
  test('one agent, an ensemble of k chain-of-thought samples voting on the suite\'s kind of answer, no tools', () => {
    for (const suite of SUITES) {
      const t = cotScTemplate(suite, 7);
      expect(templateProblems(t)).toEqual([]);
      expect(TemplateSchema.parse(t)).toEqual(t);
      expect(t.agents).toHaveLength(1);
      expect(t.agents[0]).toMatchObject({ tools: [], operator: { kind: 'ensemble', k: 7, member: 'agent', answer: answerKindOf(suite) } });
    }
    expect(cotScTemplate('gsm8k').agents[0].operator).toMatchObject({ k: 5 });
    expect(answerKindOf('gsm8k')).toBe('number');
    expect(answerKindOf('mbpp')).toBe('code');
  });

  test('its options force the template and the strongest backbone, without Generator, Implementer or Rectifier', () => {
    const o = variantOptions('cot-sc', 'gsm8k', SIMULATOR_POOL, { k: 3 });
    expect(o).toMatchObject({ assignment: { solver: 'sim-large' }, rectifier: false, template: { name: 'cot-sc' } });
    expect(o.template!.agents[0].operator).toMatchObject({ k: 3 });
  });

  test('k changes the run ids of cot-sc only', () => {
    const problem: EvalProblem = { id: 'p1', line: 1, task: 'What is 2+2?', scoring: { kind: 'gsm8k', expected: '4' } };
    const settings = { suite: 'gsm8k' as const, dataSha256: 'ab'.repeat(32), pool: SIMULATOR_POOL, budgetUsd: 1, seed: 1 };
    const ids = (scK?: number) => evalJobs([problem], ['full', 'cot-sc'], { ...settings, ...(scK ? { scK } : {}) }, false).map((j) => j.workflowId);
    const [full5, sc5] = ids();
    const [full7, sc7] = ids(7);
    expect(full7).toBe(full5);
    expect(sc7).not.toBe(sc5);
    expect(ids(5)).toEqual([full5, sc5]);
  });

  test('k whose mean cost matches a reference, within bounds', () => {
    expect(costMatchedK(0.004, 0.001)).toBe(4);
    expect(costMatchedK(0.1, 0.001)).toBe(9);
    expect(costMatchedK(0.0001, 0.001)).toBe(2);
    expect(costMatchedK(0.004, 0)).toBe(5);
  });

  test('the workflow runs operators: cot-sc is available and among the default variants', () => {
    expect(WORKFLOW_RUNS_OPERATORS).toBe(true);
    expect(variantUnavailable('cot-sc')).toBeNull();
    expect(DEFAULT_VARIANTS).toEqual(VARIANTS);
    expect(parseVariants('full,cot-sc')).toEqual(['full', 'cot-sc']);
    expect(parseVariants('full,single-agent')).toEqual(['full', 'single-agent']);
  });
});

describe('pot: program-of-thought on the strongest backbone, no meta-agents', () => {
  test('one programmer whose executed program answers, as a number for GSM8K and as code for HumanEval', () => {
    const o = variantOptions('pot', 'gsm8k', SIMULATOR_POOL);
    expect(o).toMatchObject({ rectifier: false, template: { name: 'pot' } });
    expect(o.template!.agents).toHaveLength(1);
    expect(o.template!.agents[0].operator).toMatchObject({ kind: 'programmer', answer: 'number' });
    expect(o.assignment).toEqual({ [o.template!.agents[0].id]: 'sim-large' });
    expect(variantOptions('pot', 'humaneval', SIMULATOR_POOL).template!.agents[0].operator).toMatchObject({ kind: 'programmer', answer: 'code' });
  });
});
