/**
 * failure: a model call or a tool failed in a way retrying did not fix, or an agent used all
 * its turns without answering. O(s_t) = Failure in the paper's trigger.
 */
import type { Patch } from '../schemas';
import { otherThan } from '../pool';
import { endsFailed, type TriggerDescriptor } from './types';
import { executionRescue } from './shared';

export const failure: TriggerDescriptor = {
  priority: 0,
  once: null,
  noun: 'a failure',
  rectifierHint:
    'Change what failed: drop a tool that crashed (set_tools) or tell the agent how to avoid the error, or move the agent to another backbone (set_backbone) when its model calls fail. A programmer or ensemble with no usable answer: a stronger backbone (set_backbone), or a vote (set_operator to an ensemble with member "mixed", or set_k).',
  fromOutcome(o) {
    switch (o.kind) {
      case 'call_failed':
        return { kind: 'failure', detail: o.error, agent: o.agent, backbone: o.backbone, step: o.step };
      case 'tool_failed':
        return { kind: 'failure', detail: o.error, agent: o.agent, tool: o.tool, backbone: o.backbone, step: o.step };
      case 'no_answer':
        return { kind: 'failure', detail: o.detail, agent: o.agent, ...(o.tool ? { tool: o.tool } : {}), backbone: o.backbone, step: o.step };
      case 'turns_exhausted':
        return { kind: 'failure', detail: `agent ${o.agent} did not finish within ${o.maxTurns} model calls (it kept calling tools)`, agent: o.agent, backbone: o.backbone, step: o.step };
      default:
        return null;
    }
  },
  unfixable: endsFailed,
  /**
   * A programmer or an ensemble that failed: a stronger backbone, then a vote (executionRescue).
   * Any other agent: drop the tool that crashed; else (or next) move it to another backbone.
   */
  patches({ config, pool, trigger }) {
    const agent = config.template.agents.find((a) => a.id === trigger.agent);
    if (!agent) return [];
    if (agent.operator?.kind === 'programmer' || agent.operator?.kind === 'ensemble') return executionRescue(agent, config, pool, `${agent.id} gave no usable answer`);
    const out: Patch[] = [];
    if (trigger.tool && agent.tools.includes(trigger.tool)) {
      out.push({
        scope: 'local',
        ops: [
          { op: 'set_tools', agent: agent.id, tools: agent.tools.filter((t) => t !== trigger.tool) },
          { op: 'set_instructions', agent: agent.id, instructions: `${agent.instructions}\nThe ${trigger.tool} tool is unavailable; work without it.` },
        ],
        rationale: `The ${trigger.tool} tool crashed; drop it for ${agent.id} and continue without it.`,
      });
    }
    const other = otherThan(pool, config.assignment[agent.id]);
    if (other) out.push({ scope: 'local', ops: [{ op: 'set_backbone', agent: agent.id, backbone: other }], rationale: `Move ${agent.id} to another backbone (${other}) after its failure.` });
    return out;
  },
};
