/**
 * `mas2 audit`: the decision history of a run, projected from its Temporal
 * history (DESIGN §2: "audit views are projections of the history, not a
 * second log"). Every run of the continue-as-new chain is read; activity
 * inputs and results, failures, signals, updates and cancel requests are
 * decoded and folded into one audit document, which renders as JSON,
 * Markdown or Mermaid.
 *
 * `projectHistory` is pure (unit-tested on synthetic histories);
 * `fetchAudit` does the I/O.
 */
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import {
  AssignmentSchema,
  ConfigSchema,
  FaultSchema,
  MetaRoleSchema,
  PatchSchema,
  TaskInputSchema,
  TemplateSchema,
  TriggerSchema,
  type Assignment,
  type Config,
  type MetaDecision,
  type PatchOp,
  type Pool,
  type Rectification,
  type Result,
  type TaskInput,
  type Template,
} from '../mas/schemas';
import type { CallModelInput, CallModelOutput, MetaResult, RectifyInput, RectifyValue, RunToolInput, RunToolOutput } from '../mas/contract';
import { applyPatch, describeDiff } from '../mas/patch';
import { fallbackPatch } from '../mas/fallback';
import { formatUsd } from '../mas/cost';
import { stableStringify } from '../mas/hash';
import { DEFAULT_TEMPLATE, TEMPLATES_BY_KIND, classifyTask } from '../mas/templates';
import { UserError } from './errors';
import { signalProblem } from '../mas/handlerInputs';
import type { BlobStore } from '../activities/blobStore';
import { localBlobs } from './resolve';

/** The signals mas2Task handles; any other name is recorded and ignored by the run. */
const TASK_SIGNALS = ['rectify'];

// ====================================================================== the audit document

/** Where a piece of the audit came from, most to least direct. */
export const EvidenceSchema = z.enum(['activity', 'result', 'rectifier-input', 'implementer-input', 'task-input', 'built-in', 'replayed-rule', 'none']);

const MetaSectionBase = z.object({
  /** The decision's source as the workflow records it; 'pending' while the meta-agent still runs, 'unknown' when the history does not say. */
  source: z.enum(['model', 'repair', 'fallback', 'ablation', 'forced', 'pending', 'unknown']),
  /** true only when a meta-agent activity ran and a model (possibly after a repair round) made the decision. */
  fromMetaAgent: z.boolean(),
  evidence: EvidenceSchema,
  backbone: z.string().optional(),
  rationale: z.string(),
  costUsd: z.number(),
  attempts: z.number().int().optional(),
  durationMs: z.number().optional(),
  /** The meta-agent activity's failure, when it failed and the workflow fell back. */
  error: z.string().optional(),
});

export const GeneratorAuditSchema = MetaSectionBase.extend({ template: TemplateSchema.nullable() });

export const AssignmentRowSchema = z.object({
  agent: z.string(),
  role: z.string().optional(),
  backbone: z.string(),
  inputPerM: z.number().nullable(),
  outputPerM: z.number().nullable(),
  reason: z.string().optional(),
});
export const ImplementerAuditSchema = MetaSectionBase.extend({
  assignment: AssignmentSchema.nullable(),
  rows: z.array(AssignmentRowSchema),
});

/** s_t as the Rectifier saw it (mas/summary.ts). */
export const StateSummarySchema = z.object({
  costUsd: z.number(),
  budgetUsd: z.number(),
  finished: z.array(z.object({ agent: z.string(), preview: z.string() })),
  failedSteps: z.array(z.object({ agent: z.string(), kind: z.string(), error: z.string() })),
  previousPatches: z.array(z.string()),
});

export const RectificationAuditSchema = z.object({
  /** 1-based, in the order the Rectifier was consulted. */
  index: z.number().int().min(1),
  run: z.number().int().min(0),
  at: z.string(),
  status: z.enum(['applied', 'not_applied', 'no_patch', 'pending', 'failed']),
  trigger: TriggerSchema,
  /** s_t. */
  state: StateSummarySchema.nullable(),
  /** M_t. */
  config: ConfigSchema.nullable(),
  fromVersion: z.number().int(),
  /** Version of M_{t+1}; null when no new version came of it. */
  toVersion: z.number().int().nullable(),
  patch: PatchSchema.nullable(),
  source: z.enum(['rectifier', 'repair', 'fallback', 'forced']).nullable(),
  fromMetaAgent: z.boolean(),
  evidence: EvidenceSchema,
  rationale: z.string(),
  /** Why there is no patch, or why it was not applied. */
  reason: z.string().optional(),
  applyError: z.string().optional(),
  /** describeDiff(M_t, M_{t+1}). */
  diff: z.array(z.string()),
  backbone: z.string().optional(),
  costUsd: z.number(),
  attempts: z.number().int().optional(),
  durationMs: z.number().optional(),
  /** The Rectifier activity's own failure (the workflow then used its rule-based fallback). */
  error: z.string().optional(),
  /** From the result document when available: agents re-run / outputs kept. */
  rerun: z.array(z.string()).optional(),
  kept: z.array(z.string()).optional(),
});

export const ConfigVersionSchema = z.object({
  version: z.number().int(),
  /** 'design' for v1, else the rectification index that produced it. */
  origin: z.union([z.literal('design'), z.number().int()]),
  label: z.string(),
  config: ConfigSchema,
  /** Agents added or changed (spec or backbone) against the previous version. */
  changed: z.array(z.string()),
  /** Edges (from → to) added against the previous version. */
  addedEdges: z.array(z.string()),
  diff: z.array(z.string()),
});

export const ActivityNameSchema = z.enum(['generateTemplate', 'implementAssignment', 'rectify', 'callModel', 'runTool']);

export const AuditStepSchema = z.object({
  index: z.number().int().min(0),
  run: z.number().int().min(0),
  activity: z.string(),
  agent: z.string(),
  kind: z.enum(['llm', 'tool', 'meta']),
  name: z.string().optional(),
  backbone: z.string().optional(),
  callKey: z.string().optional(),
  status: z.enum(['completed', 'failed', 'timed_out', 'cancelled', 'running']),
  attempts: z.number().int().min(0),
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  costUsd: z.number().min(0),
  /** Wall time from scheduled to closed (queueing and retries included); null while it runs. */
  durationMs: z.number().nullable(),
  /** What the activity itself measured, when it returned. */
  reportedMs: z.number().optional(),
  scheduledAt: z.string(),
  startedAt: z.string().optional(),
  closedAt: z.string().optional(),
  configVersion: z.number().int(),
  error: z.string().optional(),
  errorType: z.string().optional(),
  retryState: z.string().optional(),
});

export const SignalAuditSchema = z.object({
  run: z.number().int(),
  at: z.string(),
  name: z.string(),
  reason: z.string().optional(),
  args: z.array(z.unknown()),
  identity: z.string().optional(),
  /** Set when the run ignored the signal: what was wrong with it (the workflow's own check, mas/handlerInputs.ts). */
  rejected: z.string().optional(),
});
export const UpdateAuditSchema = z.object({
  run: z.number().int(),
  at: z.string(),
  name: z.string(),
  updateId: z.string().optional(),
  args: z.array(z.unknown()),
  outcome: z.enum(['accepted', 'completed', 'failed']),
  result: z.unknown().optional(),
  error: z.string().optional(),
  completedAt: z.string().optional(),
});
export const CancelRequestAuditSchema = z.object({ run: z.number().int(), at: z.string(), identity: z.string().optional(), cause: z.string().optional() });

export const RunEndSchema = z.enum(['running', 'completed', 'continued_as_new', 'failed', 'cancelled', 'terminated', 'timed_out']);
export const AuditRunSchema = z.object({
  runId: z.string(),
  startedAt: z.string().optional(),
  closedAt: z.string().optional(),
  end: RunEndSchema,
  reason: z.string().optional(),
  events: z.number().int(),
  /** Steps already in the carried state when this run started (continue-as-new). */
  carriedSteps: z.number().int().optional(),
});

