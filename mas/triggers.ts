/**
 * The Rectifier trigger A_R(s_t) = 1[C(s_t) > θ_C ∨ O(s_t) = Failure], plus
 * mas2's extensions: projected budget, verifier (silent errors), external signal.
 */
import type { Config, Pool, Step, Trigger } from './schemas';
import { neededAgents } from './graph';
import { priceOf } from './cost';

/** What the workflow knows right after a step, reduced to what the trigger needs. */
export interface TriggerInput {
  costUsd: number;
  budgetUsd: number;
  thetaFraction: number;
  projectedRemainingUsd: number;
  /** A step that failed in a way retrying cannot fix. */
  failure?: Trigger;
  /** A verifier agent answered FAIL. */
  verifier?: Trigger;
  externalReasons: string[];
  budgetTriggerFired: boolean;
  projectedFiredAtVersion: number | null;
  configVersion: number;
}

/** Most urgent first: a failure blocks progress, a verdict is a fact, budgets are forecasts. */
export function evaluateTrigger(s: TriggerInput): Trigger | null {
  if (s.failure) return s.failure;
  if (s.verifier) return s.verifier;
  if (s.externalReasons.length) return { kind: 'external', detail: s.externalReasons[0] };
  const theta = s.thetaFraction * s.budgetUsd;
  if (!s.budgetTriggerFired && s.costUsd > theta) {
    return { kind: 'budget', detail: `cost so far $${s.costUsd.toFixed(6)} is above θ_C = ${Math.round(s.thetaFraction * 100)}% of the $${s.budgetUsd} budget` };
  }
  if (s.projectedFiredAtVersion !== s.configVersion && s.costUsd + s.projectedRemainingUsd > s.budgetUsd) {
    return {
      kind: 'projected_budget',
      detail: `cost so far $${s.costUsd.toFixed(6)} + projected $${s.projectedRemainingUsd.toFixed(6)} for unfinished agents exceeds the $${s.budgetUsd} budget`,
    };
  }
  return null;
}

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
 * Projected cost of the agents that still have to run: one call per agent,
 * two when it has tools (model → tool → model), at the observed mean tokens.
 */
export function projectRemainingCost(config: Config, pool: Pool, finished: ReadonlySet<string>, steps: Step[]): number {
  const perCall = observedCallUsage(steps);
  const needed = neededAgents(config.template);
  let usd = 0;
  for (const agent of config.template.agents) {
    if (!needed.has(agent.id) || finished.has(agent.id)) continue;
    const backbone = pool.backbones.find((b) => b.id === config.assignment[agent.id]);
    if (!backbone) continue;
    const calls = agent.tools.length ? 2 : 1;
    usd += calls * priceOf({ inputTokens: Math.round(perCall.inputTokens), outputTokens: Math.round(perCall.outputTokens) }, backbone);
  }
  return usd;
}
