/**
 * projected_budget: what is spent plus what the unfinished agents will probably cost exceeds
 * the budget, or the next model call could cost more than is left. Fires before the overrun,
 * once per config version: the Rectifier may make room (cheaper backbones), after that the
 * hard budget guard stops the run.
 */
import { budget } from './budget';
import { budgetGuardDecides, type TriggerDescriptor } from './types';

export const projectedBudget: TriggerDescriptor = {
  priority: 4,
  once: 'config version',
  noun: 'a projected overrun',
  rectifierHint: 'Move unfinished agents to cheaper backbones, or remove an agent the answer does not need.',
  fromOutcome(o, run) {
    if (o.kind !== 'over_budget' || !run.rectifierCanAct) return null;
    return { kind: 'projected_budget', detail: o.detail, agent: o.agent, backbone: o.backbone, step: o.step };
  },
  fromState(run) {
    const projected = run.projectedRemainingUsd();
    if (!(run.costUsd + projected > run.budgetUsd)) return null;
    return {
      kind: 'projected_budget',
      detail: `cost so far $${run.costUsd.toFixed(6)} + projected $${projected.toFixed(6)} for unfinished agents exceeds the $${run.budgetUsd} budget`,
    };
  },
  unfixable: budgetGuardDecides,
  // The same remedy as for spending past θ_C.
  patches: (c) => budget.patches(c),
};
