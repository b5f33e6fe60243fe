/**
 * What a team agent reads: its role (system), the task with its upstream agents' outputs and
 * any reviewer feedback (user), its own earlier turns, and the notes the turn loop adds.
 * Static first: the role text is the same on every call of the agent, the task text after it.
 */
import type { ChatMessage } from '../messages';
import type { AgentSpec } from '../schemas';

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

export function agentUserPrompt(task: string, upstream: readonly { agent: string; role: string; text: string }[], feedback?: string): string {
  const parts = [`Task:\n${task}`];
  for (const u of upstream) parts.push(`### Output of ${u.agent} (${u.role})\n${u.text}`);
  if (feedback) parts.push(`### Reviewer feedback on your previous attempt\n${feedback}`);
  return parts.join('\n\n');
}

/** Why the next turn is offered no tools (mas/agentLoop.ts decides when). */
export const NO_TOOLS_REASONS = {
  lastTurn: 'this is your last turn',
  repeated: 'you repeated a tool call you had already made',
  toolRounds: (n: number) => `you already used tools in ${n} turns`,
  longConversation: 'the conversation is long enough',
};

/** The note on a turn offered no tools, so the agent answers. */
export function noMoreToolsPrompt(reason: string): string {
  return `No more tool calls (${reason}). Give your final answer now.`;
}

/** The result of a tool call past the per-turn cap: it did not run. */
export function refusedToolCall(maxPerTurn: number): string {
  return `not executed: at most ${maxPerTurn} tool calls run per turn; use the results you have`;
}

/** One model call's messages: role, task, the agent's earlier turns, and the no-tools note when tools are off. */
export function agentMessages(
  task: string,
  agent: AgentSpec,
  upstream: readonly { agent: string; role: string; text: string }[],
  feedback: string | undefined,
  history: readonly ChatMessage[],
  withoutTools?: string,
): ChatMessage[] {
  return [
    { role: 'system', content: agentSystemPrompt(agent) },
    { role: 'user', content: agentUserPrompt(task, upstream, feedback) },
    ...history,
    ...(withoutTools ? [{ role: 'user' as const, content: noMoreToolsPrompt(withoutTools) }] : []),
  ];
}
