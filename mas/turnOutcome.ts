/**
 * How one agent's turn loop ended (workflows/task/agent.ts), as one typed value: the loop
 * returns it, and the table of trigger kinds (mas/triggers/) says which trigger, if any, it
 * fires. The loop itself never decides what happens to the run.
 */
import type { AgentOutput, StorageFault } from './schemas';
import type { Verdict } from './verdict';

/** Where the turn loop was: the index of the last step recorded when it ended. */
interface At {
  agent: string;
  backbone: string;
  step: number;
}

export type TurnOutcome =
  /**
   * The agent answered. `verdict` is read only for verifiers and loop senders (null otherwise);
   * `extracted` is the answer read as an ensemble sample's kind (mas/vote.ts), when asked for.
   */
  | (At & { kind: 'answered'; output: AgentOutput; verifier: boolean; verdict: Verdict | null; extracted?: string | null })
  /** The run stopped or a trigger is pending: the agent keeps its partial work and resumes later. */
  | { kind: 'paused'; agent: string }
  /** A model call failed after its retries. */
  | (At & { kind: 'call_failed'; error: string })
  /** A tool call failed after its retries (a crash, or an activity failure). */
  | (At & { kind: 'tool_failed'; tool: string; error: string })
  /** An operator gave no answer: a program still failing after its rounds, an ensemble with nothing to vote on. */
  | (At & { kind: 'no_answer'; detail: string; tool?: string })
  /** maxTurns model calls and still no answer (it kept calling tools). */
  | (At & { kind: 'turns_exhausted'; maxTurns: number })
  /** The next model call could cost more than the budget has left. */
  | (At & { kind: 'over_budget'; detail: string })
  /** The blob store could not serve content the call needs: no trigger, the run stops resumable (mas/storageFault.ts). */
  | (At & { kind: 'storage_fault'; fault: StorageFault; reason: string })
  /** The run's wall-time bound was reached before the next model call. */
  | { kind: 'out_of_wall_time'; agent: string; maxWallSeconds: number };

export type TurnOutcomeKind = TurnOutcome['kind'];

/**
 * How the run ends when an outcome fires no trigger: the hard budget guard stops it before
 * an overrun, the wall-time bound fails it. Null: the run goes on.
 */
export function endingOf(o: TurnOutcome): { status: 'budget_exhausted' | 'failed'; reason: string } | null {
  switch (o.kind) {
    case 'over_budget':
      return { status: 'budget_exhausted', reason: `stopped before the overrun: ${o.detail}` };
    case 'storage_fault':
      return { status: 'failed', reason: o.reason };
    case 'out_of_wall_time':
      return { status: 'failed', reason: `the run's wall-time bound of ${o.maxWallSeconds} s was reached before ${o.agent}'s next model call` };
    default:
      return null;
  }
}
