/**
 * What each evaluated variant changes in a run: the paper's ablations are the
 * existing TaskOptions flags; `single-agent` forces a one-agent template on
 * the pool's strongest backbone with no meta-agents at all.
 */
import type { Pool, TaskOptions, Template } from '../schemas';
import { strongestBackbone } from '../pool';
import type { Suite } from './datasets';

export const VARIANTS = ['full', 'no-generator', 'no-implementer', 'no-rectifier', 'single-agent'] as const;
export type Variant = (typeof VARIANTS)[number];

export function isVariant(v: string): v is Variant {
  return (VARIANTS as readonly string[]).includes(v);
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

/**
 * The TaskOptions a variant sets. "Strongest" backbone = the highest typical
 * price (3 input : 1 output tokens, mas/pool.ts), ties broken by pool order:
 * price is the only strength signal every pool file carries.
 */
export function variantOptions(variant: Variant, suite: Suite, pool: Pool): Partial<TaskOptions> {
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
  }
}
