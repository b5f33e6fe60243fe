/** The audit document: what `mas2 audit` projects from a run's history (zod, the one definition of its types). */
import { z } from 'zod';
import { AssignmentSchema, ConfigSchema, FaultSchema, MetaPolicyRefSchema, MetaRoleSchema, PatchSchema, StorageFaultSchema, TemplateSchema, TriggerSchema } from '../../mas/schemas';

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

export const AuditStatusSchema = z.enum(['running', 'completed', 'failed', 'budget_exhausted', 'cancelled', 'branched', 'unverified', 'terminated', 'timed_out']);

export const AuditSchema = z.object({
  workflowId: z.string(),
  status: AuditStatusSchema,
  reason: z.string().optional(),
  /** The run stopped on a storage fault (resumable with `mas2 resume`), and the faults it was resumed after. */
  storageFault: StorageFaultSchema.optional(),
  resumedAfter: z.array(StorageFaultSchema).optional(),
  task: z.string(),
  /** Budget at the start; `finalBudgetUsd` after any raiseBudget updates. */
  budgetUsd: z.number(),
  finalBudgetUsd: z.number(),
  options: z.record(z.string(), z.unknown()),
  faults: z.array(FaultSchema),
  simulated: z.boolean(),
  parentWorkflowId: z.string().optional(),
  /** The trained meta policy the run used (`--meta-policy`); its LoRA adapters, per role. */
  metaPolicy: MetaPolicyRefSchema.extend({ adapters: z.partialRecord(MetaRoleSchema, z.string()).optional() }).optional(),
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
  /** Per meta-agent: decisions valid first time / after the repair round / replaced by a fallback (from the result's decisions). */
  metaValidity: z.record(z.string(), z.object({ firstTry: z.number(), repair: z.number(), fallback: z.number() })).optional(),
  notes: z.array(z.string()),
});

export type SignalAudit = z.infer<typeof SignalAuditSchema>;
export type UpdateAudit = z.infer<typeof UpdateAuditSchema>;
export type CancelRequestAudit = z.infer<typeof CancelRequestAuditSchema>;
export type RunEnd = z.infer<typeof RunEndSchema>;
export type Audit = z.infer<typeof AuditSchema>;
export type AuditStep = z.infer<typeof AuditStepSchema>;
export type RectificationAudit = z.infer<typeof RectificationAuditSchema>;
export type ConfigVersion = z.infer<typeof ConfigVersionSchema>;
export type AuditFormat = 'md' | 'json' | 'mermaid' | 'html';
