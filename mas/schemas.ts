/**
 * The MAS² model M = ⟨R, P, T, B⟩ and everything that travels between the
 * client, the workflow and the activities. Every type in mas2 is inferred from
 * a schema here, so validation and typing cannot drift apart.
 */
import { z } from 'zod';
import { ID_PATTERN, MAX_AGENTS } from './graph';
import { TRIGGER_KINDS, type TriggerKind } from './triggers';
import { ANSWER_KINDS, ENSEMBLE_MEMBERS, OPERATOR_BOUNDS } from './operators';
import { BLUEPRINT_IDS } from './blueprints';

const id = z.string().min(1).max(64).regex(ID_PATTERN, 'ids start with a letter and use letters, digits, "_" or "-"');
/** Backbone ids may also carry dots, as model sizes do ("qwen-1.5b"). */
const backboneId = z.string().min(1).max(64).regex(/^[A-Za-z][A-Za-z0-9._-]{0,63}$/, 'backbone ids start with a letter and use letters, digits, ".", "_" or "-"');

// ---------------------------------------------------------------- R, P, T
/** How an answer is read, compared and checked (mas/vote.ts, mas/evidence.ts). */
export const AnswerKindSchema = z.enum(ANSWER_KINDS);

const operatorRounds = z.number().int().min(OPERATOR_BOUNDS.rounds.min).max(OPERATOR_BOUNDS.rounds.max);

/**
 * What an agent does beyond a plain model turn loop (mas/operators.ts; docs/operators.md).
 * Absent: a plain agent, as in every run recorded before operators existed.
 */
export const OperatorSchema = z.discriminatedUnion('kind', [
  z.object({
    /** Writes a Python program; the sandbox runs it; an error goes back to it for the next round. */
    kind: z.literal('programmer'),
    /** number / text: the program's printed output, read as such, is the answer; code: the program is the answer and must run cleanly. */
    answer: AnswerKindSchema,
    /** Write → run → read the error, at most this many times (= model calls). */
    maxRounds: operatorRounds.default(OPERATOR_BOUNDS.rounds.programmerDefault),
  }),
  z.object({
    /** k samples of one member, drawn at once with their own seeds; a vote on the extracted answers (code: tests passed, then agreement). */
    kind: z.literal('ensemble'),
    k: z.number().int().min(OPERATOR_BOUNDS.k.min).max(OPERATOR_BOUNDS.k.max).default(OPERATOR_BOUNDS.k.default),
    /** agent: chain-of-thought samples; programmer: program samples; mixed: both in turn. */
    member: z.enum(ENSEMBLE_MEMBERS).default('agent'),
    answer: AnswerKindSchema,
    /** Sampling temperature of every sample (> 0, or the samples would all be alike). */
    temperature: z.number().gt(0).max(OPERATOR_BOUNDS.temperature.max).default(OPERATOR_BOUNDS.temperature.default),
    /** Rounds of each programmer sample. */
    maxRounds: operatorRounds.default(OPERATOR_BOUNDS.rounds.programmerDefault),
  }),
  z.object({
    /** Runs the code it receives on the task's examples and the team's asserts; no model call. */
    kind: z.literal('test'),
  }),
]);
export type Operator = z.infer<typeof OperatorSchema>;

export const AgentSpecSchema = z.object({
  id,
  role: z.string().min(1),
  instructions: z.string().min(1),
  tools: z.array(z.string().min(1)).default([]),
  /** What the agent's output should look like; shown to the agent and to the Rectifier. */
  expects: z.string().optional(),
  /** A checking agent: an output starting with "FAIL" is a silent-error (verifier) trigger. */
  verifier: z.boolean().optional(),
  /** Upper bound on model calls in this agent's turn loop (model → tools → model). */
  maxTurns: z.number().int().min(1).max(20).default(4),
  operator: OperatorSchema.optional(),
});
export type AgentSpec = z.infer<typeof AgentSpecSchema>;

export const EdgeSchema = z.object({ from: id, to: id });
export type Edge = z.infer<typeof EdgeSchema>;

/**
 * A bounded feedback loop: when `from` (a reviewer, usually downstream of `to`)
 * answers with a line starting "REVISE", `to` and everything between runs again,
 * at most `maxRounds` times.
 */
