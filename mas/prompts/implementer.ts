/**
 * The Implementer's prompt: map every agent of a team to one priced backbone. Static first:
 * the rules and the pool are the same for every task on that pool; the worked example (built
 * from this team) and the task come after them.
 */
import type { ChatMessage } from '../messages';
import type { Pool, Template } from '../schemas';
import { cheapestBackbone, strongestBackbone } from '../pool';
import { backboneSlots } from '../slots';
import { poolSummary } from './pool';

/** Roles whose work cannot make the answer wrong (the example puts them on the cheapest backbone). */
const LIGHT_ROLE = /format|summar|rout|relay|present/i;

export function implementerMessages(task: string, template: Template, pool: Pool): ChatMessage[] {
  // Each agent with its slot: what its backbone must be able to do, read off the team (mas/slots.ts).
  const slots = backboneSlots(template);
  const agents = template.agents
    .map((a, i) => `- ${a.id}: ${a.role}${a.tools.length ? ` (tools: ${a.tools.join(', ')})` : ''}; slot: ${slots[i].why}`)
    .join('\n');
  const [cheapest, strongest] = [cheapestBackbone(pool).id, strongestBackbone(pool).id];
  // The example is this team's own agents: small models copy an example's choices by
  // position, so it shows the rule itself (on the local pool the 1.5B put a calculator on
  // the 0.5B "as a simple review", copied from the old two-agent example, and got 12*13 wrong).
  const example = {
    assignment: slots.map((slot) =>
      slot.need.kind === 'executes'
        ? { agent: slot.agent, backbone: cheapest, reason: 'makes no model call' }
        : slot.need.kind === 'decides' && LIGHT_ROLE.test(slot.role)
          ? { agent: slot.agent, backbone: cheapest, reason: 'only formats text' }
          : { agent: slot.agent, backbone: strongest, reason: slot.need.kind === 'checks' ? 'checks the answer' : 'its work decides the answer' },
    ),
    rationale: 'strong backbone for every agent whose work decides the answer, cheap one for formatting',
  };
  return [
    {
      role: 'system',
      content: [
        'You are the Implementer of MAS²: map every agent of a team to one backbone from the pool.',
        'Cost matters, but a wrong answer wastes the whole run: agents that compute, solve, reason, write or check code, or give the final answer go on the strongest backbone; cheap backbones only for formatting, summarizing or passing text on, or for steps that make no model call. A verifier needs a backbone at least as strong as the agent it checks. Each agent below says its slot: what its backbone must do.',
        'Answer with one JSON object: {"assignment": [{"agent": agent id, "backbone": backbone id, "reason": str}], "rationale": str}, one entry per agent, ids exactly as listed.',
        `Backbone pool:\n${poolSummary(pool)}`,
        `Example: ${JSON.stringify(example)}`,
      ].join('\n'),
    },
    { role: 'user', content: `Task:\n${task}\n\nAgents:\n${agents}` },
  ];
}
