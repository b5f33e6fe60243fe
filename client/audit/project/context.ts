/**
 * What every part of the projection reads: the gathered history, the task
 * input, the result document (final or live), and the activities in the
 * order the workflow saw them close.
 */
import { AssignmentSchema, ConfigSchema, TaskInputSchema, TemplateSchema, type Assignment, type Config, type MetaDecision, type Pool, type Result, type TaskInput, type Template } from '../../../mas/schemas';
import type { MetaResult, RectifyInput } from '../../../mas/contract';
import type { Activity, Gathered, RunRecord } from '../history';

export interface ProjectOptions {
  workflowId?: string;
  /** The live result document (`state` query) of a running or otherwise result-less run. */
  state?: Result;
}

export type MetaRole = 'generator' | 'implementer' | 'rectifier';

export const META_ROLE_BY_ACTIVITY: Record<string, MetaRole> = {
  generateTemplate: 'generator',
  implementAssignment: 'implementer',
  rectify: 'rectifier',
};

export interface Context {
  g: Gathered;
  first: RunRecord | undefined;
  last: RunRecord | undefined;
  input: TaskInput;
  options: Partial<TaskInput['options']>;
  pool: Pool | undefined;
  /** The result document in the history, if the last run completed. */
  finalResult: Result | undefined;
  /** finalResult, else the live state. */
  state: Result | undefined;
  workflowId: string;
  /** Activities by close order (the order the workflow records steps in); open ones last. */
  ordered: Activity[];
  genAct: Activity | undefined;
  implAct: Activity | undefined;
  /** v1 as the first Rectifier call saw it: evidence for a design that left no activity. */
  v1FromRectifier: Config | undefined;
  notes: string[];
  pricing(backbone: string | undefined): { inputPerM: number; outputPerM: number } | undefined;
  metaBackboneId(role: MetaRole): string | undefined;
  decisionOf(role: string): MetaDecision | undefined;
}

function asResult(v: unknown): Result | undefined {
  const r = v as Partial<Result> | undefined;
  return r && typeof r === 'object' && typeof r.status === 'string' && Array.isArray(r.steps) ? (r as Result) : undefined;
}

export function parseTemplate(v: unknown): Template | null {
  const p = TemplateSchema.safeParse(v);
  return p.success ? p.data : null;
}

export function parseAssignment(v: unknown): Assignment | null {
  const p = AssignmentSchema.safeParse(v);
  return p.success ? p.data : null;
}

export function metaFromModel(source: string | undefined): boolean {
  return source === 'model' || source === 'repair';
}

/** The fields a meta-agent decision contributes when its activity completed. */
export function decidedByActivity(r: MetaResult<unknown>) {
  return {
    source: r.decision?.source ?? 'model',
    fromMetaAgent: metaFromModel(r.decision?.source),
    evidence: 'activity' as const,
    backbone: r.backbone,
    rationale: r.decision?.rationale ?? '',
    costUsd: r.decision?.costUsd ?? 0,
  };
}

export function spanMs(a: { scheduledAt?: number; closedAt?: number }): number | undefined {
  return a.closedAt !== undefined && a.scheduledAt !== undefined ? a.closedAt - a.scheduledAt : undefined;
}

export function createContext(g: Gathered, opts: ProjectOptions): Context {
  const notes: string[] = [];
  const first = g.runs[0];
  const last = g.runs[g.runs.length - 1];
  const rawInput = (first?.args[0] ?? {}) as Partial<TaskInput>;
  const parsedInput = TaskInputSchema.safeParse(rawInput);
  const input = (parsedInput.success ? parsedInput.data : rawInput) as TaskInput;
  const pool: Pool | undefined = input.pool;
  const finalResult = asResult(last?.result);
  const state = finalResult ?? opts.state;
  if (!finalResult && opts.state) notes.push('the run has no result document in its history yet; forced or ablation decisions come from the live `state` query');
  if (first?.args[1]) notes.push(`the first available run (${first.runId}) continues an earlier run whose history is not available; steps and decisions before it are missing`);
  const workflowId =
    opts.workflowId ?? state?.workflowId ?? (g.activities.map((a) => (a.input as { workflowId?: string } | undefined)?.workflowId).find(Boolean) as string | undefined) ?? '?';

  const ordered = [...g.activities].sort((a, b) => a.run - b.run || (a.closeId ?? 1e15 + a.scheduledId) - (b.closeId ?? 1e15 + b.scheduledId));
  const activityOf = (type: string) => ordered.find((a) => a.type === type);
  const firstRectifyConfig = ordered
    .filter((a) => a.type === 'rectify')
    .map((a) => ConfigSchema.safeParse((a.input as RectifyInput | undefined)?.config))
    .find((p) => p.success && p.data.version === 1);

  return {
    g,
    first,
    last,
    input,
    options: (input.options ?? {}) as Partial<TaskInput['options']>,
    pool,
    finalResult,
    state,
    workflowId,
    ordered,
    genAct: activityOf('generateTemplate'),
    implAct: activityOf('implementAssignment'),
    v1FromRectifier: firstRectifyConfig?.success ? firstRectifyConfig.data : undefined,
    notes,
    pricing: (b) => pool?.backbones.find((x) => x.id === b)?.pricing,
    metaBackboneId: (role) => (pool ? (pool.meta?.[role] ?? pool.default) : undefined),
    decisionOf: (role) => state?.decisions?.find((d) => d.role === role),
  };
}
