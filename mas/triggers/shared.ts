/** Patch operations more than one trigger kind's rules use. */
import type { Config, PatchOp, Pool } from '../schemas';
import { neededAgents } from '../graph';
import { cheapestBackbone } from '../pool';

/** Every unfinished agent the answer needs, moved to the cheapest backbone. */
export function cheaperOps(config: Config, pool: Pool, finished: ReadonlySet<string>): PatchOp[] {
  const cheapest = cheapestBackbone(pool);
  const needed = neededAgents(config.template);
  return config.template.agents
    .filter((a) => needed.has(a.id) && !finished.has(a.id) && config.assignment[a.id] !== cheapest.id)
    .map((a) => ({ op: 'set_backbone' as const, agent: a.id, backbone: cheapest.id }));
}