export const FeedbackLoopSchema = z.object({ from: id, to: id, maxRounds: z.number().int().min(1).max(5) });
export type FeedbackLoop = z.infer<typeof FeedbackLoopSchema>;

export const TemplateSchema = z.object({
  name: z.string().min(1).default('team'),
  agents: z.array(AgentSpecSchema).min(1).max(MAX_AGENTS),
  edges: z.array(EdgeSchema).default([]),
  loops: z.array(FeedbackLoopSchema).default([]),
  finalAgent: id,
});
export type Template = z.infer<typeof TemplateSchema>;

// ---------------------------------------------------------------- B and the pool L
export const PricingSchema = z.object({
  inputPerM: z.number().min(0),
  outputPerM: z.number().min(0),
});

export const SimKnobsSchema = z.object({
  /** Simulated latency of one call, in milliseconds. */
  latencyMs: z.number().int().min(0).default(0),
  /** Probability that a call fails with a retryable (HTTP 503-like) error. */
  failureRate: z.number().min(0).max(1).default(0),
  /** 0..1: chance that an agent's answer is right; lower means more silent errors. */
  quality: z.number().min(0).max(1).default(0.9),
  /** Pad each team agent's final answer to at least this many characters (large-output runs, payload tests). */
  outputChars: z.number().int().min(0).max(10_000_000).optional(),
});
export type SimKnobs = z.infer<typeof SimKnobsSchema>;

/**
 * LoRA adapters (GGUF files) over a local model (llama-server `--lora`): one server per model and
 * adapter list loads every file of `adapters` without applying it, and a request applies
 * `adapters[apply]` only. mas2's meta policies put one adapter in each list (mas/pool.ts withMetaAdapters).
 */
export const LoraSchema = z
  .object({ adapters: z.array(z.string().min(1)).min(1).max(8), apply: z.number().int().min(0) })
  .refine((l) => l.apply < l.adapters.length, { message: 'apply must be the index of one of the adapters' });
export type Lora = z.infer<typeof LoraSchema>;

export const BackboneSchema = z.object({
  id: backboneId,
  provider: z.enum(['openai', 'sim']),
  model: z.string().min(1),
  baseURL: z.string().url().optional(),
  /** Name of the environment variable that holds the key (never the key itself). */
  apiKeyEnv: z.string().optional(),
  pricing: PricingSchema,
  hints: z
    .object({
      strengths: z.array(z.string()).default([]),
      contextWindow: z.number().int().positive().optional(),
      /** Whether the endpoint honours response_format json_schema. */
      structuredOutputs: z.boolean().default(true),
    })
    .default({ strengths: [], structuredOutputs: true }),
  sim: SimKnobsSchema.optional(),
  maxOutputTokens: z.number().int().positive().default(1024),
  /** Sampling sent with every request when set (local backbones use 0 and a seed: reproducible runs). */
  temperature: z.number().min(0).max(2).optional(),
  seed: z.number().int().optional(),
  /**
   * A model mas2 serves itself (`--pool local`, client/localModel): the worker
   * (re)starts its llama-server on demand and calls it, whatever `baseURL` says.
   */
  local: z.string().optional(),
  /** With `local`: a LoRA adapter applied to this backbone's requests. */
  lora: LoraSchema.optional(),
});
export type Backbone = z.infer<typeof BackboneSchema>;

export const MetaRoleSchema = z.enum(['generator', 'implementer', 'rectifier']);
export type MetaRole = z.infer<typeof MetaRoleSchema>;

