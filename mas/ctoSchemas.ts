/**
 * CTO inputs as zod schemas: a TASKS.jsonl line, the tree parameters and the
 * collection input. Kept apart from the credit logic in cto.ts, which the
 * workflow imports: workflow code stays free of zod (it is rebuilt for every
 * workflow and costs milliseconds there).
 */
import { z } from 'zod';
import { FaultSchema, MetaPolicyRefSchema, MetaRoleSchema, PoolSchema, TaskOptionsSchema, TaskTextSchema } from './schemas';

// ---------------------------------------------------------------- input lines and workflow input
export const EVALUATORS = ['exact', 'numeric', 'python-tests'] as const;
export const EvaluatorNameSchema = z.enum(EVALUATORS);
export type EvaluatorName = z.infer<typeof EvaluatorNameSchema>;

/** One line of TASKS.jsonl. */
export const CtoTaskLineSchema = z
  .object({
    id: z.union([z.string().min(1).max(200), z.number().int()]).transform((v) => String(v)),
    task: TaskTextSchema,
    expected: z.union([z.string(), z.number()]).transform((v) => String(v)).optional(),
    /** Python code (asserts) appended to the answer's code; a list is joined with newlines. */
    tests: z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v.join('\n') : v)).optional(),
    evaluator: EvaluatorNameSchema,
    /** numeric: |answer − expected| ≤ max(tolerance, 1e-9 · |expected|); default 1e-6. */
    tolerance: z.number().min(0).optional(),
  })
  .superRefine((line, ctx) => {
    if ((line.evaluator === 'exact' || line.evaluator === 'numeric') && line.expected === undefined) {
      ctx.addIssue({ code: 'custom', path: ['expected'], message: `the "${line.evaluator}" evaluator needs "expected"` });
    }
    if (line.evaluator === 'numeric' && line.expected !== undefined && !Number.isFinite(Number(line.expected.replace(/,/g, '')))) {
      ctx.addIssue({ code: 'custom', path: ['expected'], message: `"expected" must be a number for the numeric evaluator (got "${line.expected}")` });
    }
    if (line.evaluator === 'python-tests' && !line.tests?.trim()) {
      ctx.addIssue({ code: 'custom', path: ['tests'], message: 'the "python-tests" evaluator needs "tests" (Python asserts)' });
    }
  });
export type CtoTaskLine = z.infer<typeof CtoTaskLineSchema>;

export const CtoParamsSchema = z.object({
  /** Generator samples per query. */
  k: z.number().int().min(1).max(16).default(3),
  /** Implementer samples per template. */
  n: z.number().int().min(1).max(16).default(3),
  /** Rectifier samples per trigger. */
  m: z.number().int().min(1).max(16).default(2),
  /** Max child runs in flight for one query. */
  concurrency: z.number().int().min(1).max(256).default(8),
  /** Rectifier levels that branch; deeper triggers are rectified inside the run by the normal Rectifier. */
  maxDepth: z.number().int().min(0).max(5).default(2),
  /** Floor of C_norm (so R ≤ 1 / minCostNorm). */
  minCostNorm: z.number().gt(0).max(1).default(0.1),
});
export type CtoParams = z.infer<typeof CtoParamsSchema>;

export const CtoInputSchema = z.object({
  queryId: z.string().min(1),
  task: TaskTextSchema,
  evaluator: EvaluatorNameSchema,
  expected: z.string().optional(),
  tests: z.string().optional(),
  tolerance: z.number().min(0).optional(),
  /** Budget of each trajectory's runs (each child mas2Task). */
  budgetUsd: z.number().gt(0).default(1),
  pool: PoolSchema,
  params: CtoParamsSchema.default(CtoParamsSchema.parse({})),
  /** Options handed to every child run (seed, θ_C, rectification cap ...); template/assignment/branching are set by CTO. */
  options: TaskOptionsSchema.default(TaskOptionsSchema.parse({})),
  /** Chaos injection for every child run (e.g. a python crash, to get Rectifier branches). */
  faults: z.array(FaultSchema).default([]),
  /** Continue-as-new after this many finished work items (meta calls, runs, evaluations) in one run, besides Temporal's own suggestion (tests, huge trees). */
  continueAsNewAfter: z.number().int().positive().optional(),
});
export type CtoInput = z.infer<typeof CtoInputSchema>;
/** What a caller may pass (defaults not yet filled). */
export type CtoRequest = z.input<typeof CtoInputSchema>;