const BackboneTotalsSchema = z.object({ usd: z.number(), inputTokens: z.number(), outputTokens: z.number(), calls: z.number() });
export const AuditTotalsSchema = z.object({
  costUsd: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  perBackbone: z.record(z.string(), BackboneTotalsSchema),
  metaUsd: z.number(),
  agentsUsd: z.number(),
  perMetaRole: z.partialRecord(MetaRoleSchema, z.number()),
  steps: z.number().int(),
  llmCalls: z.number().int(),
  toolCalls: z.number().int(),
  metaCalls: z.number().int(),
  failures: z.number().int(),
  /** Attempts beyond the first, summed over all steps. */
  retries: z.number().int(),
  rectifications: z.number().int(),
  signals: z.number().int(),
  /** Signals the run ignored because they were malformed or unknown. */
  rejectedSignals: z.number().int().default(0),
  wallMs: z.number().nullable(),
  /** The result document's own cost, when there is one, for cross-checking. */
  resultCostUsd: z.number().optional(),
});

export const AuditStatusSchema = z.enum(['running', 'completed', 'failed', 'budget_exhausted', 'cancelled', 'branched', 'terminated', 'timed_out']);

export const AuditSchema = z.object({
  workflowId: z.string(),
  status: AuditStatusSchema,
  reason: z.string().optional(),
  task: z.string(),
  /** Budget at the start; `finalBudgetUsd` after any raiseBudget updates. */
  budgetUsd: z.number(),
  finalBudgetUsd: z.number(),
  options: z.record(z.string(), z.unknown()),
  faults: z.array(FaultSchema),
  simulated: z.boolean(),
  parentWorkflowId: z.string().optional(),
  pool: z.array(z.object({ id: z.string(), provider: z.string(), model: z.string(), inputPerM: z.number(), outputPerM: z.number() })),
  runs: z.array(AuditRunSchema),
  generator: GeneratorAuditSchema,
  implementer: ImplementerAuditSchema,
  rectifications: z.array(RectificationAuditSchema),
  versions: z.array(ConfigVersionSchema),
  steps: z.array(AuditStepSchema),
  signals: z.array(SignalAuditSchema),
  updates: z.array(UpdateAuditSchema),
  cancelRequests: z.array(CancelRequestAuditSchema),
  totals: AuditTotalsSchema,
  /** The result document's outcome: from the completion event, or from the live `state` query (live: true). */
  result: z
    .object({ status: z.string(), answer: z.string().nullable(), answerRef: z.string().optional(), reason: z.string().optional(), costUsd: z.number(), steps: z.number().int(), live: z.boolean() })
    .nullable(),
  /** Things the reader should know about how complete this projection is. */
  notes: z.array(z.string()),
});

export type Audit = z.infer<typeof AuditSchema>;
export type AuditStep = z.infer<typeof AuditStepSchema>;
export type RectificationAudit = z.infer<typeof RectificationAuditSchema>;
export type ConfigVersion = z.infer<typeof ConfigVersionSchema>;
export type AuditFormat = 'md' | 'json' | 'mermaid';

// ====================================================================== reading raw history events

export type HistoryEvent = NonNullable<History['events']>[number];
export interface RunHistory {
  runId: string;
  events: HistoryEvent[];
}

type Payloads = { payloads?: Parameters<typeof defaultPayloadConverter.fromPayload>[0][] | null } | null | undefined;

/** protobuf int64 (Long), string (proto JSON), number or bigint → number. */
function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' || typeof v === 'bigint') return Number(v);
  if (typeof v === 'object') {
    const o = v as { toNumber?: () => number; low?: number; high?: number };
    if (typeof o.toNumber === 'function') return o.toNumber();
    if (typeof o.low === 'number' && typeof o.high === 'number') return o.high * 2 ** 32 + (o.low >>> 0);
  }
  return Number(v);
}

function timeMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  if (!ts) return undefined;
  return num(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

const iso = (ms: number | undefined): string => (ms === undefined ? '' : new Date(ms).toISOString());

function decode(p: Payloads): unknown[] {
  return (p?.payloads ?? []).map((x) => {
    try {
      return defaultPayloadConverter.fromPayload(x);
    } catch (e) {
      return `<payload not decodable: ${(e as Error).message}>`;
    }
  });
}

const RETRY_STATES = ['UNSPECIFIED', 'IN_PROGRESS', 'NON_RETRYABLE_FAILURE', 'TIMEOUT', 'MAXIMUM_ATTEMPTS_REACHED', 'RETRY_POLICY_NOT_SET', 'INTERNAL_SERVER_ERROR', 'CANCEL_REQUESTED'];
function retryStateName(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v.replace(/^RETRY_STATE_/, '');
  const n = num(v);
  return n ? RETRY_STATES[n] ?? String(n) : undefined;
}

interface FailureLike {
  message?: string | null;
  applicationFailureInfo?: { type?: string | null } | null;
  timeoutFailureInfo?: { timeoutType?: unknown } | null;
  cause?: FailureLike | null;
}

/** The innermost useful message and type of a Temporal failure. */
function failureText(f: FailureLike | null | undefined): { message: string; type?: string } {
  if (!f) return { message: 'unknown failure' };
  const type = f.applicationFailureInfo?.type ?? undefined;
  if (!type && f.cause) {
    const inner = failureText(f.cause);
    return { message: f.message ? `${f.message}: ${inner.message}` : inner.message, type: inner.type };
  }
  return { message: f.message || (f.timeoutFailureInfo ? 'activity timed out' : 'failure without a message'), type: type || undefined };
}

interface Activity {
  run: number;
  scheduledId: number;
  type: string;
  input: unknown;
  scheduledAt: number | undefined;
  startedAt?: number;
  attempt?: number;
  closeId?: number;
  closedAt?: number;
  outcome?: 'completed' | 'failed' | 'timed_out' | 'cancelled';
  result?: unknown;
  failure?: { message: string; type?: string; retryState?: string };
  cancelRequested?: boolean;
}

interface RunRecord {
  runId: string;
  args: unknown[];
  startedAt?: number;
  closedAt?: number;
  end: z.infer<typeof RunEndSchema>;
  reason?: string;
  result?: unknown;
  events: number;
  continuedFrom?: string;
}

interface Gathered {
  runs: RunRecord[];
  activities: Activity[];
  signals: z.infer<typeof SignalAuditSchema>[];
  updates: z.infer<typeof UpdateAuditSchema>[];
  cancels: z.infer<typeof CancelRequestAuditSchema>[];
}

function gather(runs: RunHistory[]): Gathered {
  const out: Gathered = { runs: [], activities: [], signals: [], updates: [], cancels: [] };
  runs.forEach((r, run) => {
    const rec: RunRecord = { runId: r.runId, args: [], end: 'running', events: r.events.length };
    const acts = new Map<number, Activity>();
    const updates = new Map<string, z.infer<typeof UpdateAuditSchema>>();
    for (const e of r.events) {
      const id = num(e.eventId);
      const at = timeMs(e.eventTime);
      if (e.workflowExecutionStartedEventAttributes) {
        const a = e.workflowExecutionStartedEventAttributes;
        rec.args = decode(a.input);
        rec.startedAt = at;
        rec.continuedFrom = a.continuedExecutionRunId || undefined;
      } else if (e.activityTaskScheduledEventAttributes) {
        const a = e.activityTaskScheduledEventAttributes;
        const act: Activity = { run, scheduledId: id, type: a.activityType?.name ?? '?', input: decode(a.input)[0], scheduledAt: at };
        acts.set(id, act);
        out.activities.push(act);
      } else if (e.activityTaskStartedEventAttributes) {
        const a = e.activityTaskStartedEventAttributes;
        const act = acts.get(num(a.scheduledEventId));
        if (act) {
          act.startedAt = at;
          act.attempt = a.attempt ?? undefined;
        }
      } else if (e.activityTaskCompletedEventAttributes) {
        const a = e.activityTaskCompletedEventAttributes;
        const act = acts.get(num(a.scheduledEventId));
        if (act) Object.assign(act, { closeId: id, closedAt: at, outcome: 'completed', result: decode(a.result)[0] });
      } else if (e.activityTaskFailedEventAttributes) {
        const a = e.activityTaskFailedEventAttributes;
        const act = acts.get(num(a.scheduledEventId));
        if (act) Object.assign(act, { closeId: id, closedAt: at, outcome: 'failed', failure: { ...failureText(a.failure as FailureLike), retryState: retryStateName(a.retryState) } });
      } else if (e.activityTaskTimedOutEventAttributes) {
        const a = e.activityTaskTimedOutEventAttributes;
        const act = acts.get(num(a.scheduledEventId));
        if (act) Object.assign(act, { closeId: id, closedAt: at, outcome: 'timed_out', failure: { ...failureText(a.failure as FailureLike), retryState: retryStateName(a.retryState) } });
      } else if (e.activityTaskCancelRequestedEventAttributes) {
        const act = acts.get(num(e.activityTaskCancelRequestedEventAttributes.scheduledEventId));
        if (act) act.cancelRequested = true;
      } else if (e.activityTaskCanceledEventAttributes) {
        const act = acts.get(num(e.activityTaskCanceledEventAttributes.scheduledEventId));
        if (act) Object.assign(act, { closeId: id, closedAt: at, outcome: 'cancelled' });
      } else if (e.workflowExecutionSignaledEventAttributes) {
        const a = e.workflowExecutionSignaledEventAttributes;
        const args = decode(a.input);
        const first = args[0] as { reason?: unknown } | undefined;
        out.signals.push({
          run,
          at: iso(at),
          name: a.signalName ?? '?',
          reason: a.signalName === 'rectify' && typeof first?.reason === 'string' ? first.reason : undefined,
          args,
          identity: a.identity || undefined,
          rejected: signalProblem(a.signalName ?? '?', args, TASK_SIGNALS),
        });
      } else if (e.workflowExecutionUpdateAcceptedEventAttributes) {
        const a = e.workflowExecutionUpdateAcceptedEventAttributes;
        const updateId = a.acceptedRequest?.meta?.updateId ?? a.protocolInstanceId ?? undefined;
        const u = { run, at: iso(at), name: a.acceptedRequest?.input?.name ?? '?', updateId: updateId ?? undefined, args: decode(a.acceptedRequest?.input?.args), outcome: 'accepted' as const };
        updates.set(updateId ?? `#${id}`, u);
        out.updates.push(u);
      } else if (e.workflowExecutionUpdateCompletedEventAttributes) {
        const a = e.workflowExecutionUpdateCompletedEventAttributes;
        const u = updates.get(a.meta?.updateId ?? '');
        if (u) {
          u.completedAt = iso(at);
          if (a.outcome?.failure) Object.assign(u, { outcome: 'failed', error: failureText(a.outcome.failure as FailureLike).message });
          else Object.assign(u, { outcome: 'completed', result: decode(a.outcome?.success)[0] });
        }
      } else if (e.workflowExecutionCancelRequestedEventAttributes) {
        const a = e.workflowExecutionCancelRequestedEventAttributes;
        out.cancels.push({ run, at: iso(at), identity: a.identity || undefined, cause: a.cause || undefined });
      } else if (e.workflowExecutionCompletedEventAttributes) {
        Object.assign(rec, { end: 'completed', closedAt: at, result: decode(e.workflowExecutionCompletedEventAttributes.result)[0] });
      } else if (e.workflowExecutionContinuedAsNewEventAttributes) {
        Object.assign(rec, { end: 'continued_as_new', closedAt: at });
      } else if (e.workflowExecutionFailedEventAttributes) {
        Object.assign(rec, { end: 'failed', closedAt: at, reason: failureText(e.workflowExecutionFailedEventAttributes.failure as FailureLike).message });
      } else if (e.workflowExecutionCanceledEventAttributes) {
        Object.assign(rec, { end: 'cancelled', closedAt: at, reason: 'cancelled (the workflow ended on the cancellation itself, without a result document)' });
      } else if (e.workflowExecutionTerminatedEventAttributes) {
        const a = e.workflowExecutionTerminatedEventAttributes;
        Object.assign(rec, { end: 'terminated', closedAt: at, reason: `terminated${a.reason ? `: ${a.reason}` : ''}${a.identity ? ` (by ${a.identity})` : ''}` });
      } else if (e.workflowExecutionTimedOutEventAttributes) {
        Object.assign(rec, { end: 'timed_out', closedAt: at, reason: 'the workflow execution timed out' });
      }
    }
    out.runs.push(rec);
  });
  return out;
}

// ====================================================================== the projection

export interface ProjectOptions {
  workflowId?: string;
  /** The live result document (`state` query) of a running or otherwise result-less run. */
  state?: Result;
}

const META_ROLE_BY_ACTIVITY: Record<string, 'generator' | 'implementer' | 'rectifier'> = {
  generateTemplate: 'generator',
  implementAssignment: 'implementer',
  rectify: 'rectifier',
};

function asResult(v: unknown): Result | undefined {
  const r = v as Partial<Result> | undefined;
  return r && typeof r === 'object' && typeof r.status === 'string' && Array.isArray(r.steps) ? (r as Result) : undefined;
}

function parseTemplate(v: unknown): Template | null {
  const p = TemplateSchema.safeParse(v);
  return p.success ? p.data : null;
}

function parseAssignment(v: unknown): Assignment | null {
  const p = AssignmentSchema.safeParse(v);
  return p.success ? p.data : null;
}

function metaFromModel(source: string | undefined): boolean {
  return source === 'model' || source === 'repair';
}

const agentKey = (c: Config, id: string) => stableStringify({ spec: c.template.agents.find((a) => a.id === id), backbone: c.assignment[id] });
const edgeKey = (e: { from: string; to: string }) => `${e.from} → ${e.to}`;

function versionEntry(prev: Config | null, next: Config, origin: ConfigVersion['origin'], label: string): ConfigVersion {
  const changed = prev ? next.template.agents.map((a) => a.id).filter((id) => !prev.template.agents.some((a) => a.id === id) || agentKey(prev, id) !== agentKey(next, id)) : [];
  const before = new Set(prev?.template.edges.map(edgeKey) ?? []);
  const addedEdges = prev ? next.template.edges.map(edgeKey).filter((e) => !before.has(e)) : [];
  return { version: next.version, origin, label, config: next, changed, addedEdges, diff: prev ? describeDiff(prev, next) : [] };
}

/** The fields a meta-agent decision contributes when its activity completed. */
function decidedByActivity(r: MetaResult<unknown>) {
  return {
    source: r.decision?.source ?? 'model',
    fromMetaAgent: metaFromModel(r.decision?.source),
    evidence: 'activity' as const,
    backbone: r.backbone,
    rationale: r.decision?.rationale ?? '',
    costUsd: r.decision?.costUsd ?? 0,
  };
}

function spanMs(a: { scheduledAt?: number; closedAt?: number }): number | undefined {
  return a.closedAt !== undefined && a.scheduledAt !== undefined ? a.closedAt - a.scheduledAt : undefined;
}

/**
 * Folds the histories of a continue-as-new chain (oldest run first) into the
 * audit document. Pure: no I/O, deterministic for the same events.
 */
export function projectHistory(runs: RunHistory[], opts: ProjectOptions = {}): Audit {
  const g = gather(runs);
  const notes: string[] = [];
  const first = g.runs[0];
  const last = g.runs[g.runs.length - 1];
  const rawInput = (first?.args[0] ?? {}) as Partial<TaskInput>;
  const parsedInput = TaskInputSchema.safeParse(rawInput);
  const input = (parsedInput.success ? parsedInput.data : rawInput) as TaskInput;
  const pool: Pool | undefined = input.pool;
  const options = (input.options ?? {}) as Partial<TaskInput['options']>;
  const finalResult = asResult(last?.result);
  const state = finalResult ?? opts.state;
  if (!finalResult && opts.state) notes.push('the run has no result document in its history yet; forced or ablation decisions come from the live `state` query');
  if (first?.args[1]) notes.push(`the first available run (${first.runId}) continues an earlier run whose history is not available; steps and decisions before it are missing`);
  const workflowId =
    opts.workflowId ?? state?.workflowId ?? (g.activities.map((a) => (a.input as { workflowId?: string } | undefined)?.workflowId).find(Boolean) as string | undefined) ?? '?';

  const pricing = (b: string | undefined) => pool?.backbones.find((x) => x.id === b)?.pricing;
  const metaBackboneId = (role: 'generator' | 'implementer' | 'rectifier') => (pool ? (pool.meta?.[role] ?? pool.default) : undefined);

  // Activities in the order the workflow saw them close (the order it records steps in); open ones last.
  const ordered = [...g.activities].sort((a, b) => a.run - b.run || (a.closeId ?? 1e15 + a.scheduledId) - (b.closeId ?? 1e15 + b.scheduledId));
  const activityOf = (type: string) => ordered.find((a) => a.type === type);
  const genAct = activityOf('generateTemplate');
  const implAct = activityOf('implementAssignment');
  const firstRectifyConfig = ordered
    .filter((a) => a.type === 'rectify')
    .map((a) => ConfigSchema.safeParse((a.input as RectifyInput | undefined)?.config))
    .find((p) => p.success && p.data.version === 1);
  const v1FromRectifier = firstRectifyConfig?.success ? firstRectifyConfig.data : undefined;
  const decisionOf = (role: string): MetaDecision | undefined => state?.decisions?.find((d) => d.role === role);
  const resumed = Boolean(input.resume);

  // ------------------------------------------------------------ Generator
  const generator: Audit['generator'] = { source: 'unknown', fromMetaAgent: false, evidence: 'none', rationale: '', costUsd: 0, template: null };
  if (genAct) {
    generator.attempts = genAct.attempt;
    generator.backbone = metaBackboneId('generator');
    generator.durationMs = spanMs(genAct);
  }
  if (genAct?.outcome === 'completed') {
    const r = genAct.result as MetaResult<Template>;
    Object.assign(generator, decidedByActivity(r), { template: parseTemplate(r.value) });
  } else if (genAct && !genAct.outcome) {
    generator.source = 'pending';
  } else {
    if (genAct) generator.error = genAct.failure?.message ?? `activity ${genAct.outcome ?? 'did not finish'}`;
    const d = decisionOf('generator');
    const implTemplate = parseTemplate((implAct?.input as { template?: unknown } | undefined)?.template);
    const fromState = d ? parseTemplate(d.output) : null;
    if (fromState) Object.assign(generator, { source: d!.source, evidence: 'result', rationale: d!.rationale, template: fromState });
    else if (implTemplate) Object.assign(generator, { source: genAct ? 'fallback' : options.template ? 'forced' : 'ablation', evidence: 'implementer-input', template: implTemplate });
    else if (v1FromRectifier) Object.assign(generator, { source: genAct ? 'fallback' : options.template ? 'forced' : 'ablation', evidence: 'rectifier-input', template: v1FromRectifier.template });
    else if (options.template) Object.assign(generator, { source: 'forced', evidence: 'task-input', rationale: 'template given by the caller', template: parseTemplate(options.template) });
    else if (options.generator === false) Object.assign(generator, { source: 'ablation', evidence: 'built-in', rationale: '--no-generator: fixed default template', template: DEFAULT_TEMPLATE });
    else if (genAct && input.task) Object.assign(generator, { source: 'fallback', evidence: 'built-in', rationale: `Generator failed (${generator.error}); built-in template`, template: TEMPLATES_BY_KIND[classifyTask(input.task)] });
    if (!generator.rationale && generator.source === 'forced') generator.rationale = 'template given by the caller';
    if (!generator.rationale && generator.source === 'ablation') generator.rationale = '--no-generator: fixed default template';
    if (!generator.rationale && generator.source === 'fallback') generator.rationale = `Generator failed (${generator.error ?? 'unknown error'}); built-in template`;
  }

  // ------------------------------------------------------------ Implementer
  const implementer: Audit['implementer'] = { source: 'unknown', fromMetaAgent: false, evidence: 'none', rationale: '', costUsd: 0, assignment: null, rows: [] };
  let reasons: Record<string, string> = {};
  if (implAct) {
    implementer.attempts = implAct.attempt;
    implementer.backbone = metaBackboneId('implementer');
    implementer.durationMs = spanMs(implAct);
  }
  const allDefault = (t: Template | null): Assignment => Object.fromEntries((t?.agents ?? []).map((a) => [a.id, pool?.default ?? '?']));
  if (implAct?.outcome === 'completed') {
    const r = implAct.result as MetaResult<{ assignment: Assignment; output: { assignment: { agent: string; reason?: string }[] } | null }>;
    reasons = Object.fromEntries((r.value?.output?.assignment ?? []).filter((x) => x.reason).map((x) => [x.agent, x.reason!]));
    Object.assign(implementer, decidedByActivity(r), { assignment: parseAssignment(r.value?.assignment) });
  } else if (implAct && !implAct.outcome) {
    implementer.source = 'pending';
  } else if (generator.template) {
    if (implAct) implementer.error = implAct.failure?.message ?? `activity ${implAct.outcome ?? 'did not finish'}`;
    const d = decisionOf('implementer');
    const fromState = d ? parseAssignment(d.output) : null;
    if (fromState) Object.assign(implementer, { source: d!.source, evidence: 'result', rationale: d!.rationale, assignment: fromState });
    else if (v1FromRectifier) Object.assign(implementer, { source: implAct ? 'fallback' : options.assignment ? 'forced' : 'ablation', evidence: 'rectifier-input', assignment: v1FromRectifier.assignment });
    else if (options.assignment) Object.assign(implementer, { source: 'forced', evidence: 'task-input', assignment: { ...allDefault(generator.template), ...options.assignment } });
    else if (options.implementer === false || implAct) Object.assign(implementer, { source: implAct ? 'fallback' : 'ablation', evidence: 'built-in', assignment: allDefault(generator.template) });
    if (!implementer.rationale && implementer.source === 'forced') implementer.rationale = 'assignment given by the caller';
    if (!implementer.rationale && implementer.source === 'ablation') implementer.rationale = `--no-implementer: every agent on ${pool?.default ?? 'the default backbone'}`;
    if (!implementer.rationale && implementer.source === 'fallback') implementer.rationale = `Implementer failed (${implementer.error ?? 'unknown error'}); default backbone`;
  }
  if (implementer.assignment) {
    const t = generator.template;
    const ids = t ? t.agents.map((a) => a.id) : Object.keys(implementer.assignment);
    implementer.rows = ids.map((agent) => {
      const backbone = implementer.assignment![agent] ?? '?';
      const p = pricing(backbone);
      return { agent, role: t?.agents.find((a) => a.id === agent)?.role, backbone, inputPerM: p?.inputPerM ?? null, outputPerM: p?.outputPerM ?? null, reason: reasons[agent] };
    });
  }

  // ------------------------------------------------------------ versions, rectifications, steps (in history order)
  const versions: ConfigVersion[] = [];
  const rectifications: RectificationAudit[] = [];
  const steps: AuditStep[] = [];
  let current: Config | null = null;

  const adopt = (c: Config, origin: ConfigVersion['origin'], label: string) => {
    versions.push(versionEntry(versions.length ? versions[versions.length - 1].config : null, c, origin, label));
    current = c;
  };
  const ensureV1 = () => {
    if (current) return;
    if (generator.template && implementer.assignment) {
      const label = `v1 · ${generator.fromMetaAgent ? 'Generator' : `template: ${generator.source}`} + ${implementer.fromMetaAgent ? 'Implementer' : `assignment: ${implementer.source}`}`;
      adopt({ template: generator.template, assignment: implementer.assignment, version: 1 }, 'design', label);
    } else if (v1FromRectifier) {
      adopt(v1FromRectifier, 'design', 'v1 · (from the Rectifier input)');
    }
  };

  const resultRect = (fromVersion: number, toVersion: number | null, kind: string): Rectification | undefined =>
    state?.rectifications?.find((r) => r.fromVersion === fromVersion && r.trigger.kind === kind && (toVersion === null || r.version === toVersion));

  const commit = (rec: RectificationAudit, configBefore: Config | null) => {
    if (!rec.patch || !configBefore) return;
    if (!pool) {
      rec.status = 'not_applied';
      rec.applyError = 'the pool is not in the history, so the patch cannot be replayed';
      return;
    }
    try {
      const next = applyPatch(configBefore, rec.patch, pool);
      rec.diff = describeDiff(configBefore, next);
      rec.toVersion = next.version;
      rec.status = 'applied';
      const fromResult = resultRect(configBefore.version, next.version, rec.trigger.kind);
      if (fromResult) Object.assign(rec, { rerun: fromResult.rerun, kept: fromResult.kept });
      if (versions.length === 0 || versions[versions.length - 1].version !== configBefore.version) {
        // The chain starts mid-run (or a branch): M_t itself is the first version we know.
        adopt(configBefore, 'design', `v${configBefore.version} · as the Rectifier saw it`);
      }
      adopt(next, rec.index, `v${next.version} · after ${rec.trigger.kind} trigger (rectification ${rec.index})`);
    } catch (e) {
      rec.status = 'not_applied';
      rec.applyError = (e as Error).message;
    }
  };

  // A branch (CTO, what-if) starts from a saved s_t and applies a given patch first: not a meta-agent decision in this run.
  if (resumed && input.resume) {
    const saved = input.resume.state as { config?: unknown } | undefined;
    const parsed = ConfigSchema.safeParse(saved?.config);
    if (parsed.success) adopt(parsed.data, 'design', `v${parsed.data.version} · inherited from ${input.parentWorkflowId ?? 'the parent run'}`);
    const patch = PatchSchema.safeParse(input.resume.patch);
    const trigger = TriggerSchema.safeParse(input.resume.trigger);
    const rec: RectificationAudit = {
      index: 1,
      run: 0,
      at: iso(first?.startedAt),
      status: 'no_patch',
      trigger: trigger.success ? trigger.data : { kind: 'external', detail: 'branch' },
      state: null,
      config: parsed.success ? parsed.data : null,
      fromVersion: parsed.success ? parsed.data.version : 0,
      toVersion: null,
      patch: patch.success ? patch.data : null,
      source: 'forced',
      fromMetaAgent: false,
      evidence: 'task-input',
      rationale: input.resume.rationale || (patch.success ? patch.data.rationale : ''),
      reason: 'branch start: the patch was given with the task (a Rectifier sample of the parent run), not decided in this run',
      diff: [],
      costUsd: 0,
    };
    rectifications.push(rec);
    commit(rec, rec.config);
    notes.push(`this run is a branch of ${input.parentWorkflowId ?? 'another run'}: its decisions before the branch point are in that run's audit`);
  }

  let runSeen = -1;
  const onRunStart = (run: number) => {
    for (let r = runSeen + 1; r <= run; r++) {
      const carried = g.runs[r].args[1] as { config?: unknown; steps?: unknown[] } | undefined;
      if (!carried) continue;
      const parsed = ConfigSchema.safeParse(carried.config);
      if (!current && parsed.success) adopt(parsed.data, 'design', `v${parsed.data.version} · carried into run ${r + 1}`);
    }
    runSeen = run;
  };

  for (const a of ordered) {
    onRunStart(a.run);
    const role = META_ROLE_BY_ACTIVITY[a.type];
    const base = {
      index: steps.length,
      run: a.run,
      activity: a.type,
      status: (a.outcome ?? (a.cancelRequested || g.runs[a.run].end !== 'running' ? 'cancelled' : 'running')) as AuditStep['status'],
      attempts: a.attempt ?? (a.outcome ? 1 : 0),
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      durationMs: a.closedAt !== undefined && a.scheduledAt !== undefined ? a.closedAt - a.scheduledAt : null,
      scheduledAt: iso(a.scheduledAt),
      startedAt: a.startedAt !== undefined ? iso(a.startedAt) : undefined,
      closedAt: a.closedAt !== undefined ? iso(a.closedAt) : undefined,
      error: a.failure?.message,
      errorType: a.failure?.type,
      retryState: a.failure?.retryState,
    };
    if (role) {
      const r = a.outcome === 'completed' ? (a.result as MetaResult<unknown>) : undefined;
      const inp = a.input as { callKey?: string } | undefined;
      if (role === 'rectifier') ensureV1();
      steps.push({
        ...base,
        agent: role,
        kind: 'meta',
        name: role,
        backbone: r?.backbone ?? metaBackboneId(role),
        callKey: inp?.callKey,
        inputTokens: r?.usage?.inputTokens ?? 0,
        outputTokens: r?.usage?.outputTokens ?? 0,
        costUsd: r?.decision?.costUsd ?? 0,
        reportedMs: r?.durationMs,
        configVersion: (current as Config | null)?.version ?? 0,
      });
      if (role === 'implementer' && a.outcome) ensureV1();
      if (role === 'rectifier') {
        const inp = a.input as RectifyInput;
        const parsedConfig = ConfigSchema.safeParse(inp?.config);
        const mt = parsedConfig.success ? parsedConfig.data : current;
        const parsedState = StateSummarySchema.safeParse(inp?.state);
        const trigger = TriggerSchema.safeParse(inp?.trigger);
        const rec: RectificationAudit = {
          index: rectifications.length + 1,
          run: a.run,
          at: iso(a.closedAt ?? a.scheduledAt),
          status: 'pending',
          trigger: trigger.success ? trigger.data : { kind: 'external', detail: '(trigger not readable)' },
          state: parsedState.success ? parsedState.data : null,
          config: mt,
          fromVersion: mt?.version ?? 0,
          toVersion: null,
          patch: null,
          source: null,
          fromMetaAgent: false,
          evidence: 'activity',
          rationale: '',
          diff: [],
          backbone: r?.backbone ?? metaBackboneId('rectifier'),
          costUsd: r?.decision?.costUsd ?? 0,
          attempts: a.attempt,
          durationMs: base.durationMs ?? undefined,
        };
        rectifications.push(rec);
        if (a.outcome === 'completed') {
          const v = (r as MetaResult<RectifyValue>).value ?? { patch: null, source: 'fallback' };
          const patch = v.patch ? PatchSchema.safeParse(v.patch) : null;
          rec.patch = patch?.success ? patch.data : null;
          rec.source = v.source ?? null;
          rec.fromMetaAgent = metaFromModel(r?.decision?.source);
          rec.rationale = r?.decision?.rationale || rec.patch?.rationale || '';
          rec.reason = v.reason;
          if (!rec.patch) rec.status = 'no_patch';
        } else if (a.outcome) {
          rec.status = 'failed';
          rec.error = a.failure?.message ?? `the Rectifier activity ${a.outcome}`;
          rec.source = 'fallback';
          // The workflow then runs the rule-based fallback inline: take it from the result document, else replay the rule.
          const fromResult = mt ? resultRect(mt.version, null, rec.trigger.kind) : undefined;
          if (fromResult && fromResult.source === 'fallback') {
            rec.patch = { scope: fromResult.scope, ops: fromResult.patch, rationale: fromResult.rationale };
            rec.evidence = 'result';
          } else if (mt && pool) {
            rec.patch = fallbackPatch(mt, pool, rec.trigger, new Set(inp?.finished ?? []), (inp?.previousPatches ?? []) as PatchOp[][]);
            rec.evidence = 'replayed-rule';
          }
          rec.rationale = `Rectifier failed (${rec.error}); rule-based fallback${rec.patch?.rationale ? `: ${rec.patch.rationale}` : ''}`;
          if (!rec.patch) rec.reason = 'the Rectifier failed and no rule-based fallback applies';
        }
        if (rec.patch) commit(rec, mt);
      }
      continue;
    }
    ensureV1();
    const cfg = current as Config | null;
    if (a.type === 'callModel') {
      const inp = a.input as CallModelInput;
      const out = a.outcome === 'completed' ? (a.result as CallModelOutput) : undefined;
      steps.push({
        ...base,
        agent: inp?.agent?.id ?? '?',
        kind: 'llm',
        // Histories recorded before the call carried the whole backbone have only its id.
        backbone: inp?.backbone?.id ?? (inp as { backboneId?: string } | undefined)?.backboneId,
        callKey: inp?.callKey,
        inputTokens: out?.usage?.inputTokens ?? 0,
        outputTokens: out?.usage?.outputTokens ?? 0,
        costUsd: out?.costUsd ?? 0,
        reportedMs: out?.durationMs,
        configVersion: cfg?.version ?? 0,
      });
    } else if (a.type === 'runTool') {
      const inp = a.input as RunToolInput;
      const out = a.outcome === 'completed' ? (a.result as RunToolOutput) : undefined;
      steps.push({
        ...base,
        agent: inp?.agent ?? '?',
        kind: 'tool',
        name: inp?.call?.name,
        backbone: cfg?.assignment[inp?.agent ?? ''],
        callKey: inp?.callKey,
        reportedMs: out?.durationMs,
        configVersion: cfg?.version ?? 0,
        error: base.error ?? (out && !out.ok ? out.preview : undefined),
      });
    } else {
      steps.push({ ...base, agent: '?', kind: 'llm', callKey: (a.input as { callKey?: string } | undefined)?.callKey, configVersion: cfg?.version ?? 0 });
      notes.push(`activity type "${a.type}" is not part of the mas2 contract; shown as a step`);
    }
  }
  onRunStart(g.runs.length - 1);
  // Design done without any activity after it (e.g. forced design, then cancelled right away).
  const designDone =
    (implAct?.outcome !== undefined || (!implAct && (options.assignment || options.implementer === false))) &&
    (genAct?.outcome !== undefined || (!genAct && (options.template || options.generator === false)));
  if (!current && (designDone || state?.config)) ensureV1();
  if (!current && state?.config) adopt(state.config, 'design', `v${state.config.version} · from the result document`);
  if (state?.config && current && (current as Config).version !== state.config.version) {
    notes.push(`the projection ends at config v${(current as Config).version} but the result document is at v${state.config.version}`);
  }
  if (!generator.fromMetaAgent && generator.template) notes.push(`the template is not from a meta-agent (${generator.source}; from ${generator.evidence})`);
  if (!implementer.fromMetaAgent && implementer.assignment) notes.push(`the assignment is not from a meta-agent (${implementer.source}; from ${implementer.evidence})`);
  const rectFailed = rectifications.filter((r) => r.error !== undefined).length;
  if (rectFailed) notes.push(`${rectFailed} Rectifier activit${rectFailed === 1 ? 'y' : 'ies'} failed; the workflow fell back to its rules and records no step for that call, so the audit has ${rectFailed} step(s) more than the result document`);

  // ------------------------------------------------------------ totals, status
  const totals: Audit['totals'] = {
    costUsd: 0,
    inputTokens: 0,
    outputTokens: 0,
    perBackbone: {},
    metaUsd: 0,
    agentsUsd: 0,
    perMetaRole: {},
    steps: steps.length,
    llmCalls: steps.filter((s) => s.kind === 'llm').length,
    toolCalls: steps.filter((s) => s.kind === 'tool').length,
    metaCalls: steps.filter((s) => s.kind === 'meta').length,
    failures: steps.filter((s) => s.status === 'failed' || s.status === 'timed_out').length,
    retries: steps.reduce((n, s) => n + Math.max(0, s.attempts - 1), 0),
    rectifications: rectifications.filter((r) => r.status === 'applied').length,
    signals: g.signals.length,
    rejectedSignals: g.signals.filter((x) => x.rejected).length,
    wallMs: first?.startedAt !== undefined ? (last?.closedAt ?? Math.max(...g.activities.map((a) => a.closedAt ?? a.scheduledAt ?? 0), first.startedAt)) - first.startedAt : null,
  };
  for (const s of steps) {
    totals.costUsd += s.costUsd;
    totals.inputTokens += s.inputTokens;
    totals.outputTokens += s.outputTokens;
    if (s.kind === 'meta') {
      totals.metaUsd += s.costUsd;
      const role = s.agent as 'generator' | 'implementer' | 'rectifier';
      totals.perMetaRole[role] = (totals.perMetaRole[role] ?? 0) + s.costUsd;
    } else totals.agentsUsd += s.costUsd;
    if (s.kind !== 'tool' && s.status === 'completed' && s.backbone) {
      const b = (totals.perBackbone[s.backbone] ??= { usd: 0, inputTokens: 0, outputTokens: 0, calls: 0 });
      b.usd += s.costUsd;
      b.inputTokens += s.inputTokens;
      b.outputTokens += s.outputTokens;
      b.calls += 1;
    }
  }
  if (state) totals.resultCostUsd = state.cost?.usd;

  let status: Audit['status'];
  let reason: string | undefined;
  switch (last?.end) {
    case 'completed':
      status = (finalResult?.status as Audit['status']) ?? 'completed';
      reason = finalResult?.reason;
      break;
    case 'continued_as_new':
    case 'running':
    case undefined:
      status = 'running';
      reason = last?.end === 'continued_as_new' ? 'continued as new; the next run is not in the history read' : undefined;
      break;
    default:
      status = last.end;
      reason = last.reason;
  }

  let budget = input.budgetUsd ?? 0;
  for (const u of g.updates) {
    const r = u.result as { budgetUsd?: number } | undefined;
    if (u.name === 'raiseBudget' && u.outcome === 'completed' && typeof r?.budgetUsd === 'number') budget = r.budgetUsd;
  }

  const shownOptions: Record<string, unknown> = { ...(options as Record<string, unknown>) };
  if (shownOptions.template) shownOptions.template = `(${(options.template as Template).agents.length} agents, given by the caller)`;

  return {
    workflowId,
    status,
    reason,
    task: input.task ?? '',
    budgetUsd: input.budgetUsd ?? 0,
    finalBudgetUsd: budget,
    options: shownOptions,
    faults: (input.faults ?? []) as Audit['faults'],
    simulated: (pool?.backbones ?? []).some((b) => b.provider === 'sim'),
    parentWorkflowId: input.parentWorkflowId,
    pool: (pool?.backbones ?? []).map((b) => ({ id: b.id, provider: b.provider, model: b.model, inputPerM: b.pricing.inputPerM, outputPerM: b.pricing.outputPerM })),
    runs: g.runs.map((r) => ({
      runId: r.runId,
      startedAt: r.startedAt !== undefined ? iso(r.startedAt) : undefined,
      closedAt: r.closedAt !== undefined ? iso(r.closedAt) : undefined,
      end: r.end,
      reason: r.reason,
      events: r.events,
      carriedSteps: Array.isArray((r.args[1] as { steps?: unknown[] } | undefined)?.steps) ? (r.args[1] as { steps: unknown[] }).steps.length : undefined,
    })),
    generator,
    implementer,
    rectifications,
    versions,
    steps,
    signals: g.signals,
    updates: g.updates,
    cancelRequests: g.cancels,
    totals,
    result: state
      ? { status: state.status, answer: state.answer ?? null, answerRef: state.answerRef, reason: state.reason, costUsd: state.cost?.usd ?? 0, steps: state.steps?.length ?? 0, live: !finalResult }
      : null,
    notes,
  };
}

// ====================================================================== fetching

/** The runs of a workflow id's latest continue-as-new chain, oldest first, with their histories. */
export async function fetchRunHistories(client: Client, workflowId: string): Promise<RunHistory[]> {
  const listed: { runId: string; start: number }[] = [];
  try {
    for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId.replace(/'/g, "\\'")}'` })) {
      listed.push({ runId: w.runId, start: w.startTime.getTime() });
    }
  } catch {
    /* visibility may be unavailable or restricted; describe() and the run chain below still work */
  }
  listed.sort((a, b) => a.start - b.start);
  // Visibility can lag a just-started run: describe() names the latest run in any case.
  let latest = listed[listed.length - 1]?.runId;
  try {
    latest = (await client.workflow.getHandle(workflowId).describe()).runId;
  } catch (e) {
    if ((e as Error).name === 'WorkflowNotFoundError' && !latest) throw new UserError(`no run with id "${workflowId}"; see \`mas2 list\``);
    if (!latest) throw e;
  }
  const fetchRun = async (runId: string): Promise<RunHistory> => {
    const h = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    return { runId, events: h.events ?? [] };
  };
  // Walk back from the latest run along continuedExecutionRunId: only its chain, not older runs that reused the id.
  const chain: RunHistory[] = [];
  const seen = new Set<string>();
  let runId: string | undefined = latest;
  while (runId && !seen.has(runId) && chain.length < 10_000) {
    seen.add(runId);
    let h: RunHistory;
    try {
      h = await fetchRun(runId);
    } catch (e) {
      if (chain.length === 0) throw e;
      break; // an earlier run is gone (retention): projectHistory notes the gap
    }
    chain.unshift(h);
    const started = h.events.find((e) => e.workflowExecutionStartedEventAttributes)?.workflowExecutionStartedEventAttributes;
    runId = started?.continuedExecutionRunId || undefined;
  }
  return chain;
}

/** The audit of a workflow id: its history projected, plus the live state when the run has no result yet. */
export async function fetchAudit(client: Client, workflowId: string, opts: { queryTimeoutMs?: number; blobs?: BlobStore } = {}): Promise<Audit> {
  const runs = await fetchRunHistories(client, workflowId);
  const last = runs[runs.length - 1];
  const completed = last?.events.some((e) => e.workflowExecutionCompletedEventAttributes);
  let state: Result | undefined;
  if (!completed) {
    // Only for decisions that have no activity (forced, ablation); needs a worker, so it is best effort.
    const timeout = opts.queryTimeoutMs ?? 3000;
    let timer: NodeJS.Timeout | undefined;
    state = await Promise.race([
      client.workflow
        .getHandle(workflowId, last?.runId)
        .query<Result>('state')
        .catch(() => undefined),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeout);
      }),
    ]);
    if (timer) clearTimeout(timer);
  }
  const audit = projectHistory(runs, { workflowId, state });
  if (audit.result?.answerRef) {
    // The run keeps its answer by reference (mas/content.ts): the audit shows the full text when this machine has it.
    const text = await (opts.blobs ?? localBlobs()).get(audit.result.answerRef).catch(() => null);
    if (text !== null) audit.result.answer = text;
    else audit.notes.push(`the answer is shown by its first 240 characters: blob ${audit.result.answerRef} is not in this machine's blob store`);
  }
  if (!completed && !state && (!audit.generator.fromMetaAgent || !audit.implementer.fromMetaAgent)) {
    audit.notes.push('no worker answered the `state` query, so decisions made without a meta-agent activity are reconstructed from the history and the built-in rules');
  }
  return audit;
}