export const PoolSchema = z
  .object({
    backbones: z.array(BackboneSchema).min(1),
    /** The backbone used when there is no Implementer (ablation) and as a last resort. */
    default: backboneId,
    /** Each meta-agent may run on its own backbone (the paper fine-tunes one per role). */
    meta: z.partialRecord(MetaRoleSchema, backboneId).default({}),
    /**
     * A LoRA adapter per meta-agent, applied to that role's meta backbone (which must be local): a
     * DPO-trained meta policy (`--meta-policy`, docs/cto.md). The team's agents never see it.
     */
    metaAdapters: z.partialRecord(MetaRoleSchema, LoraSchema).optional(),
    /** Shown with the run's cost (e.g. that the prices are nominal). */
    note: z.string().optional(),
  })
  .superRefine((pool, ctx) => {
    const ids = new Set<string>();
    for (const b of pool.backbones) {
      if (ids.has(b.id)) ctx.addIssue({ code: 'custom', message: `backbone id "${b.id}" is listed twice` });
      ids.add(b.id);
    }
    if (!ids.has(pool.default)) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: `default backbone "${pool.default}" is not in backbones` });
    }
    for (const [role, b] of Object.entries(pool.meta)) {
      if (b && !ids.has(b)) ctx.addIssue({ code: 'custom', path: ['meta', role], message: `backbone "${b}" is not in backbones` });
    }
    for (const b of pool.backbones) {
      if (b.lora && !b.local) ctx.addIssue({ code: 'custom', path: ['backbones'], message: `backbone "${b.id}" has a LoRA adapter but is not a local model` });
    }
    for (const role of Object.keys(pool.metaAdapters ?? {}) as MetaRole[]) {
      const id = pool.meta[role] ?? pool.default;
      if (!pool.backbones.find((b) => b.id === id)?.local) ctx.addIssue({ code: 'custom', path: ['metaAdapters', role], message: `the ${role}'s backbone "${id}" is not a local model, so it cannot take a LoRA adapter` });
    }
  });
export type Pool = z.infer<typeof PoolSchema>;

export const AssignmentSchema = z.record(z.string(), z.string());
export type Assignment = z.infer<typeof AssignmentSchema>;

/** The executable system M: template ⟨R, P, T⟩ plus backbone map B, versioned. */
export const ConfigSchema = z.object({
  template: TemplateSchema,
  assignment: AssignmentSchema,
  version: z.number().int().min(1),
});
export type Config = z.infer<typeof ConfigSchema>;

// ---------------------------------------------------------------- meta-agent outputs
/**
 * The Generator's choice from the blueprint catalogue (mas/blueprints.ts): its enums cannot
 * name a graph that breaks the rules, and expandChoice builds the team. Field order is the
 * order a model writes them in: what the answer is first, then the shape.
 */
export const BlueprintChoiceSchema = z.object({
  answer: AnswerKindSchema,
  blueprint: z.enum(BLUEPRINT_IDS),
  k: z.number().int().min(OPERATOR_BOUNDS.k.min).max(OPERATOR_BOUNDS.k.max).optional(),
  tools: z.array(z.string().min(1).max(64)).max(5).optional(),
  instructions: z.string().max(600).optional(),
  rationale: z.string().max(600).default(''),
});
export type BlueprintChoice = z.infer<typeof BlueprintChoiceSchema>;

/** A free-form team for strong Generators: normalised by rule (normaliseCustom), then checked like any template. */
export const CustomDesignSchema = z.object({
  blueprint: z.literal('custom'),
  template: TemplateSchema,
  rationale: z.string().max(600).default(''),
});
export type CustomDesign = z.infer<typeof CustomDesignSchema>;

/** What the Generator answers: a catalogue choice, or (when offered) a custom design. */
export const GeneratorChoiceSchema = z.discriminatedUnion('blueprint', [BlueprintChoiceSchema, CustomDesignSchema]);
export type GeneratorChoice = z.infer<typeof GeneratorChoiceSchema>;

export const ImplementerOutputSchema = z.object({
  assignment: z.array(z.object({ agent: z.string(), backbone: z.string(), reason: z.string().default('') })),
  rationale: z.string().default(''),
});
export type ImplementerOutput = z.infer<typeof ImplementerOutputSchema>;

export const PatchOpSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('set_backbone'), agent: z.string(), backbone: z.string() }),
  z.object({ op: z.literal('set_instructions'), agent: z.string(), instructions: z.string().min(1) }),
  z.object({ op: z.literal('set_tools'), agent: z.string(), tools: z.array(z.string()) }),
  z.object({ op: z.literal('add_agent'), agent: AgentSpecSchema, backbone: z.string() }),
  z.object({ op: z.literal('remove_agent'), agent: z.string() }),
  z.object({ op: z.literal('add_edge'), from: z.string(), to: z.string() }),
  z.object({ op: z.literal('remove_edge'), from: z.string(), to: z.string() }),
  z.object({ op: z.literal('set_final'), agent: z.string() }),
  z.object({ op: z.literal('replace_topology'), template: TemplateSchema, assignment: AssignmentSchema }),
  /** Makes an agent a programmer, an ensemble (a vote) or a test step; null: a plain agent again. A programmer's tools are removed. */
  z.object({ op: z.literal('set_operator'), agent: z.string(), operator: OperatorSchema.nullable() }),
  /** Changes the number of samples of an ensemble (raise k for a closer vote). */
  z.object({ op: z.literal('set_k'), agent: z.string(), k: z.number().int().min(OPERATOR_BOUNDS.k.min).max(OPERATOR_BOUNDS.k.max) }),
  /** Drops a flaky step and joins its inputs to its outputs; a final agent hands the answer to its one input. */
  z.object({ op: z.literal('bypass_agent'), agent: z.string() }),
]);
export type PatchOp = z.infer<typeof PatchOpSchema>;

