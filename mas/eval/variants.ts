/**
 * What each evaluated variant changes in a run: the paper's ablations are the
 * existing TaskOptions flags; `single-agent` forces a one-agent template on
 * the pool's strongest backbone with no meta-agents at all; `cot-sc` forces
 * self-consistency@k (k chain-of-thought samples of one agent and a vote) the same way, and
 * `pot` program-of-thought (one programmer: its program runs in the sandbox, errors go back).
 */
import type { Pool, TaskOptions, Template } from '../schemas';
import { strongestBackbone } from '../pool';
import { expandChoice } from '../blueprints';
import { OPERATOR_BOUNDS, type AnswerKind } from '../operators';
import { KNOWN_TOOLS } from '../tools';
import type { Suite } from './datasets';

export const VARIANTS = ['full', 'no-generator', 'no-implementer', 'no-rectifier', 'single-agent', 'cot-sc', 'pot'] as const;
export type Variant = (typeof VARIANTS)[number];

export function isVariant(v: string): v is Variant {
  return (VARIANTS as readonly string[]).includes(v);
}

/**
 * Whether the workflow executes operators (ensembles, programmers, test steps): it does
 * (workflows/task/operators/). An engine that did not would run a variant whose team is an
 * ensemble as one plain agent under the ensemble's name, so such a variant would be refused.
 */
export const WORKFLOW_RUNS_OPERATORS: boolean = true;

/** Variants that need operators the workflow runs. */
const OPERATOR_VARIANTS: readonly Variant[] = ['cot-sc', 'pot'];

/** Why a variant cannot run on this engine, or null when it can. */
export function variantUnavailable(v: Variant): string | null {
  if (WORKFLOW_RUNS_OPERATORS || !OPERATOR_VARIANTS.includes(v)) return null;
  return `variant "${v}" votes over samples (the ensemble operator), which this engine's workflow does not execute yet`;
}

/** The variants `mas2 eval` runs when --variants is not given: every one this engine can run. */
export const DEFAULT_VARIANTS: readonly Variant[] = VARIANTS.filter((v) => variantUnavailable(v) === null);

/** Parameters of the variants that take any: k of `cot-sc`. */
export interface VariantParams {
  k?: number;
}

export const SINGLE_AGENT_ID = 'solver';

/** The code suites get the python tool to test their code; the maths suites the calculator. */
export function singleAgentTemplate(suite: Suite): Template {
  const code = suite === 'humaneval' || suite === 'mbpp';
  return {
    name: 'single-agent',
    agents: [
      {
        id: SINGLE_AGENT_ID,
        role: 'Solver',
        instructions: code
          ? 'Solve the task on your own. Write the code, run it with the python tool on a few checks, fix what fails, then give the final code in the form the task asks for.'
          : 'Solve the task on your own, step by step. Use the calculator tool for arithmetic, check the result, then give the final answer in the form the task asks for.',
        tools: [code ? 'python' : 'calculator'],
        expects: 'the final answer in the form the task asks for',
        maxTurns: 6,
      },
    ],
    edges: [],
    loops: [],
    finalAgent: SINGLE_AGENT_ID,
  };
}

/** How a suite's answer is read and voted on. */
export function answerKindOf(suite: Suite): AnswerKind {
  return suite === 'humaneval' || suite === 'mbpp' ? 'code' : suite === 'gsm8k' ? 'number' : 'text';
}

/**
 * Self-consistency@k: the catalogue's `self-consistency` blueprint with no tools, so each sample
 * is one chain-of-thought call (code samples are chosen by running them on the task's examples).
 */
export function cotScTemplate(suite: Suite, k: number = OPERATOR_BOUNDS.k.default): Template {
  const { template } = expandChoice('self-consistency', { answer: answerKindOf(suite), k, tools: [] }, KNOWN_TOOLS);
  return { ...template, name: 'cot-sc' };
}

/** Program-of-thought: the catalogue's `program` blueprint, one programmer whose executed program answers. */
export function potTemplate(suite: Suite): Template {
  const { template } = expandChoice('program', { answer: answerKindOf(suite), tools: [] }, KNOWN_TOOLS);
  return { ...template, name: 'pot' };
}

/**
 * The k whose mean cost is closest to a reference's (e.g. `full`'s), given the mean cost of one
 * chain-of-thought sample (e.g. a cot-sc run's mean cost divided by its k), within the bounds of k.
 */
export function costMatchedK(referenceMeanUsd: number, sampleMeanUsd: number): number {
  if (!(sampleMeanUsd > 0) || !Number.isFinite(referenceMeanUsd)) return OPERATOR_BOUNDS.k.default;
  return Math.min(OPERATOR_BOUNDS.k.max, Math.max(OPERATOR_BOUNDS.k.min, Math.round(referenceMeanUsd / sampleMeanUsd)));
}

/**
 * The TaskOptions a variant sets. "Strongest" backbone = the highest typical
 * price (3 input : 1 output tokens, mas/pool.ts), ties broken by pool order:
 * price is the only strength signal every pool file carries.
 */
export function variantOptions(variant: Variant, suite: Suite, pool: Pool, params: VariantParams = {}): Partial<TaskOptions> {
  switch (variant) {
    case 'full':
      return {};
    case 'no-generator':
      return { generator: false };
    case 'no-implementer':
      return { implementer: false };
    case 'no-rectifier':
      return { rectifier: false };
    case 'single-agent':
      return { template: singleAgentTemplate(suite), assignment: { [SINGLE_AGENT_ID]: strongestBackbone(pool).id }, rectifier: false };
    case 'cot-sc':
    case 'pot': {
      const template = variant === 'pot' ? potTemplate(suite) : cotScTemplate(suite, params.k);
      return { template, assignment: Object.fromEntries(template.agents.map((a) => [a.id, strongestBackbone(pool).id])), rectifier: false };
    }
  }
}
