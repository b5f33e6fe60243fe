/**
 * s_t as the workflow keeps it, and its projection into the result document.
 * Carried across continue-as-new and into branches (CTO, what-if runs).
 */
import type { AgentOutput, Config, Cost, MetaDecision, PatchOp, Rectification, Result, RunStatus, Step, TaskInput, Trigger } from './schemas';
import { emptyCost } from './cost';
import { topologicalOrder } from './graph';
import { usesSimulator } from './pool';

export interface PartialAgent {
  inputsKey: string;
  conversation: string[];
  turns: number;
}

export interface RunState {
  status: RunStatus;
  reason?: string;
  config: Config | null;
  outputs: Record<string, AgentOutput>;
  partial: Record<string, PartialAgent>;
  steps: Step[];
  cost: Cost;
  rectifications: Rectification[];
  decisions: MetaDecision[];
  counters: {
    tool: Record<string, number>;
    model: Record<string, number>;
    modelAll: number;
    llmIndex: Record<string, number>;
    toolIndex: Record<string, number>;
    metaIndex: Record<string, number>;
  };
  rounds: Record<string, number>;
  feedback: Record<string, string>;
  budgetUsd: number;
  budgetTriggerFired: boolean;
  projectedFiredAtVersion: number | null;
  pendingExternal: string[];
  pendingTrigger: Trigger | null;
  appliedPatches: PatchOp[][];
  startedAt: string;
  finishedAt?: string;
  continuedAsNew: number;
  /** Steps recorded before this run of the chain; continue-as-new checks count from here. */
  stepsAtRunStart: number;
  branch?: { trigger: Trigger; state: RunState };
}

export function initialState(input: TaskInput, startedAt: string): RunState {
  return {
    status: 'running',
    config: null,
    outputs: {},
    partial: {},
    steps: [],
    cost: emptyCost(),
    rectifications: [],
    decisions: [],
    counters: { tool: {}, model: {}, modelAll: 0, llmIndex: {}, toolIndex: {}, metaIndex: {} },
    rounds: {},
    feedback: {},
    budgetUsd: input.budgetUsd,
    budgetTriggerFired: false,
    projectedFiredAtVersion: null,
    pendingExternal: [],
    pendingTrigger: null,
    appliedPatches: [],
    startedAt,
    continuedAsNew: 0,
    stepsAtRunStart: 0,
  };
}

/** The final agent's output, or else the finished output closest to it in topological order. */
export function bestAnswer(s: RunState): string | null {
  if (!s.config) return null;
  const final = s.outputs[s.config.template.finalAgent];
  if (final) return final.text;
  const order = topologicalOrder(s.config.template) ?? [];
  for (let i = order.length - 1; i >= 0; i--) if (s.outputs[order[i]]) return s.outputs[order[i]].text;
  return null;
}

export function toResult(s: RunState, input: TaskInput, workflowId: string): Result {
  return {
    workflowId,
    status: s.status,
    task: input.task,
    answer: bestAnswer(s),
    reason: s.reason,
    budgetUsd: s.budgetUsd,
    cost: s.cost,
    config: s.config,
    decisions: s.decisions,
    rectifications: s.rectifications,
    steps: s.steps,
    outputs: s.outputs,
    simulated: usesSimulator(input.pool),
    ...(input.pool.note ? { poolNote: input.pool.note } : {}),
    continuedAsNew: s.continuedAsNew,
    branch: s.branch,
    parentWorkflowId: input.parentWorkflowId,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
  };
}