export const PatchSchema = z.object({
  scope: z.enum(['local', 'global']),
  ops: z.array(PatchOpSchema).min(1),
  rationale: z.string().default(''),
});
export type Patch = z.infer<typeof PatchSchema>;

// ---------------------------------------------------------------- tools T
/** A tool as a run sees it: computed where the tool lives (built-in, defineTool, MCP server), carried in the TaskInput. */
export const ToolSpecSchema = z.object({
  /** Letters, digits, "_" and "-" (what function-calling APIs accept); MCP tools are `<server>__<tool>`. */
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'tool names use 1–64 letters, digits, "_" or "-"'),
  description: z.string(),
  /** JSON schema of the arguments, as offered to models. */
  parameters: z.record(z.string(), z.unknown()),
  /** builtin, own (defineTool) or mcp:<server>. */
  source: z.string().regex(/^(builtin|own|mcp:.+)$/),
  /** Upper bound on one call: the start-to-close timeout of the tool's activity. */
  timeoutMs: z.number().int().positive().optional(),
});
export type ToolSpec = z.infer<typeof ToolSpecSchema>;

// ---------------------------------------------------------------- meta policy
/** Which trained meta policy a run used (`--meta-policy DIR`): recorded in the result and the audit. */
export const MetaPolicyRefSchema = z.object({
  name: z.string().min(1).max(64),
  version: z.number().int().min(1),
  trainer: z.enum(['prior', 'dpo']),
  /** sha256 of the policy's manifest (its first 16 hex digits): two folders of the same name and version differ here. */
  digest: z.string().regex(/^[0-9a-f]{16}$/),
});
export type MetaPolicyRef = z.infer<typeof MetaPolicyRefSchema>;

/**
 * One decision a value-guided prior recommends to a meta-agent (mas/ctoPrior.ts `priorExemplars`):
 * its output on an earlier task of the same kind, and how much value it earned there. The client
 * chooses them for the task when the run starts, so they are part of the run input (recorded,
 * replayed, audited) and the meta-agent activities only show them.
 */
export const PriorExemplarSchema = z.object({
  signature: z.string().max(4000),
  /** ΣΔV won − ΣΔV lost, per decision: how much better than its siblings it did. */
  score: z.number(),
  meanValue: z.number(),
  decisions: z.number().int().min(1),
  example: z.object({ output: z.unknown(), task: z.string().max(20000), value: z.number() }),
});
export type PriorExemplar = z.infer<typeof PriorExemplarSchema>;
export const MetaExemplarsSchema = z.object({
  generator: z.array(PriorExemplarSchema).max(5),
  implementer: z.array(PriorExemplarSchema).max(5),
  rectifier: z.array(PriorExemplarSchema).max(5),
}).partial();
export type MetaExemplars = z.infer<typeof MetaExemplarsSchema>;

// ---------------------------------------------------------------- run input
export const FaultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tool_crash'), tool: z.string(), at: z.number().int().min(1) }),
  z.object({ kind: z.literal('model_error'), backbone: z.string(), at: z.number().int().min(1) }),
  z.object({ kind: z.literal('model_latency'), backbone: z.string(), ms: z.number().int().min(0) }),
]);
export type Fault = z.infer<typeof FaultSchema>;

