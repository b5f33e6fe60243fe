/**
 * The contract between the workflow and its activities. The workflow proxies
 * this interface; `activities/` implements it. Kept in mas/ so workflow code
 * never imports activity code, not even for types.
 */
import type { AgentSpec, Assignment, Backbone, Config, ImplementerOutput, MetaDecision, Patch, PatchOp, Pool, Result, Template, Trigger, Usage } from './schemas';
import type { ToolCall, ToolDefinition } from './messages';
import type { PriorExemplar, ToolSpec } from './schemas';
import type { StateSummaryInput } from './summary';
import type { EvaluateInput, EvaluateOutput } from './cto';
import type { AnswerKind, EnsembleSample } from './operators';
import type { TestRun } from './testRun';

export interface MetaCallBase {
  workflowId: string;
  task: string;
  pool: Pool;
  seed: number;
  /** Unique per decision in the run, so the simulator and the ledger can tell calls apart. */
  callKey: string;
  /** false when the budget leaves no room for a model call: rules only. */
  allowModel: boolean;
  /** What is left of the budget: the model is asked only when the exact worst case of each call (and its repair round) fits. */
  maxCostUsd?: number;
  /** The run's tool catalogue; absent: the built-ins. */
  tools?: ToolSpec[];
  /** A trained prior's best decisions for this kind of task (shown in the prompt); absent: none. */
  exemplars?: PriorExemplar[];
}

export interface MetaResult<T> {
  value: T;
  decision: MetaDecision;
  usage: Usage;
  backbone: string;
  attempts: number;
  durationMs: number;
}

export interface GenerateInput extends MetaCallBase {}
export interface ImplementInput extends MetaCallBase {
  template: Template;
}
export interface RectifyInput extends MetaCallBase {
  config: Config;
  trigger: Trigger;
  state: StateSummaryInput;
  finished: string[];
  previousPatches: PatchOp[][];
}
export interface RectifyValue {
  patch: Patch | null;
  source: 'rectifier' | 'repair' | 'fallback';
  /** Why no patch could be found (patch === null). */
  reason?: string;
}

export interface CallModelInput {
  workflowId: string;
  task: string;
  agent: AgentSpec;
  /** Only the assigned backbone travels with the call, not the whole pool. */
  backbone: Backbone;
  seed: number;
  callKey: string;
  /** Outputs of upstream agents, by blob reference. */
  upstream: { agent: string; role: string; ref: string }[];
  feedbackRef?: string;
  /** Earlier messages of this agent's turn loop (assistant and tool), by blob reference. */
  conversation: string[];
  /** Offer no tools on this call and tell the agent why, so it answers (mas/agentLoop.ts). */
  withoutTools?: string;
  /** Tool calls past this many in the reply are answered with an error message (refusedMessageRefs). */
  maxToolCalls?: number;
  /** Chaos injection decided by the workflow (deterministic): fail this call / add latency. */
  injectError?: boolean;
  extraLatencyMs?: number;
  /** Function-calling definitions of the agent's tools, from the run's catalogue; absent: the built-in registry's. */
  toolDefs?: ToolDefinition[];
  /**
   * What the workflow set aside for this call: it is not started when its exact worst case
   * (prompt as sent + max_tokens, priced) is more (failure type BudgetGuard, with the need).
   * Absent in runs recorded before reservations.
   */
  maxCostUsd?: number;
  /** An ensemble sample's own temperature and seed, sent instead of the backbone's (docs/operators.md). */
  sampling?: Sampling;
  /** Which sample of an ensemble this call draws: its own conversation, and the simulator answers from its seed. */
  sample?: EnsembleSample;
  /** Read the final answer as this kind and return it in `extracted` (the workflow holds only previews, and votes on it). */
  answer?: AnswerKind;
}

/** Per-call sampling that overrides the backbone's own temperature and seed. */
export interface Sampling {
  temperature: number;
  seed: number;
}

export interface CallModelOutput {
  /** The assistant message, stored in the blob store. */
  messageRef: string;
  /**
   * The start of the final answer (mas/content.ts previewOf), when there are no tool calls;
   * the text itself is in the blob store at contentRef.
   */
  preview?: string | null;
  /** Characters of the final answer. */
  contentChars?: number;
  /** Full final answer inline: results recorded before previews only (old histories replay). */
  content?: string | null;
  /** Blob reference of the final answer text. */
  contentRef: string | null;
  toolCalls: ToolCall[];
  /** Tool messages answering the calls past maxToolCalls with an error, in order. */
  refusedMessageRefs?: string[];
  usage: Usage;
  costUsd: number;
  durationMs: number;
  /**
   * Characters of the prompt as billed (mas/cost.ts promptChars: messages, tool calls, tool definitions; runs recorded
   * before counted the messages' text only) and of the reply: the next call's prompt is their sum plus tool results.
   */
  promptChars: number;
  replyChars: number;
  attempts: number;
  /** The final answer read as `input.answer` (mas/vote.ts extractAnswer; code: null); absent when not asked. */
  extracted?: string | null;
}

