/** budget: spending passed θ_C, a fraction of the budget. C(s_t) > θ_C in the paper's trigger; fires once per run. */
import { cheaperOps } from './shared';
import { budgetGuardDecides, type TriggerDescriptor } from './types';

export const budget: TriggerDescriptor = {
  priority: 3,
  once: 'run',
  noun: 'a budget threshold',
  rectifierHint: 'Move unfinished agents to cheaper backbones.',
  fromState(run) {
    if (!(run.costUsd > run.thetaFraction * run.budgetUsd)) return null;
    return { kind: 'budget', detail: `cost so far $${run.costUsd.toFixed(6)} is above θ_C = ${Math.round(run.thetaFraction * 100)}% of the $${run.budgetUsd} budget` };
  },
  unfixable: budgetGuardDecides,
  patches: ({ config, pool, finished }) => {
    const ops = cheaperOps(config, pool, finished);
    return ops.length ? [{ scope: 'local', ops, rationale: 'Move every unfinished agent to the cheapest backbone to stay within budget.' }] : [];
  },
};
