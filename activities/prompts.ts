/**
 * The prompts the meta-agents and the team's agents see. Meta-agent prompts
 * follow the MAS² formulation (paper notes): the Generator designs ⟨R, P, T⟩
 * without models, the Implementer maps roles to priced backbones, the
 * Rectifier proposes M_{t+1} from M_t and s_t.
 */
import type { ChatMessage } from '../mas/messages';
import type { AgentSpec, Config, Pool, Template, Trigger } from '../mas/schemas';
import { KNOWN_TOOLS, type ToolSpec } from '../mas/tools';
import type { StateSummaryInput } from '../mas/summary';
import { cheapestBackbone, strongestBackbone } from '../mas/pool';
import { predecessors } from '../mas/graph';

const TOOL_NOTES: Record<string, string> = {
  python: 'runs Python 3 code in a sandbox (no network, no secrets) and returns stdout/stderr',
  javascript: 'runs JavaScript (Node.js) code in the same sandbox',
  calculator: 'evaluates a math expression exactly',
  search: 'searches a local document collection',
  workspace: "reads, writes and lists files in the run's own folder",
};

/** One entry per tool the agents may be given: the built-ins' notes, or an own/MCP tool's description. */
function toolMenu(names: readonly string[], specs?: readonly ToolSpec[]): string {
  const byName = new Map((specs ?? []).map((t) => [t.name, t]));
  return names
    .map((n) => {
      const t = byName.get(n);
      const note = t && t.source !== 'builtin' ? t.description.split('\n')[0].slice(0, 300) : (TOOL_NOTES[n] ?? t?.description.split('\n')[0].slice(0, 300));
      return `${n} (${note || 'no description'})`;
    })
    .join('; ');
}

/**
 * Compact on purpose (issue 16): a 0.5B model reads ~200 prompt tokens/s, so the schema is
 * given as one line of shape plus the rules it breaks most and one worked example; the full
 * JSON schema travels as response_format (grammar-constrained on llama.cpp).
 */
export function generatorMessages(task: string, tools: readonly string[] = KNOWN_TOOLS, specs?: readonly ToolSpec[]): ChatMessage[] {
  return [
    {
      role: 'system',
      content: [
        'You are the Generator of MAS²: design a small team of agents for one task. Do not choose models.',
        'Answer with one JSON object: {"name": str, "agents": [{"id": str, "role": str, "instructions": one or two sentences, "tools": [tool], "verifier": bool (optional)}], "edges": [{"from": id, "to": id}], "loops": [], "finalAgent": id}.',
        'Rules: 2 or 3 agents (at most 5). Edges say whose output feeds whom: no cycles, never from an agent to itself. Every agent must reach finalAgent through edges; finalAgent is the last agent and feeds no one.',
        'A checking agent has "verifier": true and starts its answer with PASS or FAIL; the answer of the run is then the output it checked.',
        `Tools: ${toolMenu(tools, specs)}. Use only these.`,
        'Example, for "Write is_even(n) in Python and test it":',
        JSON.stringify(EXAMPLE_TEMPLATE),
      ].join('\n'),
    },
    { role: 'user', content: `Task:\n${task}` },
  ];
}

const EXAMPLE_TEMPLATE = {
  name: 'code-check',
  agents: [
    { id: 'coder', role: 'Coder', instructions: 'Write the function in a ```python block with a few assert tests, and run it with the python tool.', tools: ['python'] },
    { id: 'checker', role: 'Checker', instructions: 'Check the code against the task. Start with PASS or FAIL, then say why.', tools: [], verifier: true },
  ],
  edges: [{ from: 'coder', to: 'checker' }],
  loops: [],
  finalAgent: 'checker',
};

export function poolSummary(pool: Pool): string {
  return pool.backbones
    .map((b) => `- ${b.id}: model ${b.model}, $${b.pricing.inputPerM}/M input, $${b.pricing.outputPerM}/M output tokens; strengths: ${b.hints.strengths.join(', ') || 'general'}`)
    .join('\n');
}

/** Roles whose work cannot make the answer wrong (the example puts them on the cheapest backbone). */
const LIGHT_ROLE = /format|summar|rout|relay|present/i;

