/**
 * Bounds on one agent's model → tools → model loop (docs/history-weak-models.md). Small models repeat the same
 * tool call, emit dozens of calls in one turn, or never stop calling tools; each rule here
 * turns that into a bounded conversation that ends with an answer. Pure: the workflow decides
 * with it, deterministically.
 */
import { stableStringify } from './hash';
import { NO_TOOLS_REASONS, refusedToolCall } from './prompts/agent';

export const AGENT_LIMITS = {
  /** Tool calls executed per model turn; the rest get a short error result. */
  maxToolCallsPerTurn: 3,
  /** Turns with tool calls before the next turn is offered no tools. */
  maxToolRounds: 3,
  /** Characters of the conversation (prompt) past which the next turn is offered no tools. */
  maxPromptChars: 24_000,
  /** Characters of one tool result the model gets to read. */
  maxToolResultChars: 4_000,
} as const;

/** Default bound on a run's wall time when the caller gives none (`maxWallSeconds`). */
export const DEFAULT_MAX_WALL_SECONDS = 1800;

/** Same tool, same arguments (JSON compared by value when it parses). */
export function toolSignature(call: { name: string; arguments: string }): string {
  let args: string = call.arguments.trim();
  try {
    args = stableStringify(JSON.parse(args));
  } catch {
    /* invalid JSON compares as text */
  }
  return `${call.name}(${args})`;
}

export interface ToolSplit<T> {
  run: T[];
  refused: T[];
}

/** The first `max` calls run; the others are answered with an error without running. */
export function splitToolCalls<T>(calls: readonly T[], max: number = AGENT_LIMITS.maxToolCallsPerTurn): ToolSplit<T> {
  return { run: calls.slice(0, max), refused: calls.slice(max) };
}

export const REFUSED_TOOL_CALL = refusedToolCall(AGENT_LIMITS.maxToolCallsPerTurn);

export interface TurnState {
  /** Model calls already made in this loop. */
  turns: number;
  maxTurns: number;
  /** Turns so far that asked for tools. */
  toolRounds: number;
  /** True when the last turn repeated a call (same tool, same arguments) made earlier. */
  repeated: boolean;
  promptChars: number;
  /** Whether the agent has tools at all. */
  hasTools: boolean;
}

/** Why the next turn is offered no tools (so it answers), or null when tools stay on. */
export function withoutToolsReason(s: TurnState): string | null {
  if (!s.hasTools) return null;
  if (s.turns >= s.maxTurns - 1) return NO_TOOLS_REASONS.lastTurn;
  if (s.repeated) return NO_TOOLS_REASONS.repeated;
  if (s.toolRounds >= AGENT_LIMITS.maxToolRounds) return NO_TOOLS_REASONS.toolRounds(s.toolRounds);
  if (s.promptChars > AGENT_LIMITS.maxPromptChars) return NO_TOOLS_REASONS.longConversation;
  return null;
}

/** A bounded preview of a tool result: head and tail kept, the middle elided with a count. */
export function boundText(text: string, max: number = AGENT_LIMITS.maxToolResultChars): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.7);
  const tail = max - head;
  return `${text.slice(0, head)}\n… [${text.length - max} characters elided] …\n${text.slice(text.length - tail)}`;
}

/** Whether a run has used up its wall-time bound (times in ms, workflow time). */
export function wallTimeExceeded(startedAtMs: number, nowMs: number, maxWallSeconds: number = DEFAULT_MAX_WALL_SECONDS): boolean {
  return nowMs - startedAtMs > maxWallSeconds * 1000;
}
