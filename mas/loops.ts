/** Bounded feedback loops: a reviewer answering REVISE (mas/verdict.ts) sends work back upstream, at most maxRounds times. */
import type { AgentOutput, Template } from './schemas';
import type { Verdict } from './verdict';
import { descendants } from './graph';

export interface LoopOutcome {
  /** The agent that runs again with the feedback, or null when no loop fires. */
  target: string | null;
  invalidated: string[];
  rounds: Record<string, number>;
}

/** Whether an agent starts a feedback loop (its verdict matters to the workflow). */
export function startsLoop(t: Template, agent: string): boolean {
  return t.loops.some((l) => l.from === agent);
}

/** Whether a REVISE from `agent` would still send work back: it starts a loop with a round left. */
export function canRevise(t: Template, agent: string, rounds: Record<string, number>): boolean {
  const loop = t.loops.find((l) => l.from === agent);
  return loop !== undefined && (rounds[loop.to] ?? 0) < loop.maxRounds;
}

export function feedbackLoop(t: Template, agent: string, verdict: Verdict | null, rounds: Record<string, number>): LoopOutcome {
  const loop = t.loops.find((l) => l.from === agent);
  if (!loop || verdict !== 'REVISE') return { target: null, invalidated: [], rounds };
  const done = rounds[loop.to] ?? 0;
  if (done >= loop.maxRounds) return { target: null, invalidated: [], rounds };
  const invalidated = [loop.to, ...descendants(t, loop.to)];
  return { target: loop.to, invalidated, rounds: { ...rounds, [loop.to]: done + 1 } };
}

export function withoutAgents(outputs: Record<string, AgentOutput>, ids: string[]): Record<string, AgentOutput> {
  return Object.fromEntries(Object.entries(outputs).filter(([id]) => !ids.includes(id)));
}
