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

const TOOL_NOTES: Record<string, string> = {
  python: 'runs Python 3 code in a sandbox (no network, no secrets) and returns stdout/stderr',
  javascript: 'runs JavaScript (Node.js) code in the same sandbox',
  calculator: 'evaluates a math expression exactly',
  search: 'searches a local document collection',
  workspace: "reads, writes and lists files in the run's own folder",
};

/** One line per tool the Generator may hand out: the built-ins' notes, or the catalogue's descriptions. */
function toolMenu(tools: readonly ToolSpec[] | undefined): string {
  if (!tools) return KNOWN_TOOLS.map((t) => `${t} — ${TOOL_NOTES[t]}`).join('; ');
  return tools.map((t) => `${t.name} — ${(TOOL_NOTES[t.name] && t.source === 'builtin' ? TOOL_NOTES[t.name] : t.description.split('\n')[0].slice(0, 300)) || '(no description)'}`).join('; ');
}

export function generatorMessages(task: string, tools?: readonly ToolSpec[]): ChatMessage[] {
  return [
    {
      role: 'system',
      content: [
        'You are the Generator of MAS², a meta-agent that designs a multi-agent system for one task.',
        'Design the template M_temp = ⟨R, P, T⟩: the agents R (id, role, instructions, tools, expects), the protocol P (edges: whose output feeds whom, a DAG; optional bounded feedback loops {from, to, maxRounds} where `to` is upstream of `from` and `from` answers "REVISE ..." to ask for another round) and the finalAgent whose output is the answer.',
        'Do not choose models; another meta-agent does that. Keep the team as small as the task allows: easy tasks need 2 agents, hard ones 3–5.',
        'Mark a checking agent with "verifier": true when the task has a checkable answer; it must start its answer with PASS or FAIL.',
        `Tools you may give agents (T): ${toolMenu(tools)}.`,
        'Answer with JSON only, matching the schema.',
      ].join('\n'),
    },
    { role: 'user', content: `Task:\n${task}` },
  ];
}

export function poolSummary(pool: Pool): string {
  return pool.backbones
    .map((b) => `- ${b.id}: model ${b.model}, $${b.pricing.inputPerM}/M input, $${b.pricing.outputPerM}/M output tokens; strengths: ${b.hints.strengths.join(', ') || 'general'}`)
    .join('\n');
}

export function implementerMessages(task: string, template: Template, pool: Pool): ChatMessage[] {
  return [
    {
      role: 'system',
      content: [
        'You are the Implementer of MAS². Given a team template, map every agent to one backbone from the pool L (φ: R → L).',
        'Cost matters: put easy roles (planning, formatting, simple review) on cheap backbones and hard reasoning or coding on strong ones. Use only backbone ids from the pool.',
        'Answer with JSON only: {"assignment": [{"agent", "backbone", "reason"}], "rationale"}.',
      ].join('\n'),
    },
    {
      role: 'user',
      content: `Task:\n${task}\n\nTemplate:\n${JSON.stringify(template, null, 2)}\n\nBackbone pool:\n${poolSummary(pool)}`,
    },
  ];
}


export function rectifierMessages(task: string, config: Config, state: StateSummaryInput, trigger: Trigger, pool: Pool, tools?: readonly ToolSpec[]): ChatMessage[] {
  return [
    {
      role: 'system',
      content: [
        'You are the Rectifier of MAS². A running multi-agent system hit a trigger (a failure, a budget threshold, a verifier rejection or an operator request).',
        'Propose M_{t+1}: a patch of ops. Local ops: set_backbone, set_instructions, set_tools for one agent. Global ops: add_agent, remove_agent, add_edge, remove_edge, set_final, replace_topology.',
        'Execution resumes from the current state: agents you do not change keep their finished outputs, so prefer the smallest change that fixes the cause. On budget triggers move unfinished agents to cheaper backbones.',
        'Do not repeat a patch that was already applied. Answer with JSON only: {"scope": "local"|"global", "ops": [...], "rationale"}.',
      ].join('\n'),
    },
    {
      role: 'user',
      content: [
        `Task:\n${task}`,
        `Trigger: ${trigger.kind} — ${trigger.detail}${trigger.agent ? ` (agent ${trigger.agent})` : ''}`,
        `Current system M_t (version ${config.version}):\n${JSON.stringify({ template: config.template, assignment: config.assignment }, null, 2)}`,
        `State s_t: spent $${state.costUsd.toFixed(6)} of $${state.budgetUsd}.`,
        `Finished agents:\n${state.finished.map((f) => `- ${f.agent}: ${f.preview}`).join('\n') || '(none)'}`,
        `Failed steps:\n${state.failedSteps.map((f) => `- ${f.agent} ${f.kind}: ${f.error}`).join('\n') || '(none)'}`,
        `Patches already applied:\n${state.previousPatches.join('\n') || '(none)'}`,
        `Backbone pool:\n${poolSummary(pool)}`,
        `Tools agents may use (set_tools): ${toolMenu(tools)}`,
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