export function implementerMessages(task: string, template: Template, pool: Pool): ChatMessage[] {
  const agents = template.agents.map((a) => `- ${a.id}: ${a.role}${a.tools.length ? ` (tools: ${a.tools.join(', ')})` : ''}`).join('\n');
  const [cheapest, strongest] = [cheapestBackbone(pool).id, strongestBackbone(pool).id];
  // The example is this team's own agents: small models copy an example's choices by
  // position, so it shows the rule itself (on the local pool the 1.5B put a calculator on
  // the 0.5B "as a simple review", copied from the old two-agent example, and got 12*13 wrong).
  const example = {
    assignment: template.agents.map((a) =>
      LIGHT_ROLE.test(a.role) ? { agent: a.id, backbone: cheapest, reason: 'only formats text' } : { agent: a.id, backbone: strongest, reason: 'its work decides the answer' },
    ),
    rationale: 'strong backbone for every agent whose work decides the answer, cheap one for formatting',
  };
  return [
    {
      role: 'system',
      content: [
        'You are the Implementer of MAS²: map every agent of a team to one backbone from the pool.',
        'Cost matters, but a wrong answer wastes the whole run: agents that compute, solve, reason, write or check code, or give the final answer go on the strongest backbone; cheap backbones only for formatting, summarizing or passing text on. A verifier needs a backbone at least as strong as the agent it checks.',
        'Answer with one JSON object: {"assignment": [{"agent": agent id, "backbone": backbone id, "reason": str}], "rationale": str}, one entry per agent, ids exactly as listed.',
        `Example: ${JSON.stringify(example)}`,
      ].join('\n'),
    },
    {
      role: 'user',
      content: `Task:\n${task}\n\nAgents:\n${agents}\n\nBackbone pool:\n${poolSummary(pool)}`,
    },
  ];
}

const PATCH_OPS = [
  '{"op":"set_instructions","agent":id,"instructions":str}',
  '{"op":"set_backbone","agent":id,"backbone":backbone id}',
  '{"op":"set_tools","agent":id,"tools":[tool]}',
  '{"op":"add_agent","agent":{"id","role","instructions","tools":[]},"backbone":id} (then add_edge ops: every agent must reach the final agent)',
  '{"op":"remove_agent","agent":id}',
  '{"op":"add_edge","from":id,"to":id}',
  '{"op":"remove_edge","from":id,"to":id}',
  '{"op":"set_final","agent":id}',
];

/**
 * Whom the worked example re-instructs. A verifier's rejection is fixed at the producer it
 * checked, not at the verifier: small models copy the example's agent (on the local pool the
 * 1.5B re-instructed the rejecting 0.5B checker to "do the task again", which then passed
 * the same wrong answer).
 */
function exampleTarget(config: Config, trigger: Trigger): string {
  const target = trigger.agent ?? config.template.finalAgent;
  const isVerifier = config.template.agents.find((a) => a.id === target)?.verifier === true;
  if (trigger.kind !== 'verifier' && !isVerifier) return target;
  return predecessors(config.template, target)[0] ?? target;
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
        'You are the Rectifier of MAS². A running team of agents hit a trigger (a failure, a budget threshold, a verifier rejection or an operator request). Propose a patch.',
        'Agents you do not change keep their finished outputs, so prefer the smallest change that fixes the cause. On budget triggers move unfinished agents to cheaper backbones. Do not repeat a patch that was already applied.',
        'On a verifier trigger fix the agent whose output the verifier rejected (the one feeding it), not the verifier; if that agent is on a weaker backbone, moving it to a stronger one (set_backbone) is often the fix.',
        `Answer with one JSON object: {"scope": "local" or "global", "ops": [op, ...], "rationale": str}. Ops: ${PATCH_OPS.join(' | ')}.`,
        `Tools agents may have: ${toolMenu(tools, specs)}.`,
        `Example: ${JSON.stringify(example)}`,
      ].join('\n'),
    },
    {
      role: 'user',
      content: [
        `Task:\n${task}`,
        `Trigger: ${trigger.kind} — ${trigger.detail}${trigger.agent ? ` (agent ${trigger.agent})` : ''}`,
        `Current system (version ${config.version}):\n${JSON.stringify({ template: config.template, assignment: config.assignment })}`,
        `Spent $${state.costUsd.toFixed(6)} of $${state.budgetUsd}.`,
        `Finished agents:\n${state.finished.map((f) => `- ${f.agent}: ${f.preview}`).join('\n') || '(none)'}`,
        `Failed steps:\n${state.failedSteps.map((f) => `- ${f.agent} ${f.kind}: ${f.error}`).join('\n') || '(none)'}`,
        `Patches already applied:\n${state.previousPatches.join('\n') || '(none)'}`,
        `Backbone pool:\n${poolSummary(pool)}`,
      ].join('\n\n'),
    },
  ];
}

export function agentSystemPrompt(agent: AgentSpec): string {
  return [
    `You are ${agent.role} (agent "${agent.id}") in a team of agents working on one task.`,
    agent.instructions,
    agent.expects ? `Your output should be: ${agent.expects}.` : '',
    agent.tools.length ? `You can call these tools: ${agent.tools.join(', ')}. When you are done, answer without calling a tool.` : 'You have no tools; answer directly.',
  ]
    .filter(Boolean)
    .join('\n');
}

export function agentUserPrompt(task: string, upstream: { agent: string; role: string; text: string }[], feedback?: string): string {
  const parts = [`Task:\n${task}`];
  for (const u of upstream) parts.push(`### Output of ${u.agent} (${u.role})\n${u.text}`);
  if (feedback) parts.push(`### Reviewer feedback on your previous attempt\n${feedback}`);
  return parts.join('\n\n');
}
