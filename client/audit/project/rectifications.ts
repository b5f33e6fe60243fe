/**
 * Rectifications: the Rectifier activity's trigger, s_t, M_t and patch (or
 * the rule-based fallback the workflow ran when it failed), and the patch a
 * branch starts from. Applying the patch is ConfigHistory.commit.
 */
import type { MetaResult, RectifyInput, RectifyValue } from '../../../mas/contract';
import { ConfigSchema, PatchSchema, TriggerSchema, type PatchOp } from '../../../mas/schemas';
import { rectifierFallback } from '../../../mas/fallback';
import { toolNamesOf } from '../../../mas/tools';
import { iso, type Activity } from '../history';
import { StateSummarySchema, type RectificationAudit } from '../schemas';
import { metaFromModel } from './context';
import type { Projection, StepBase } from './steps';

export function reduceRectification(p: Projection, a: Activity, base: StepBase): void {
  const { c, h } = p;
  const r = a.outcome === 'completed' ? (a.result as MetaResult<RectifyValue>) : undefined;
  const inp = a.input as RectifyInput;
  const parsedConfig = ConfigSchema.safeParse(inp?.config);
  const mt = parsedConfig.success ? parsedConfig.data : h.current;
  const parsedState = StateSummarySchema.safeParse(inp?.state);
  const trigger = TriggerSchema.safeParse(inp?.trigger);
  const rec: RectificationAudit = {
    index: p.rectifications.length + 1,
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
    backbone: r?.backbone ?? c.metaBackboneId('rectifier'),
    costUsd: r?.decision?.costUsd ?? 0,
    attempts: a.attempt,
    durationMs: base.durationMs ?? undefined,
  };
  p.rectifications.push(rec);
  if (a.outcome === 'completed') {
    const v = r!.value ?? { patch: null, source: 'fallback' };
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
    const fromResult = mt ? h.resultRect(mt.version, null, rec.trigger.kind) : undefined;
    if (fromResult && fromResult.source === 'fallback') {
      rec.patch = { scope: fromResult.scope, ops: fromResult.patch, rationale: fromResult.rationale };
      rec.evidence = 'result';
    } else if (mt && c.pool) {
      const rule = rectifierFallback(
        { config: mt, pool: c.pool, trigger: rec.trigger, finished: new Set(inp?.finished ?? []), previousPatches: (inp?.previousPatches ?? []) as PatchOp[][], tools: toolNamesOf(c.input.tools) },
        `Rectifier failed (${rec.error})`,
      );
      rec.patch = rule.patch;
      rec.evidence = 'replayed-rule';
    }
    rec.rationale = `Rectifier failed (${rec.error}); rule-based fallback${rec.patch?.rationale ? `: ${rec.patch.rationale}` : ''}`;
    if (!rec.patch) rec.reason = 'the Rectifier failed and no rule-based fallback applies';
  }
  if (rec.patch) h.commit(rec, mt);
}

/** A branch (CTO, what-if) starts from a saved s_t and applies a given patch first: not a meta-agent decision in this run. */
export function reduceBranchStart(p: Projection): void {
  const { c, h } = p;
  const resume = c.input.resume;
  if (!resume) return;
  const saved = resume.state as { config?: unknown; storageFault?: { kind?: string; ref?: string; agent?: string; step?: number } } | undefined;
  const parsed = ConfigSchema.safeParse(saved?.config);
  if (!resume.patch) {
    // Resumed after a storage fault: the same run going on from its saved s_t, nothing decided anew.
    if (parsed.success) h.adopt(parsed.data, 'design', `v${parsed.data.version} · from the saved state`);
    const f = saved?.storageFault;
    c.notes.push(
      `this run resumed from the saved state s_t of an earlier run of ${c.workflowId}${f ? ` that stopped on a storage fault (blob ${f.ref} ${f.kind}, agent ${f.agent}, step ${f.step})` : ''}; its steps and decisions before that point are in the earlier run's history`,
    );
    return;
  }
  if (parsed.success) h.adopt(parsed.data, 'design', `v${parsed.data.version} · inherited from ${c.input.parentWorkflowId ?? 'the parent run'}`);
  const patch = PatchSchema.safeParse(resume.patch);
  const trigger = TriggerSchema.safeParse(resume.trigger);
  const rec: RectificationAudit = {
    index: 1,
    run: 0,
    at: iso(c.first?.startedAt),
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
    rationale: resume.rationale || (patch.success ? patch.data.rationale : ''),
    reason: 'branch start: the patch was given with the task (a Rectifier sample of the parent run), not decided in this run',
    diff: [],
    costUsd: 0,
  };
  p.rectifications.push(rec);
  h.commit(rec, rec.config);
  c.notes.push(`this run is a branch of ${c.input.parentWorkflowId ?? 'another run'}: its decisions before the branch point are in that run's audit`);
}