// ====================================================================== rendering

export function renderAudit(a: Audit, format: AuditFormat): string {
  if (format === 'json') return JSON.stringify(a, null, 2) + '\n';
  if (format === 'mermaid') return renderMermaid(a);
  return renderMarkdown(a);
}

const cell = (v: unknown): string =>
  String(v ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
const price = (n: number | null) => (n === null ? '?' : `$${n}`);
const dur = (ms: number | null | undefined) => (ms === null || ms === undefined ? '–' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

export function describeOp(op: PatchOp): string {
  switch (op.op) {
    case 'set_backbone':
      return `set_backbone(${op.agent} → ${op.backbone})`;
    case 'set_instructions':
      return `set_instructions(${op.agent}: "${clip(op.instructions, 80)}")`;
    case 'set_tools':
      return `set_tools(${op.agent}: [${op.tools.join(', ')}])`;
    case 'add_agent':
      return `add_agent(${op.agent.id} (${op.agent.role}) on ${op.backbone})`;
    case 'remove_agent':
      return `remove_agent(${op.agent})`;
    case 'add_edge':
      return `add_edge(${op.from} → ${op.to})`;
    case 'remove_edge':
      return `remove_edge(${op.from} → ${op.to})`;
    case 'set_final':
      return `set_final(${op.agent})`;
    case 'replace_topology':
      return `replace_topology(${op.template.agents.map((x) => x.id).join(', ')}; final ${op.template.finalAgent})`;
  }
}

function metaLine(m: Audit['generator'] | Audit['implementer'], who: string): string {
  if (m.source === 'pending') return `_${who} is still running._`;
  const by = m.fromMetaAgent ? `by the ${who} meta-agent` : `**not from a meta-agent** (${m.source})`;
  const parts = [`Decided ${by}`, `source: ${m.source}`, `evidence: ${m.evidence}`];
  if (m.backbone && m.fromMetaAgent) parts.push(`backbone ${m.backbone}`);
  if (m.costUsd) parts.push(formatUsd(m.costUsd));
  if (m.attempts && m.attempts > 1) parts.push(`${m.attempts} attempts`);
  if (m.durationMs !== undefined) parts.push(dur(m.durationMs));
  return parts.join(' · ') + '.';
}

export function renderMarkdown(a: Audit): string {
  const L: string[] = [];
  L.push(`# Audit of ${a.workflowId}`, '');
  L.push('## Task', '');
  L.push(`> ${a.task.split('\n').join('\n> ')}`, '');
  L.push(`- **Status:** ${a.status}${a.reason ? ` — ${a.reason}` : ''}`);
  L.push(`- **Budget:** ${formatUsd(a.budgetUsd)}${a.finalBudgetUsd !== a.budgetUsd ? ` (raised to ${formatUsd(a.finalBudgetUsd)})` : ''}`);
  L.push(`- **Pool:** ${a.pool.map((b) => `${b.id} (${b.model}, $${b.inputPerM}/$${b.outputPerM} per M in/out)`).join(', ')}${a.simulated ? ' — simulated backbones, not real models' : ''}`);
  const opt = a.options as Record<string, unknown>;
  const ablations = ['generator', 'implementer', 'rectifier'].filter((k) => opt[k] === false).map((k) => `--no-${k}`);
  if (ablations.length) L.push(`- **Ablations:** ${ablations.join(', ')}`);
  if (a.faults.length) L.push(`- **Injected faults:** ${a.faults.map((f) => JSON.stringify(f)).join(', ')}`);
  if (a.parentWorkflowId) L.push(`- **Branch of:** ${a.parentWorkflowId}`);
  L.push(
    `- **Runs:** ${a.runs.length}${a.runs.length > 1 ? ' (continue-as-new chain)' : ''}: ${a.runs.map((r, i) => `#${i + 1} \`${r.runId}\` ${r.end}${r.reason && r.end !== 'completed' ? ` (${clip(r.reason, 120)})` : ''}`).join('; ')}`,
  );
  if (a.result?.live) L.push(`- **Live state:** ${a.result.status}, ${a.result.steps} steps so far`);
  L.push('');

  L.push('## Generator', '');
  L.push(metaLine(a.generator, 'Generator'));
  if (a.generator.error) L.push('', `The Generator activity failed: ${a.generator.error}`);
  if (a.generator.rationale) L.push('', `Rationale: ${a.generator.rationale}`);
  const t = a.generator.template;
  if (t) {
    L.push('', `Template **${t.name}** — final agent \`${t.finalAgent}\``, '');
    L.push('| agent | role | tools | instructions |', '|---|---|---|---|');
    for (const ag of t.agents) L.push(`| ${cell(ag.id)}${ag.verifier ? ' (verifier)' : ''} | ${cell(ag.role)} | ${cell(ag.tools.join(', ') || '–')} | ${cell(clip(ag.instructions, 120))} |`);
    L.push('', `Edges: ${t.edges.map((e) => `${e.from} → ${e.to}`).join(', ') || 'none'}${t.loops.length ? `; loops: ${t.loops.map((l) => `${l.from} ⟲ ${l.to} (≤${l.maxRounds})`).join(', ')}` : ''}`);
  } else if (a.generator.source !== 'pending') L.push('', '_No template in the history yet._');
  L.push('');

  L.push('## Implementer', '');
  L.push(metaLine(a.implementer, 'Implementer'));
  if (a.implementer.error) L.push('', `The Implementer activity failed: ${a.implementer.error}`);
  if (a.implementer.rationale) L.push('', `Rationale: ${a.implementer.rationale}`);
  if (a.implementer.rows.length) {
    const why = a.implementer.rows.some((r) => r.reason);
    L.push('', `| agent | backbone | $/M in | $/M out |${why ? ' why |' : ''}`, `|---|---|---|---|${why ? '---|' : ''}`);
    for (const r of a.implementer.rows) L.push(`| ${cell(r.agent)} | ${cell(r.backbone)} | ${price(r.inputPerM)} | ${price(r.outputPerM)} |${why ? ` ${cell(r.reason ?? '')} |` : ''}`);
  } else if (a.implementer.source !== 'pending') L.push('', '_No assignment in the history yet._');
  L.push('');

  L.push('## Rectifications', '');
  if (!a.rectifications.length) L.push('_None: no trigger called the Rectifier._', '');
  for (const r of a.rectifications) {
    const title = r.toVersion !== null ? `v${r.fromVersion} → v${r.toVersion}` : `v${r.fromVersion} (no new version)`;
    L.push(`### ${r.index}. ${title} — ${r.trigger.kind} trigger`, '');
    const where = [r.trigger.agent && `agent ${r.trigger.agent}`, r.trigger.tool && `tool ${r.trigger.tool}`, r.trigger.backbone && `backbone ${r.trigger.backbone}`, r.trigger.step !== undefined && `step ${r.trigger.step}`].filter(Boolean);
    L.push(`- **Trigger:** ${r.trigger.kind} — ${clip(r.trigger.detail.split('\n')[0], 300)}${where.length ? ` (${where.join(', ')})` : ''}`);
    L.push(`- **When:** ${r.at} (run #${r.run + 1})`);
    if (r.state) {
      const s = r.state;
      L.push(
        `- **s_t:** spent ${formatUsd(s.costUsd)} of ${formatUsd(s.budgetUsd)}; finished: ${s.finished.map((f) => f.agent).join(', ') || 'none'}; failed steps: ${
          s.failedSteps.map((f) => `${f.agent} ${f.kind} (${clip(f.error.split('\n')[0], 80)})`).join('; ') || 'none'
        }; earlier patches: ${s.previousPatches.length}`,
      );
    } else L.push('- **s_t:** not in the history');
    if (r.config) L.push(`- **M_t:** v${r.config.version}: ${r.config.template.agents.map((x) => `${x.id}@${r.config!.assignment[x.id]}`).join(', ')}`);
    const by = r.fromMetaAgent ? `Rectifier meta-agent on ${r.backbone}` : r.source === 'forced' ? 'given with the task (not from a meta-agent)' : 'rules (not from a meta-agent)';
    L.push(`- **Source:** ${r.source ?? '–'} — ${by}${r.costUsd ? ` · ${formatUsd(r.costUsd)}` : ''}${r.evidence !== 'activity' ? ` · evidence: ${r.evidence}` : ''}`);
    if (r.error) L.push(`- **Rectifier failure:** ${r.error}`);
    if (r.patch) {
      L.push(`- **Patch** (${r.patch.scope}):`);
      for (const op of r.patch.ops) {
        L.push(`  - \`${describeOp(op)}\``);
        if (op.op === 'set_instructions') L.push(`    > ${clip(op.instructions.replace(/\s*\n\s*/g, ' '), 600)}`);
      }
    } else L.push(`- **Patch:** none${r.status === 'pending' ? ' yet (the Rectifier is running)' : ''}`);
    if (r.reason) L.push(`- **Note:** ${r.reason}`);
    if (r.applyError) L.push(`- **Not applied:** applying the patch throws: ${r.applyError}`);
    if (r.diff.length) {
      L.push(`- **Diff M_${r.fromVersion} → M_${r.toVersion}:**`, '', '  ```diff');
      for (const d of r.diff) L.push(`  ${d}`);
      L.push('  ```', '');
    }
    if (r.rerun || r.kept) L.push(`- **Resumed from s_t:** re-run ${r.rerun?.join(', ') || 'nothing'}; kept ${r.kept?.join(', ') || 'nothing'}`);
    L.push(`- **Rationale:** ${r.rationale ? clip(r.rationale.replace(/\s*\n\s*/g, ' '), 600) : '–'}`, '');
  }

  if (a.signals.length || a.updates.length || a.cancelRequests.length) {
    L.push('## External signals and updates', '');
    for (const s of a.signals) L.push(`- ${s.at} signal **${s.name}**${s.reason ? `: "${s.reason}"` : s.args.length ? `: ${clip(JSON.stringify(s.args), 200)}` : ''}${s.identity ? ` (from ${s.identity})` : ''}${s.rejected ? ` — **rejected**: ${s.rejected}` : ''}`);
    for (const u of a.updates)
      L.push(`- ${u.at} update **${u.name}**(${clip(JSON.stringify(u.args), 200)}) → ${u.outcome}${u.result !== undefined ? ` ${JSON.stringify(u.result)}` : ''}${u.error ? `: ${u.error}` : ''}`);
    for (const c of a.cancelRequests) L.push(`- ${c.at} **cancel requested**${c.identity ? ` by ${c.identity}` : ''}${c.cause ? ` (${c.cause})` : ''}`);
    L.push('');
  }

  L.push('## Steps', '');
  if (!a.steps.length) L.push('_No steps yet._');
  else {
    L.push('| # | run | v | agent | kind | backbone | status | attempts | tokens in/out | cost | duration | error |', '|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const s of a.steps) {
      L.push(
        `| ${s.index} | ${s.run + 1} | ${s.configVersion} | ${cell(s.agent)} | ${s.kind}${s.name && s.kind === 'tool' ? ` ${cell(s.name)}` : ''} | ${cell(s.backbone ?? '–')} | ${s.status} | ${s.status === 'running' && !s.attempts ? '–' : s.attempts} | ${s.inputTokens}/${s.outputTokens} | ${formatUsd(s.costUsd)} | ${dur(s.durationMs)} | ${cell(clip((s.error ?? '').split('\n')[0], 100))}${s.errorType ? ` (${s.errorType})` : ''} |`,
      );
    }
  }
  L.push('');

  const T = a.totals;
  L.push('## Totals', '');
  L.push(`- **Cost:** ${formatUsd(T.costUsd)} (meta-agents ${formatUsd(T.metaUsd)}, agents ${formatUsd(T.agentsUsd)})${T.resultCostUsd !== undefined ? ` — the result document says ${formatUsd(T.resultCostUsd)}` : ''}`);
  const roles = Object.entries(T.perMetaRole).map(([k, v]) => `${k} ${formatUsd(v ?? 0)}`);
  if (roles.length) L.push(`- **Per meta-agent:** ${roles.join(', ')}`);
  L.push(`- **Tokens:** ${T.inputTokens} in / ${T.outputTokens} out`);
  if (Object.keys(T.perBackbone).length) {
    L.push('', '| backbone | calls | tokens in | tokens out | cost |', '|---|---|---|---|---|');
    for (const [id, b] of Object.entries(T.perBackbone)) L.push(`| ${cell(id)} | ${b.calls} | ${b.inputTokens} | ${b.outputTokens} | ${formatUsd(b.usd)} |`);
    L.push('');
  }
  L.push(`- **Steps:** ${T.steps} (${T.llmCalls} model, ${T.toolCalls} tool, ${T.metaCalls} meta); failures ${T.failures}; retries ${T.retries}`);
  L.push(`- **Rectifications applied:** ${T.rectifications} of ${a.rectifications.length}; config versions: ${a.versions.map((v) => `v${v.version}`).join(', ') || 'none'}`);
  if (T.signals) L.push(`- **Signals:** ${T.signals}${T.rejectedSignals ? ` (${T.rejectedSignals} rejected and ignored)` : ''}`);
  if (T.wallMs !== null) L.push(`- **Wall time:** ${dur(T.wallMs)}`);
  if (a.result?.answer) L.push('', '### Answer', '', a.result.answer.trim());
  if (a.notes.length) {
    L.push('', '## Notes', '');
    for (const n of a.notes) L.push(`- ${n}`);
  }
  return L.join('\n') + '\n';
}

/** Mermaid label text inside "…": quotes and angle brackets as entities, so only our <br/> is markup. */
const mm = (s: string) => s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;').replace(/\s*\n\s*/g, ' ');

export function renderMermaid(a: Audit): string {
  const L: string[] = ['flowchart TD'];
  if (!a.versions.length) {
    L.push(`  empty["${mm(`${a.workflowId}: no configuration yet (${a.status})`)}"]`);
    return L.join('\n') + '\n';
  }
  const ids = new Map<string, string>();
  const nodeId = (v: number, agent: string) => {
    const key = `${v}\u0000${agent}`;
    let id = ids.get(key);
    if (!id) {
      const base = `v${v}_${agent.replace(/[^A-Za-z0-9_]/g, '_')}`;
      id = [...ids.values()].includes(base) ? `${base}_${ids.size}` : base;
      ids.set(key, id);
    }
    return id;
  };
  let link = 0;
  const highlightLinks: number[] = [];
  const changedNodes: string[] = [];
  for (const ver of a.versions) {
    const c = ver.config;
    const sub = `v${ver.version}`;
    L.push(`  subgraph ${sub}["${mm(`${ver.label} · final: ${c.template.finalAgent}`)}"]`);
    L.push('    direction TB');
    for (const ag of c.template.agents) {
      const id = nodeId(ver.version, ag.id);
      L.push(`    ${id}["${mm(ag.id)}<br/>${mm(ag.role)}<br/>${mm(c.assignment[ag.id] ?? '?')}"]`);
      if (ver.changed.includes(ag.id)) changedNodes.push(id);
    }
    for (const e of c.template.edges) {
      L.push(`    ${nodeId(ver.version, e.from)} --> ${nodeId(ver.version, e.to)}`);
      if (ver.addedEdges.includes(edgeKey(e))) highlightLinks.push(link);
      link++;
    }
    for (const l of c.template.loops) {
      L.push(`    ${nodeId(ver.version, l.from)} -. "REVISE ≤${l.maxRounds}" .-> ${nodeId(ver.version, l.to)}`);
      link++;
    }
    L.push('  end');
  }
  for (let i = 1; i < a.versions.length; i++) {
    const ver = a.versions[i];
    const r = typeof ver.origin === 'number' ? a.rectifications.find((x) => x.index === ver.origin) : undefined;
    const label = r ? `${r.trigger.kind}: ${r.patch?.ops.map((op) => op.op).join(', ') ?? ''}` : 'carried';
    L.push(`  v${a.versions[i - 1].version} ==>|"${mm(label)}"| v${ver.version}`);
    link++;
  }
  L.push('  classDef changed fill:#fff3b0,stroke:#d97706,stroke-width:3px');
  if (changedNodes.length) L.push(`  class ${changedNodes.join(',')} changed`);
  if (highlightLinks.length) L.push(`  linkStyle ${highlightLinks.join(',')} stroke:#d97706,stroke-width:3px`);
  return L.join('\n') + '\n';
}
