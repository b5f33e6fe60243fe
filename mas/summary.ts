/** The compact s_t that the Rectifier sees: enough to decide, small enough for a prompt. */
import type { AgentOutput, PatchOp, Step } from './schemas';

export interface StateSummaryInput {
  costUsd: number;
  budgetUsd: number;
  finished: { agent: string; preview: string }[];
  failedSteps: { agent: string; kind: string; error: string }[];
  previousPatches: string[];
}

export function summariseState(costUsd: number, budgetUsd: number, outputs: Record<string, AgentOutput>, steps: Step[], patches: PatchOp[][]): StateSummaryInput {
  return {
    costUsd,
    budgetUsd,
    finished: Object.entries(outputs).map(([agent, o]) => ({ agent, preview: o.text.slice(0, 240) })),
    failedSteps: steps
      .filter((s) => s.status === 'failed')
      .slice(-5)
      .map((s) => ({ agent: s.agent, kind: s.kind, error: (s.error ?? '').slice(0, 240) })),
    previousPatches: patches.map((p) => JSON.stringify(p).slice(0, 400)),
  };
}