export const TaskOptionsSchema = z.object({
  generator: z.boolean().default(true),
  implementer: z.boolean().default(true),
  rectifier: z.boolean().default(true),
  /** θ_C as a fraction of the budget: the budget trigger fires above it. */
  thetaFraction: z.number().gt(0).max(1).default(0.8),
  maxRectifications: z.number().int().min(0).max(20).default(3),
  /** Seed for the simulator backbone; the same seed gives the same run. */
  seed: z.number().int().default(1),
  /** Force a given template instead of asking the Generator (CTO branches, tests). */
  template: TemplateSchema.optional(),
  /** Force a given assignment instead of asking the Implementer (CTO branches, tests). */
  assignment: AssignmentSchema.optional(),
  /** Continue-as-new after this many steps in one run, besides Temporal's own suggestion (tests, long runs). */
  continueAsNewAfterSteps: z.number().int().positive().optional(),
  /** Upsert Mas2Status / Mas2CostUsd; only when the server has them registered (the client checks). */
  searchAttributes: z.boolean().default(false),
  /**
   * CTO: stop at the first trigger that would call the Rectifier and return
   * the saved state (status "branched"), so several Rectifier samples can each
   * continue from the same s_t as their own workflow.
   */
  branchOnTrigger: z.boolean().default(false),
  /** Wall-time bound of the whole run (workflow time): past it no new model call starts. */
  maxWallSeconds: z.number().int().positive().optional(),
});
export type TaskOptions = z.infer<typeof TaskOptionsSchema>;

/**
 * The longest task any entry point accepts (CLI, library, eval, CTO): the task travels in
 * every model call's prompt and every activity input, so its size multiplies. Long material
 * belongs in files the agents read (the workspace and search tools).
 */
export const MAX_TASK_CHARS = 20_000;
export const TaskTextSchema = z
  .string()
  .trim()
  .min(1, 'the task is empty')
  .max(MAX_TASK_CHARS, { error: (iss) => `the task is ${String(iss.input ?? '').length} characters; keep it under ${MAX_TASK_CHARS} (put long material in files the agents can read)` });

export const TaskInputSchema = z.object({
  task: TaskTextSchema,
  budgetUsd: z.number().gt(0, 'the budget must be above 0 USD'),
  pool: PoolSchema,
  options: TaskOptionsSchema.default(TaskOptionsSchema.parse({})),
  faults: z.array(FaultSchema).default([]),
  /**
   * The tools this run may use (built-ins, own tools, MCP tools). Absent: the built-ins,
   * as for runs started before catalogues existed.
   */
  tools: z
    .array(ToolSpecSchema)
    .optional()
    .superRefine((tools, ctx) => {
      const seen = new Set<string>();
      for (const t of tools ?? []) {
        if (seen.has(t.name)) ctx.addIssue({ code: 'custom', message: `tool "${t.name}" is listed twice` });
        seen.add(t.name);
      }
    }),
  /** Set when this run branches from a recorded state (CTO, what-if runs). */
  parentWorkflowId: z.string().optional(),
  /** The trained meta policy the meta-agents use; its adapters, if any, are in `pool.metaAdapters`. */
  metaPolicy: MetaPolicyRefSchema.optional(),
  /** A prior policy's advice for this task, per meta-agent: shown in their prompts. */
  metaExemplars: MetaExemplarsSchema.optional(),
  /**
   * Start from a saved state s_t (a "branched" result's branch.state) and
   * apply this patch as the rectification of that trigger before resuming.
   */
  resume: z
    .object({
      state: z.unknown(),
      /** With a patch: a branch (CTO), the patch applied as the rectification of this trigger. Without: the run goes on as it was (after a storage fault). */
      trigger: z.lazy(() => TriggerSchema).optional(),
      patch: z.lazy(() => PatchSchema).optional(),
      rationale: z.string().default(''),
    })
    .optional(),
});
export type TaskInput = z.infer<typeof TaskInputSchema>;

// ---------------------------------------------------------------- state s_t
export const UsageSchema = z.object({
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  /**
   * Of inputTokens, those the server did not process again because its prompt cache
   * held them (llama-server: prompt tokens − `timings.prompt_n`; OpenAI:
   * `prompt_tokens_details.cached_tokens`); absent when the server does not say.
   */
  cachedInputTokens: z.number().int().min(0).optional(),
});
export type Usage = z.infer<typeof UsageSchema>;

