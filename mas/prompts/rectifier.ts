/**
 * The Rectifier's prompt: propose M_{t+1} from M_t and s_t after a trigger. Static first: the
 * role, the patch language, the tools and the pool are the same for every trigger of a run;
 * the worked example (it names the agent to fix), the trigger with what its kind calls for
 * (mas/triggers/), and the state come after them.
 */
import type { ChatMessage } from '../messages';
import type { Config, Pool, Trigger } from '../schemas';
import type { StateSummaryInput } from '../summary';
import { KNOWN_TOOLS, type ToolSpec } from '../tools';
import { predecessors } from '../graph';
import { KINDS_BY_URGENCY, TRIGGERS } from '../triggers';
import { poolSummary } from './pool';
import { toolMenu } from './tools';

const PATCH_OPS = [
  '{"op":"set_instructions","agent":id,"instructions":str}',
  '{"op":"set_backbone","agent":id,"backbone":backbone id}',
  '{"op":"set_tools","agent":id,"tools":[tool]}',
  '{"op":"add_agent","agent":{"id","role","instructions","tools":[]},"backbone":id} (then add_edge ops: every agent must reach the final agent)',
  '{"op":"remove_agent","agent":id}',
  '{"op":"add_edge","from":id,"to":id}',
  '{"op":"remove_edge","from":id,"to":id}',
  '{"op":"set_final","agent":id}',
  '{"op":"set_operator","agent":id,"operator":{"kind":"programmer","answer":"number"|"text"|"code"} or {"kind":"ensemble","k":2-9,"member":"agent"|"programmer"|"mixed","answer":…} or null} (a programmer writes a program the sandbox runs; an ensemble votes over k samples; null: a plain agent)',
  '{"op":"set_k","agent":id,"k":2-9} (samples of an ensemble)',
  '{"op":"bypass_agent","agent":id} (drop a flaky step; its inputs feed its outputs)',
];

/** "a failure, a verifier rejection, … or a projected overrun": every kind the table knows. */
function triggerNouns(): string {
  const nouns = KINDS_BY_URGENCY.map((k) => TRIGGERS[k].noun);
  return `${nouns.slice(0, -1).join(', ')} or ${nouns[nouns.length - 1]}`;
}

/**
 * Whom the worked example re-instructs: the trigger's agent, or the producer it checked when
 * that agent is a verifier. Small models copy the example's agent (on the local pool the 1.5B
 * re-instructed the rejecting 0.5B checker to "do the task again", which then passed the same
 * wrong answer).
 */
function exampleTarget(config: Config, trigger: Trigger): string {
  const target = trigger.agent ?? config.template.finalAgent;
  const isVerifier = config.template.agents.find((a) => a.id === target)?.verifier === true;
  return isVerifier ? (predecessors(config.template, target)[0] ?? target) : target;
}

export function rectifierMessages(task: string, config: Config, state: StateSummaryInput, trigger: Trigger, pool: Pool, tools: readonly string[] = KNOWN_TOOLS, specs?: readonly ToolSpec[]): ChatMessage[] {
  const example = {
    scope: 'local',
    ops: [{ op: 'set_instructions', agent: exampleTarget(config, trigger), instructions: 'Do the task again. The last attempt was rejected because ...; fix that.' }],
    rationale: 'the smallest change that addresses the trigger',
  };
  return [
    {
      role: 'system',
      content: [
        `You are the Rectifier of MAS². A running team of agents hit a trigger (${triggerNouns()}). Propose a patch.`,
        'Agents you do not change keep their finished outputs, so prefer the smallest change that fixes the cause. Do not repeat a patch that was already applied.',
        `Answer with one JSON object: {"scope": "local" or "global", "ops": [op, ...], "rationale": str}. Ops: ${PATCH_OPS.join(' | ')}.`,
        `Tools agents may have: ${toolMenu(tools, specs)}.`,
        `Backbone pool:\n${poolSummary(pool)}`,
        `Example: ${JSON.stringify(example)}`,
      ].join('\n'),
    },
    {
      role: 'user',
      content: [
        `Task:\n${task}`,
        `Trigger: ${trigger.kind} — ${trigger.detail}${trigger.agent ? ` (agent ${trigger.agent})` : ''}\n${TRIGGERS[trigger.kind].rectifierHint}`,
        `Current system (version ${config.version}):\n${JSON.stringify({ template: config.template, assignment: config.assignment })}`,
        `Spent $${state.costUsd.toFixed(6)} of $${state.budgetUsd}.`,
        `Finished agents:\n${state.finished.map((f) => `- ${f.agent}: ${f.preview}`).join('\n') || '(none)'}`,
        `Failed steps:\n${state.failedSteps.map((f) => `- ${f.agent} ${f.kind}: ${f.error}`).join('\n') || '(none)'}`,
        `Patches already applied:\n${state.previousPatches.join('\n') || '(none)'}`,
      ].join('\n\n'),
    },
  ];
}
