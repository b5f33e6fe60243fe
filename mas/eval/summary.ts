/** One row per problem × variant, built from a run's result document and its score; summaries per variant. */
import type { MetaRole, Result } from '../schemas';
import type { Variant } from './variants';
import { wilson, type Interval } from './stats';
import { promptCacheHitRate } from '../cost';

export interface EvalRow {
  problemId: string;
  line: number;
  variant: Variant;
  workflowId: string;
  /** This invocation found the run already started (or finished) and re-attached to it. */
  attached: boolean;
  /** The run's status, or `error` when no result document could be read. */
  status: Result['status'] | 'error';
  pass: boolean;
  answer: string | null;
  /** What the scorer read out of the answer: the number, the boxed expression, the code. */
  extracted: string | null;
  expected: string;
  scoreDetail: string;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  /** Of inputTokens, those served from the model servers' prompt caches; absent when the servers do not say. */
  cachedInputTokens?: number;
  /** Workflow start to finish (the run's own clock, so a re-attached run keeps its first timing). */
  wallMs: number | null;
  /**
   * Summed durations of the run's model calls (agents and meta-agents), including time
   * queued at a busy model server; wall time minus this is the engine's own share.
   */
  modelMs: number | null;
  reason?: string;
  rectifications: { version: number; trigger: string; source: string }[];
  /** Every meta-agent decision: source model (first try), repair, fallback, ablation, forced. */
  decisions: { role: MetaRole; source: string; backbone?: string }[];
}

export function rowOf(base: Pick<EvalRow, 'problemId' | 'line' | 'variant' | 'workflowId' | 'attached' | 'expected'>, r: Result, score: { pass: boolean; extracted: string | null; detail: string }): EvalRow {
  const wall = r.finishedAt ? Date.parse(r.finishedAt) - Date.parse(r.startedAt) : NaN;
  return {
    ...base,
    status: r.status,
    pass: score.pass,
    answer: r.answer,
    extracted: score.extracted,
    scoreDetail: score.detail,
    costUsd: r.cost.usd,
    inputTokens: r.cost.inputTokens,
    outputTokens: r.cost.outputTokens,
    ...(r.cost.cachedInputTokens !== undefined ? { cachedInputTokens: r.cost.cachedInputTokens } : {}),
    wallMs: Number.isFinite(wall) ? wall : null,
    modelMs: r.steps.filter((st) => st.kind === 'llm' || st.kind === 'meta').reduce((sum, st) => sum + st.durationMs, 0),
    reason: r.reason,
    rectifications: r.rectifications.map((x) => ({ version: x.version, trigger: x.trigger.kind, source: x.source })),
    decisions: r.decisions.map((d) => ({ role: d.role, source: d.source, ...(d.backbone ? { backbone: d.backbone } : {}) })),
  };
}

export function errorRow(base: Pick<EvalRow, 'problemId' | 'line' | 'variant' | 'workflowId' | 'attached' | 'expected'>, message: string): EvalRow {
  return { ...base, status: 'error', pass: false, answer: null, extracted: null, scoreDetail: 'not scored', costUsd: 0, inputTokens: 0, outputTokens: 0, wallMs: null, modelMs: null, reason: message, rectifications: [], decisions: [] };
}

export interface MetaCounts {
  /** Decisions the meta-agent's model made: valid on the first try, after the repair round, or replaced by the fallback. */
  model: number;
  repair: number;
  fallback: number;
}

export interface VariantSummary {
  variant: Variant;
  n: number;
  passed: number;
  passRate: number;
  interval: Interval | null;
  meanCostUsd: number;
  totalCostUsd: number;
  meanInputTokens: number;
  meanOutputTokens: number;
  /** Input tokens served from the servers' prompt caches / input tokens, over the runs whose servers say (0–1). */
  promptCacheHitRate: number | null;
  meanWallMs: number | null;
  /** Mean over runs of 1 − model-call time / wall time: what the engine itself (workflow, tools, sandbox) took. */
  meanOutsideModelShare: number | null;
  statuses: Record<string, number>;
  meta: Partial<Record<MetaRole, MetaCounts>>;
  rectifications: { total: number; runs: number; runsPassed: number; byTrigger: Record<string, number>; bySource: Record<string, number> };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export function summarise(rows: EvalRow[], variants: readonly Variant[]): VariantSummary[] {
  return variants.map((variant) => {
    const rs = rows.filter((r) => r.variant === variant);
    const passed = rs.filter((r) => r.pass).length;
    const statuses: Record<string, number> = {};
    for (const r of rs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const meta: Partial<Record<MetaRole, MetaCounts>> = {};
    for (const d of rs.flatMap((r) => r.decisions)) {
      if (d.source !== 'model' && d.source !== 'repair' && d.source !== 'fallback') continue;
      const c = (meta[d.role] ??= { model: 0, repair: 0, fallback: 0 });
      c[d.source]++;
    }
    const rectified = rs.filter((r) => r.rectifications.length > 0);
    const byTrigger: Record<string, number> = {};
    const bySource: Record<string, number> = {};
    for (const x of rs.flatMap((r) => r.rectifications)) {
      byTrigger[x.trigger] = (byTrigger[x.trigger] ?? 0) + 1;
      bySource[x.source] = (bySource[x.source] ?? 0) + 1;
    }
    const walls = rs.map((r) => r.wallMs).filter((w): w is number => w !== null);
    const outside = rs.flatMap((r) => (r.wallMs && r.modelMs !== null && r.modelMs !== undefined ? [Math.max(0, 1 - r.modelMs / r.wallMs)] : []));
    const total = rs.reduce((s, r) => s + r.costUsd, 0);
    const reported = rs.filter((r) => r.cachedInputTokens !== undefined);
    return {
      variant,
      n: rs.length,
      passed,
      passRate: rs.length ? passed / rs.length : 0,
      interval: wilson(passed, rs.length),
      meanCostUsd: rs.length ? total / rs.length : 0,
      totalCostUsd: total,
      meanInputTokens: mean(rs.map((r) => r.inputTokens)),
      meanOutputTokens: mean(rs.map((r) => r.outputTokens)),
      promptCacheHitRate: promptCacheHitRate({ inputTokens: reported.reduce((n, r) => n + r.inputTokens, 0), cachedInputTokens: reported.length ? reported.reduce((n, r) => n + r.cachedInputTokens!, 0) : undefined }),
      meanWallMs: walls.length ? mean(walls) : null,
      meanOutsideModelShare: outside.length ? mean(outside) : null,
      statuses,
      meta,
      rectifications: { total: rs.reduce((s, r) => s + r.rectifications.length, 0), runs: rectified.length, runsPassed: rectified.filter((r) => r.pass).length, byTrigger, bySource },
    };
  });
}
