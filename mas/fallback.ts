/**
 * Rule-based Rectifier, used when the model's patch is invalid after its
 * repair round, when it repeats an earlier patch, or when the budget leaves
 * no room for a model call. Returns null when no rule applies.
 */
import type { Config, Patch, PatchOp, Pool, Trigger } from './schemas';
import { neededAgents } from './graph';
import { backbonePrice, cheapestBackbone, idsByPrice } from './pool';

function cheaperOps(config: Config, pool: Pool, finished: ReadonlySet<string>): PatchOp[] {
  const cheapest = cheapestBackbone(pool);
  const needed = neededAgents(config.template);
  return config.template.agents
    .filter((a) => needed.has(a.id) && !finished.has(a.id) && config.assignment[a.id] !== cheapest.id)
    .map((a) => ({ op: 'set_backbone' as const, agent: a.id, backbone: cheapest.id }));
}

/** Another backbone for an agent: the next more expensive one, else the next cheaper. */
function otherBackbone(pool: Pool, current: string): string | null {
  const ranked = idsByPrice(pool);
  const i = ranked.indexOf(current);
  return ranked[i + 1] ?? ranked[i - 1] ?? null;
}

/** The next more expensive backbone than `current`, or null when it is already the most expensive. */
function strongerBackbone(pool: Pool, current: string): string | null {
  const ranked = idsByPrice(pool);
  const i = ranked.indexOf(current);
  return i >= 0 ? (ranked[i + 1] ?? null) : null;
}

const VERDICT_PREFIX = 'A reviewer rejected the previous attempt:';

/** The instructions without verdict lines an earlier fallback patch appended. */
function withoutVerdicts(instructions: string): string {
  const at = instructions.indexOf(`\n${VERDICT_PREFIX}`);
  return at >= 0 ? instructions.slice(0, at) : instructions;
}

export function fallbackPatch(config: Config, pool: Pool, trigger: Trigger, finished: ReadonlySet<string>, avoid: PatchOp[][] = []): Patch | null {
  const candidates: Patch[] = [];
  const agent = trigger.agent ? config.template.agents.find((a) => a.id === trigger.agent) : undefined;
  switch (trigger.kind) {
    case 'budget':
    case 'projected_budget': {
      const ops = cheaperOps(config, pool, finished);
      if (ops.length) candidates.push({ scope: 'local', ops, rationale: 'Move every unfinished agent to the cheapest backbone to stay within budget.' });
      break;
    }
    case 'failure': {
      if (!agent) break;
      if (trigger.tool && agent.tools.includes(trigger.tool)) {
        candidates.push({
          scope: 'local',
          ops: [
            { op: 'set_tools', agent: agent.id, tools: agent.tools.filter((t) => t !== trigger.tool) },
            { op: 'set_instructions', agent: agent.id, instructions: `${agent.instructions}\nThe ${trigger.tool} tool is unavailable; work without it.` },
          ],
          rationale: `The ${trigger.tool} tool crashed; drop it for ${agent.id} and continue without it.`,
        });
      }
      const other = otherBackbone(pool, config.assignment[agent.id]);
      if (other) {
        candidates.push({ scope: 'local', ops: [{ op: 'set_backbone', agent: agent.id, backbone: other }], rationale: `Move ${agent.id} to another backbone (${other}) after its failure.` });
      }
      break;
    }
    case 'verifier': {
      const producer = agent ? config.template.edges.find((e) => e.to === agent.id)?.from : undefined;
      const target = config.template.agents.find((a) => a.id === producer);
      const verifierPrice = agent ? backbonePrice(pool, config.assignment[agent.id]) : undefined;
      const producerPrice = target ? backbonePrice(pool, config.assignment[target.id]) : undefined;
      if (agent && target && verifierPrice !== undefined && producerPrice !== undefined && verifierPrice < producerPrice) {
        // A checker weaker than the producer is not evidence: check again on the producer's backbone first.
        candidates.push({
          scope: 'local',
          ops: [{ op: 'set_backbone', agent: agent.id, backbone: config.assignment[target.id] }],
          rationale: `The verifier ${agent.id} runs on a weaker backbone than ${target.id}, whose output it rejected; check again on ${config.assignment[target.id]}.`,
        });
      }
      if (target) {
        // Only the latest verdict: stacked verdicts ("…is 36", "…is 48") confused the local
        // 1.5B into answering one of the quoted wrong numbers.
        const told: PatchOp = { op: 'set_instructions', agent: target.id, instructions: `${withoutVerdicts(target.instructions)}\n${VERDICT_PREFIX} ${trigger.detail.slice(0, 300)}. Fix it.` };
        // A rejected producer on a weaker backbone moves up at once: on the local pool the
        // 0.5B repeated the same wrong answer when only told why (12*13 → 36, then 36 again).
        const stronger = strongerBackbone(pool, config.assignment[target.id]);
        candidates.push(
          stronger
            ? {
                scope: 'local',
                ops: [told, { op: 'set_backbone', agent: target.id, backbone: stronger }],
                rationale: `The verifier ${agent!.id} rejected ${target.id}'s output; tell ${target.id} why and move it to the stronger ${stronger}.`,
              }
            : { scope: 'local', ops: [told], rationale: `The verifier ${agent!.id} rejected ${target.id}'s output; tell ${target.id} what was wrong and run it again.` },
        );
      }
      break;
    }
    case 'external': {
      const ops: PatchOp[] = config.template.agents
        .filter((a) => !finished.has(a.id) || a.id === config.template.finalAgent)
        .map((a) => ({ op: 'set_instructions' as const, agent: a.id, instructions: `${a.instructions}\nOperator note: ${trigger.detail}` }));
      if (/cheap|budget|cost/i.test(trigger.detail)) ops.push(...cheaperOps(config, pool, finished));
      if (ops.length) candidates.push({ scope: 'local', ops, rationale: `Apply the operator's request: ${trigger.detail}` });
      break;
    }
  }
  const avoided = avoid.map((ops) => JSON.stringify(ops));
  return candidates.find((c) => !avoided.includes(JSON.stringify(c.ops))) ?? null;
}