export interface RunToolInput {
  workflowId: string;
  agent: string;
  callKey: string;
  call: ToolCall;
  allowedTools: string[];
  injectCrash?: boolean;
}

export interface RunToolOutput {
  messageRef: string;
  /** Size of the tool message the model will read next, for the next call's worst-case cost. */
  chars: number;
  ok: boolean;
  preview: string;
  limit?: string;
  durationMs: number;
  attempts: number;
}

/** An executable check of a verifier's verdict: the code it checked, run in the sandbox (mas/codeCheck.ts). */
export interface CodeCheckInput {
  workflowId: string;
  agent: string;
  callKey: string;
  /** The verifier's upstream outputs (blob refs), where the code to run is. */
  upstreamRefs: string[];
  /** The verifier's own answer (blob ref): its verdict, and tests it may have written. */
  verdictRef: string;
}

export interface CodeCheckOutput {
  /** False when there was no Python to run: the model's verdict stands unchanged. */
  checked: boolean;
  /** The verdict that stands, stored in full (`ref`) and previewed for the workflow's decisions. */
  ref: string;
  preview: string;
  chars: number;
  overridden: boolean;
  ok?: boolean;
  /** What the run printed or the error, for the step record. */
  runPreview?: string;
  durationMs: number;
  attempts: number;
}

/**
 * Running an operator's code in the sandbox (docs/operators.md): `print` runs the program and
 * its printed output is the answer; `tests` runs the code on the task's examples and the
 * team's asserts (mas/taskTests.ts) through one `testProgram` run.
 */
export interface RunCodeInput {
  workflowId: string;
  agent: string;
  callKey: string;
  /** The text holding the code (a model's reply), by blob reference. */
  codeRef: string;
  mode: 'print' | 'tests';
  /** What the printed output must read as (print mode): number or text. */
  answer?: AnswerKind;
  /** Where the tests come from (tests mode): the task's own examples and the upstream outputs' asserts. */
  task: string;
  upstreamRefs: string[];
  /** When set and the run fails, a user message telling the programmer what failed is stored (feedbackRef). */
  feedback?: { round: number; maxRounds: number };
  /** A test step's run: judge the evidence (mas/evidence.ts) and store the step's verdict text (`verdict`). */
  judge?: { canRevise: boolean };
}

export interface RunCodeOutput {
  /** The code ran cleanly (print: it printed a readable answer; tests: it loaded and no usable test failed). */
  ok: boolean;
  /** One line: what the run printed, or what failed. */
  detail: string;
  /** print mode, ok: the printed output, stored (`ref`), previewed and read as `answer`. */
  output?: { ref: string; preview: string; chars: number; extracted: string | null };
  /** tests mode: the run as history keeps it (mas/testRun.ts compactRun) and the texts of the failing tests, by id. */
  run?: TestRun;
  testTexts?: Record<string, string>;
  /** The programmer's next prompt when the run failed and `feedback` was asked for (a user message, by blob reference). */
  feedbackRef?: string;
  /** With `judge`: what the evidence decided and the test step's verdict text, stored (`ref`). */
  verdict?: { action: 'accept' | 'revise' | 'reject'; decidedBy: 'evidence' | 'model'; reason: string; ref: string; preview: string; chars: number };
  durationMs: number;
  attempts: number;
}

export interface Mas2Activities {
  generateTemplate(input: GenerateInput): Promise<MetaResult<Template>>;
  implementAssignment(input: ImplementInput): Promise<MetaResult<{ assignment: Assignment; output: ImplementerOutput | null }>>;
  rectify(input: RectifyInput): Promise<MetaResult<RectifyValue>>;
  callModel(input: CallModelInput): Promise<CallModelOutput>;
  runTool(input: RunToolInput): Promise<RunToolOutput>;
  /** Runs the code a verifier checked (and the tests the team wrote) in the sandbox; the executed verdict stands. */
  checkCode(input: CodeCheckInput): Promise<CodeCheckOutput>;
  /** Runs an operator's code in the sandbox: the program's printed answer, or the code on its tests. */
  runCode(input: RunCodeInput): Promise<RunCodeOutput>;
  /** CTO: does a leaf's answer pass the query's evaluator (exact, numeric, python-tests)? */
  evaluate(input: EvaluateInput): Promise<EvaluateOutput>;
  /** CTO: the result of a finished mas2Task (a child kept from an earlier, terminated collection). */
  ctoRunResult(input: { workflowId: string }): Promise<Result>;
}

/** ApplicationFailure types that mean "retrying will not fix this" and fire the failure trigger. */
export const FAILURE_TYPES = {
  modelCall: 'ModelCallFailed',
  schema: 'SchemaViolation',
  toolCrash: 'ToolCrashed',
  injected: 'InjectedFault',
  config: 'ConfigError',
  /** A model call the budget could not pay for was not started (details: `needUsd`, its exact worst case). */
  budget: 'BudgetGuard',
} as const;
export const NON_RETRYABLE_TYPES = Object.values(FAILURE_TYPES);
