/** Patch operations more than one trigger kind's rules use. */
import type { AgentSpec, Config, Patch, PatchOp, Pool } from '../schemas';
import { neededAgents } from '../graph';
import { cheapestBackbone, strongerThan } from '../pool';
import { ensemble, OPERATOR_BOUNDS } from '../operators';

/** Every unfinished agent the answer needs, moved to the cheapest backbone. */
export function cheaperOps(config: Config, pool: Pool, finished: ReadonlySet<string>): PatchOp[] {
  const cheapest = cheapestBackbone(pool);
  const needed = neededAgents(config.template);
  return config.template.agents
    .filter((a) => needed.has(a.id) && !finished.has(a.id) && config.assignment[a.id] !== cheapest.id)
    .map((a) => ({ op: 'set_backbone' as const, agent: a.id, backbone: cheapest.id }));
}

/**
 * The rules for an agent whose executed work keeps failing (a program that still fails after
 * its rounds, an ensemble with no readable answer, code whose tests still fail), in the order
 * they are tried: a stronger backbone first (a small model repeats its mistake when only told
 * about it); on the strongest, a vote — a programmer becomes a mixed ensemble (programs and
 * chains of thought, so a program that never runs does not sink the answer), a mixed ensemble
 * gets more samples. `told` goes with the backbone move when the agent should hear why.
 */
export function executionRescue(agent: AgentSpec, config: Config, pool: Pool, why: string, told?: PatchOp): Patch[] {
  const op = agent.operator;
  const out: Patch[] = [];
  const stronger = strongerThan(pool, config.assignment[agent.id]);
  if (stronger) {
    out.push({ scope: 'local', ops: [...(told ? [told] : []), { op: 'set_backbone', agent: agent.id, backbone: stronger }], rationale: `${why}; move ${agent.id} to the stronger ${stronger}.` });
  } else if (told) out.push({ scope: 'local', ops: [told], rationale: `${why}; tell ${agent.id} what failed and run it again.` });
  if (op?.kind === 'programmer' || (op?.kind === 'ensemble' && op.member !== 'mixed')) {
    const vote = ensemble(op.answer, 'mixed', op.kind === 'ensemble' ? op.k : OPERATOR_BOUNDS.k.default);
    out.push({ scope: 'local', ops: [{ op: 'set_operator', agent: agent.id, operator: vote }], rationale: `${why}; ${agent.id} becomes a vote of ${vote.k} samples, programs and step-by-step reasoning alternately.` });
  } else if (op?.kind === 'ensemble' && op.k < OPERATOR_BOUNDS.k.max) {
    const k = Math.min(OPERATOR_BOUNDS.k.max, op.k + 2);
    out.push({ scope: 'local', ops: [{ op: 'set_k', agent: agent.id, k }], rationale: `${why}; ${agent.id} draws ${k} samples instead of ${op.k}.` });
  }
  return out;
}