export const StepSchema = z.object({
  agent: z.string(),
  backbone: z.string().optional(),
  kind: z.enum(['llm', 'tool', 'meta']),
  /** Unique per agent and kind across the whole run, including re-runs after a patch. */
  callIndex: z.number().int().min(0),
  name: z.string().optional(),
  status: z.enum(['completed', 'failed']),
  attempts: z.number().int().min(1),
  usage: UsageSchema.optional(),
  costUsd: z.number().min(0),
  durationMs: z.number().min(0),
  configVersion: z.number().int(),
  error: z.string().optional(),
  /** What an operator's step was: "sample 3/5 (seed …)", "round 2/3", "tests of candidate 2". */
  note: z.string().optional(),
});
export type Step = z.infer<typeof StepSchema>;

/** The kinds are the table's keys (mas/triggers/): a kind exists once it has a descriptor. */
export const TriggerKindSchema = z.enum(TRIGGER_KINDS);
export type { TriggerKind };

export const TriggerSchema = z.object({
  kind: TriggerKindSchema,
  detail: z.string(),
  agent: z.string().optional(),
  /** Index into steps[] of the step that fired it, when a step did. */
  step: z.number().int().optional(),
  tool: z.string().optional(),
  backbone: z.string().optional(),
});
export type Trigger = z.infer<typeof TriggerSchema>;

export const RectificationSchema = z.object({
  version: z.number().int(),
  fromVersion: z.number().int(),
  trigger: TriggerSchema,
  scope: z.enum(['local', 'global']),
  patch: z.array(PatchOpSchema),
  rationale: z.string(),
  source: z.enum(['rectifier', 'repair', 'fallback']),
  rerun: z.array(z.string()),
  kept: z.array(z.string()),
  costUsd: z.number().min(0),
});
export type Rectification = z.infer<typeof RectificationSchema>;

export const AgentOutputSchema = z.object({
  /**
   * The output. When `chars` is set the workflow keeps only its first 240 characters, and a
   * result document straight from Temporal none (''); client/resolve.ts reads the text from `ref`.
   */
  text: z.string(),
  /** Full length of the output; set by runs that keep outputs by reference. */
  chars: z.number().int().min(0).optional(),
  /** Blob-store reference of the same text: downstream model calls carry this, not the text. */
  ref: z.string(),
  configVersion: z.number().int(),
  backbone: z.string(),
  /** Fingerprint of the agent spec, backbone and upstream outputs it was computed from. */
  inputsKey: z.string(),
});
export type AgentOutput = z.infer<typeof AgentOutputSchema>;

export const CostSchema = z.object({
  usd: z.number().min(0),
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  perBackbone: z.record(z.string(), z.object({ usd: z.number(), inputTokens: z.number(), outputTokens: z.number(), calls: z.number(), cachedInputTokens: z.number().optional() })),
  /** Input tokens served from the servers' prompt caches, summed over the calls whose server reports it. */
  cachedInputTokens: z.number().int().min(0).optional(),
  meta: z.number().min(0),
  agents: z.number().min(0),
  perMetaRole: z.partialRecord(MetaRoleSchema, z.number()).default({}),
});
export type Cost = z.infer<typeof CostSchema>;

/**
 * `unverified`: a verifier's rejection stood when no more rectifications were allowed; the
 * answer is the best candidate (the rejected producer's output), never the verdict text.
 */
export const RunStatusSchema = z.enum(['running', 'completed', 'failed', 'budget_exhausted', 'cancelled', 'branched', 'unverified']);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const MetaDecisionSchema = z.object({
  role: MetaRoleSchema,
  backbone: z.string().optional(),
  source: z.enum(['model', 'repair', 'fallback', 'ablation', 'forced']),
  /** Reference to the prompt the meta-agent saw (blob store), for CTO export. */
  promptRef: z.string().optional(),
  output: z.unknown(),
  rationale: z.string().default(''),
  costUsd: z.number().min(0),
});
export type MetaDecision = z.infer<typeof MetaDecisionSchema>;

/** The blob store lost, corrupted or could not serve content the run needs (mas/storageFault.ts). */
export const StorageFaultSchema = z.object({
  kind: z.enum(['missing', 'corrupted', 'unavailable']),
  ref: z.string(),
  /** The store: a folder, or the database without its password. */
  where: z.string(),
  agent: z.string(),
  /** Index into steps[] of the call that hit it. */
  step: z.number().int(),
  detail: z.string(),
});
export type StorageFault = z.infer<typeof StorageFaultSchema>;

