/**
 * s_t as the workflow keeps it, and its projection into the result document.
 * Carried across continue-as-new and into branches (CTO, what-if runs).
 */
import type { AgentOutput, Config, Cost, EnsembleRun, JudgementRecord, MetaDecision, PatchOp, Rectification, Result, RunStatus, Step, StorageFault, TaskInput, Trigger } from './schemas';
import { emptyCost } from './cost';
import { answerFrom, answerSource, metaValidity } from './answer';
import { usesSimulator } from './pool';
import type { RejectedSignal } from './handlerInputs';
import type { FiredAt } from './triggers';

export interface PartialAgent {
  inputsKey: string;
  conversation: string[];
  turns: number;
  /** Turns that asked for tools, the calls made (tool + arguments) and whether the last turn repeated one. */
  toolRounds?: number;
  signatures?: string[];
  repeated?: boolean;
  /** A programmer: the last failure of its program (what the next round is told). */
  lastError?: string;
}

/** An ensemble under way: its seeds and the samples that have answered, so a resumed run draws only the rest. */
export interface EnsembleProgress {
  inputsKey: string;
  seeds: number[];
  /** By sample index: the sample's output and its extracted answer (null: a program that never ran cleanly). */
  samples: Record<number, { output: AgentOutput | null; extracted: string | null }>;
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
  /** The config version at which each once-only trigger kind last fired (mas/triggers/). */
  fired: FiredAt;
  pendingExternal: string[];
  pendingTrigger: Trigger | null;
  /** The kind of trigger the Rectifier is at work on, while its call runs (the live view shows it). */
  rectifying?: Trigger['kind'];
  appliedPatches: PatchOp[][];
  startedAt: string;
  finishedAt?: string;
  continuedAsNew: number;
  /** Steps recorded before this run of the chain; continue-as-new checks count from here. */
  stepsAtRunStart: number;
  branch?: { trigger: Trigger; state: RunState };
  /** Signals that were malformed or unknown: recorded here (bounded) and otherwise ignored. */
  rejectedSignals: RejectedSignal[];
  rejectedSignalCount: number;
  /** The run stopped on this storage fault (mas/storageFault.ts); the state is resumable. */
  storageFault?: StorageFault;
  /** Storage faults this run was resumed after. */
  resumedAfter?: StorageFault[];
  /** When the last resume after a storage fault started: the wall-time bound counts from here. */
  resumedAt?: string;
  /** Ensembles under way, by agent (absent in runs recorded before operators). */
  ensembles?: Record<string, EnsembleProgress>;
  /** Finished ensemble runs and checkers' judgements, for the result and the audit. */
  ensembleRuns?: EnsembleRun[];
  judgements?: JudgementRecord[];
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
    fired: {},
    pendingExternal: [],
    pendingTrigger: null,
    appliedPatches: [],
    startedAt,
    continuedAsNew: 0,
    stepsAtRunStart: 0,
    rejectedSignals: [],
    rejectedSignalCount: 0,
  };
}

/** The two flags state carried before `fired` (continue-as-new inputs, branches, resumed runs recorded earlier). */
interface LegacyFlags {
  budgetTriggerFired?: boolean;
  projectedFiredAtVersion?: number | null;
}

/** A state carried from an earlier run of the chain (or a branch point) in today's shape. */
export function upgradeState(s: RunState & LegacyFlags): RunState {
  if (!s.fired) {
    s.fired = {};
    if (s.budgetTriggerFired) s.fired.budget = 0;
    if (s.projectedFiredAtVersion != null) s.fired.projected_budget = s.projectedFiredAtVersion;
  }
  delete s.budgetTriggerFired;
  delete s.projectedFiredAtVersion;
  return s;
}

/** The output the answer comes from (the verified content when the final agent is a verifier), or else the closest finished one. */
export function bestOutput(s: RunState): { output: AgentOutput; ownVerdict: boolean } | null {
  if (!s.config) return null;
  const src = answerSource(s.config.template, s.outputs);
  return src ? { output: s.outputs[src.agent], ownVerdict: src.ownVerdict } : null;
}

export function bestAnswer(s: RunState): string | null {
  if (!s.config) return null;
  return answerFrom(s.config.template, s.outputs);
}

/**
 * The result document carries each output by reference only (`text` empty, `chars` its length):
 * the run state keeps previews for its decisions, the user reads texts through client/resolve.ts,
 * and the document stays small however much the agents wrote. The answer keeps its preview.
 */
function byReference(outputs: Record<string, AgentOutput>): Record<string, AgentOutput> {
  return Object.fromEntries(Object.entries(outputs).map(([id, o]) => [id, o.chars === undefined ? o : { ...o, text: '' }]));
}

export function toResult(s: RunState, input: TaskInput, workflowId: string): Result {
  const best = bestOutput(s);
  // A verifier's own text stands in only without its verdict line, so it keeps its preview (no reference to resolve).
  const answerRef = best && !best.ownVerdict && best.output.chars !== undefined ? best.output.ref : undefined;
  return {
    workflowId,
    status: s.status,
    task: input.task,
    answer: bestAnswer(s),
    ...(answerRef ? { answerRef } : {}),
    reason: s.reason,
    budgetUsd: s.budgetUsd,
    cost: s.cost,
    config: s.config,
    decisions: s.decisions,
    metaValidity: metaValidity(s.decisions),
    rectifications: s.rectifications,
    ...(s.rectifying ? { rectifying: s.rectifying } : {}),
    steps: s.steps,
    outputs: byReference(s.outputs),
    simulated: usesSimulator(input.pool),
    ...(input.pool.note ? { poolNote: input.pool.note } : {}),
    continuedAsNew: s.continuedAsNew,
    branch: s.branch,
    parentWorkflowId: input.parentWorkflowId,
    ...(input.metaPolicy ? { metaPolicy: input.metaPolicy } : {}),
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    ...(s.rejectedSignalCount ? { rejectedSignals: s.rejectedSignals, rejectedSignalCount: s.rejectedSignalCount } : {}),
    ...(s.storageFault ? { storageFault: s.storageFault, resumeFrom: s } : {}),
    ...(s.resumedAfter?.length ? { resumedAfter: s.resumedAfter } : {}),
    ...(s.ensembleRuns?.length ? { ensembles: s.ensembleRuns } : {}),
    ...(s.judgements?.length ? { judgements: s.judgements } : {}),
  };
}

/**
 * A saved state s_t made ready to run again as a new run: a branch (CTO, what-if runs) or a
 * run resumed after a storage fault, whose fault moves to `resumedAfter` and whose wall-time
 * bound starts again at `now`.
 */
export function resumeState(saved: RunState, now: string): RunState {
  const s = JSON.parse(JSON.stringify(saved)) as RunState;
  s.status = 'running';
  s.reason = undefined;
  s.branch = undefined;
  s.pendingTrigger = null;
  s.pendingExternal = [];
  s.rejectedSignals = [];
  s.rejectedSignalCount = 0;
  if (s.storageFault) {
    s.resumedAfter = [...(s.resumedAfter ?? []), s.storageFault];
    s.resumedAt = now;
    delete s.storageFault;
  }
  return s;
}