// ---------------------------------------------------------------- evaluation (the evaluate activity's contract)

// ---------------------------------------------------------------- the trees file (`mas2 cto` output, `mas2 cto train` input)
export const CTO_TREES_FORMAT = 'mas2-cto-trees/1';

const CtoNodeSchema = z.looseObject({
  id: z.string().min(1),
  parent: z.string().nullable(),
  role: z.enum(['root', ...MetaRoleSchema.options]),
  sample: z.number().int().min(0),
  depth: z.number().int().min(0),
  children: z.array(z.string()),
  decision: z
    .looseObject({ output: z.unknown(), promptRef: z.string().optional(), source: z.string(), costUsd: z.number().min(0), callKey: z.string(), rationale: z.string().default('') })
    .optional(),
  outcome: z.object({ pass: z.boolean(), detail: z.string(), runCostUsd: z.number().min(0) }).optional(),
});

const CtoTreeSchema = z.looseObject({
  queryId: z.string().min(1),
  task: z.string().min(1),
  workflowId: z.string(),
  evaluator: EvaluatorNameSchema,
  params: CtoParamsSchema,
  root: z.string().min(1),
  nodes: z.record(z.string(), CtoNodeSchema),
});

/** What `mas2 cto train` needs of a trees file; credit is recomputed from the nodes (mas/cto.ts). */
export const CtoTreesFileSchema = z.looseObject({
  format: z.literal(CTO_TREES_FORMAT),
  tasksFile: z.string().optional(),
  tasksSha256: z.string().optional(),
  trees: z.array(CtoTreeSchema),
});

// ---------------------------------------------------------------- a trained meta policy (`mas2 cto train --out DIR`)
/** The folder layout's version: a mas2 that reads another one refuses the folder instead of guessing. */
export const META_POLICY_FORMAT = 'mas2-meta-policy/1';
export const META_POLICY_MANIFEST = 'policy.json';

export const TrainerNameSchema = MetaPolicyRefSchema.shape.trainer;
export type TrainerName = z.infer<typeof TrainerNameSchema>;

export const MetaPolicyManifestSchema = z.object({
  format: z.literal(META_POLICY_FORMAT),
  name: MetaPolicyRefSchema.shape.name,
  version: MetaPolicyRefSchema.shape.version,
  trainer: TrainerNameSchema,
  createdAt: z.string(),
  /** `git describe`-style id of the mas2 that trained it (package version and commit, when known). */
  engine: z.string(),
  training: z.object({
    treesFile: z.string(),
    treesSha256: z.string(),
    tasksFile: z.string().optional(),
    tasksSha256: z.string().optional(),
    /** Every problem a tree saw. An evaluation of this policy must use others (`mas2 eval` refuses these). */
    problems: z.array(z.object({ id: z.string(), task: z.string() })).min(1),
    trees: z.number().int().min(1),
    trajectories: z.number().int().min(0),
    /** Preference pairs per role (the same pairs `mas2 cto` exports). */
    pairs: z.partialRecord(MetaRoleSchema, z.number().int().min(0)),
  }),
  /** The value-guided prior (trainer "prior"): a file of the folder. */
  prior: z.object({ file: z.string() }).optional(),
  /** LoRA adapters (trainer "dpo"): files of the folder, over a local model of the catalogue. */
  dpo: z
    .object({
      baseModel: z.string(),
      baseModelSha256: z.string(),
      adapters: z.partialRecord(MetaRoleSchema, z.string()),
      pairsFile: z.string(),
      hyper: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
      metrics: z.record(z.string(), z.unknown()),
    })
    .optional(),
});
export type MetaPolicyManifest = z.infer<typeof MetaPolicyManifestSchema>;