/** How one run of an ensemble ended (docs/operators.md): its samples and the vote or the code selection. */
export const EnsembleRunSchema = z.object({
  agent: z.string(),
  configVersion: z.number().int(),
  seeds: z.array(z.number().int()),
  members: z.array(z.enum(['agent', 'programmer'])),
  /** Each sample's extracted answer (number / text), or its tests passed (code); null: none. */
  answers: z.array(z.string().nullable()),
  /** The vote (mas/vote.ts describeVote) or the code selection's explanation. */
  outcome: z.string(),
  /** The sample whose text became the output; null: no answer. */
  chosen: z.number().int().nullable(),
});
export type EnsembleRun = z.infer<typeof EnsembleRunSchema>;

/** What a checker's verdict was worth (mas/evidence.ts judge): a model's FAIL without evidence is `advisory`. */
export const JudgementRecordSchema = z.object({
  agent: z.string(),
  configVersion: z.number().int(),
  /** What the checker's model said (null: a test step, or no verdict word). */
  said: z.enum(['PASS', 'FAIL', 'REVISE']).nullable(),
  action: z.enum(['accept', 'revise', 'reject']),
  decidedBy: z.enum(['evidence', 'model']),
  reason: z.string(),
  /** A rejection by the model alone: recorded, it changed nothing. */
  advisory: z.object({ said: z.enum(['FAIL', 'REVISE']), why: z.string() }).optional(),
  step: z.number().int(),
});
export type JudgementRecord = z.infer<typeof JudgementRecordSchema>;

export const ResultSchema = z.object({
  workflowId: z.string(),
  status: RunStatusSchema,
  task: z.string(),
  answer: z.string().nullable(),
  /** Blob reference of the answer: set when `answer` is only its preview (resolved by client/resolve.ts). */
  answerRef: z.string().optional(),
  reason: z.string().optional(),
  budgetUsd: z.number(),
  cost: CostSchema,
  config: ConfigSchema.nullable(),
  decisions: z.array(MetaDecisionSchema),
  /** Per meta-agent: decisions valid first time, valid after the repair round, replaced by a fallback. */
  metaValidity: z.partialRecord(MetaRoleSchema, z.object({ firstTry: z.number().int(), repair: z.number().int(), fallback: z.number().int() })).optional(),
  rectifications: z.array(RectificationSchema),
  /** While the run is live: the kind of trigger the Rectifier is at work on. */
  rectifying: TriggerKindSchema.optional(),
  steps: z.array(StepSchema),
  outputs: z.record(z.string(), AgentOutputSchema),
  simulated: z.boolean(),
  /** The pool's note (e.g. "prices are nominal"), repeated where the cost is reported. */
  poolNote: z.string().optional(),
  continuedAsNew: z.number().int().min(0),
  /** With branchOnTrigger: the trigger that stopped the run and the state to resume from. */
  branch: z.object({ trigger: z.lazy(() => TriggerSchema), state: z.unknown() }).optional(),
  parentWorkflowId: z.string().optional(),
  metaPolicy: MetaPolicyRefSchema.optional(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  /** Malformed or unknown signals the run ignored (the first 50) and how many there were. */
  rejectedSignals: z.array(z.object({ name: z.string(), at: z.string(), problem: z.string() })).optional(),
  rejectedSignalCount: z.number().int().min(0).optional(),
  /** The run stopped on a storage fault; `resumeFrom` is its state s_t, for `mas2 resume`. */
  storageFault: StorageFaultSchema.optional(),
  resumeFrom: z.unknown().optional(),
  /** Storage faults this run was resumed after, oldest first. */
  resumedAfter: z.array(StorageFaultSchema).optional(),
  /** Runs of the team's ensembles: samples, seeds, the vote or the code selection. */
  ensembles: z.array(EnsembleRunSchema).optional(),
  /** Checkers' verdicts and what they were worth; the model-only rejections are `advisory`. */
  judgements: z.array(JudgementRecordSchema).optional(),
});
export type Result = z.infer<typeof ResultSchema>;

// ---------------------------------------------------------------- what clients send to a running task
/** `rectify` signal argument. mas/handlerInputs.ts checks the same shape without zod, inside the workflow. */
export const RectifySignalSchema = z.object({ reason: z.string().max(2000).optional() });
/** `raiseBudget` update argument (the workflow's validator also requires it to exceed the spend). */
export const RaiseBudgetSchema = z.object({ budgetUsd: z.number().positive() });
