/** What the unfinished agents will probably cost: the forecast the projected-budget trigger compares with the budget. */
import { expectedModelCalls } from './operators';
import type { Config, Pool, Step } from './schemas';
import { neededAgents } from './graph';
import { priceOf } from './cost';

/** Prior per-call token use before the run has observed any of its own. */
export const PRIOR_CALL_USAGE = { inputTokens: 900, outputTokens: 350 };

/** Mean tokens per model call observed so far in this run (agents only), else the prior. */
export function observedCallUsage(steps: Step[]): { inputTokens: number; outputTokens: number } {
  const llm = steps.filter((s) => s.kind === 'llm' && s.usage);
  if (!llm.length) return PRIOR_CALL_USAGE;
  const sum = llm.reduce((a, s) => ({ i: a.i + s.usage!.inputTokens, o: a.o + s.usage!.outputTokens }), { i: 0, o: 0 });
  return { inputTokens: sum.i / llm.length, outputTokens: sum.o / llm.length };
}

/**
 * Projected cost of the agents that still have to run: the calls each typically makes
 * (mas/operators.ts expectedModelCalls: one, two with tools, k samples for an ensemble, none
 * for a test step), at the observed mean tokens.
 */
export function projectRemainingCost(config: Config, pool: Pool, finished: ReadonlySet<string>, steps: Step[]): number {
  const perCall = observedCallUsage(steps);
  const needed = neededAgents(config.template);
  let usd = 0;
  for (const agent of config.template.agents) {
    if (!needed.has(agent.id) || finished.has(agent.id)) continue;
    const backbone = pool.backbones.find((b) => b.id === config.assignment[agent.id]);
    if (!backbone) continue;
    const calls = expectedModelCalls(agent);
    usd += calls * priceOf({ inputTokens: Math.round(perCall.inputTokens), outputTokens: Math.round(perCall.outputTokens) }, backbone);
  }
  return usd;
}
