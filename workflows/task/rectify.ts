/**
 * The Rectifier: when a trigger fires, ask for a patch to M_t (or fall back to a rule), apply
 * it, keep the outputs it does not invalidate, and let the scheduler resume from s_t.
 */
import { isCancellation } from '@temporalio/workflow';
import type { Patch, Rectification, Trigger } from '../../mas/schemas';
import type { RunState } from '../../mas/runState';
import { applyPatch, survivingOutputs } from '../../mas/patch';
import { fallbackPatch } from '../../mas/fallback';
import { summariseState } from '../../mas/summary';
import { MODEL_ATTEMPTS, failureInfo, models } from './activities';
import type { RunContext } from './context';

export async function rectifyOn(ctx: RunContext, trigger: Trigger): Promise<void> {
  const { s, opts, pool } = ctx;
  const config = s.config!;
  if (trigger.kind === 'budget') s.budgetTriggerFired = true;
  if (trigger.kind === 'projected_budget') s.projectedFiredAtVersion = config.version;
  const budgetKind = trigger.kind === 'budget' || trigger.kind === 'projected_budget';
  const named = `${trigger.kind} trigger: ${trigger.detail}`;
  // A rejection that cannot be fixed is never a completed answer: the run ends unverified
  // with the rejected candidate as its answer (mas/answer.ts), and the reason says why.
  const giveUp = (why: string) =>
    trigger.kind === 'verifier' ? ctx.finish('unverified', `the verifier ${trigger.agent} rejected the answer and ${why}: ${trigger.detail}`) : ctx.finish('failed', `${named} (${why})`);
  if (!opts.rectifier) {
    if (budgetKind) return; // without a Rectifier the hard budget alone guards spending
    giveUp('the Rectifier is off (--no-rectifier)');
    return;
  }
  if (s.rectifications.length >= opts.maxRectifications) {
    if (budgetKind || trigger.kind === 'external') return;
    giveUp(`the rectification cap of ${opts.maxRectifications} was reached`);
    return;
  }
  if (opts.branchOnTrigger) {
    s.branch = { trigger, state: JSON.parse(JSON.stringify({ ...s, status: 'running', branch: undefined })) as RunState };
    ctx.finish('branched', `stopped at the ${trigger.kind} trigger so Rectifier samples can branch from here`);
    return;
  }
  const finished = Object.keys(s.outputs);
  let value: { patch: Patch | null; source: Rectification['source']; reason?: string };
  try {
    const r = await models.rectify({
      ...ctx.metaBase('rectifier'),
      config,
      trigger,
      state: summariseState(s.cost.usd, s.budgetUsd, s.outputs, s.steps, s.appliedPatches),
      finished,
      previousPatches: s.appliedPatches,
    });
    ctx.payMeta('rectifier', r.backbone, r.usage, r.decision, r.attempts, r.durationMs);
    value = r.value;
  } catch (e) {
    if (isCancellation(e)) throw e;
    const f = failureInfo(e, MODEL_ATTEMPTS);
    const patch = fallbackPatch(config, pool, trigger, new Set(finished), s.appliedPatches);
    value = patch ? { patch, source: 'fallback' } : { patch: null, source: 'fallback', reason: `Rectifier failed (${f.message}) and no rule applies` };
    s.decisions.push({ role: 'rectifier', source: 'fallback', output: patch, rationale: `Rectifier failed (${f.message}); rule-based fallback`, costUsd: 0 });
    ctx.record({ agent: 'rectifier', kind: 'meta', name: 'rectifier', callIndex: ctx.nextIndex(s.counters.metaIndex, 'rectifier'), status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message });
  }
  if (!value.patch) {
    if (budgetKind) return;
    giveUp(`no patch: ${value.reason ?? 'the Rectifier proposed nothing'}`);
    return;
  }
  commitPatch(ctx, trigger, value.patch, value.source, s.decisions[s.decisions.length - 1]?.costUsd ?? 0);
}

/** M_{t+1} = apply(M_t, patch); keep what the patch does not invalidate and resume from s_t. */
export function commitPatch(ctx: RunContext, trigger: Trigger, patch: Patch, source: Rectification['source'], costUsd: number): void {
  const { s, pool, knownTools } = ctx;
  const config = s.config!;
  const budgetKind = trigger.kind === 'budget' || trigger.kind === 'projected_budget';
  let next;
  try {
    next = applyPatch(config, patch, pool, knownTools);
  } catch (e) {
    if (budgetKind) return;
    ctx.finish('failed', `${trigger.kind} trigger: ${trigger.detail}; the patch could not be applied: ${(e as Error).message}`);
    return;
  }
  const { kept, rerun } = survivingOutputs(s.outputs, next, s.rounds);
  // A rejected verdict must be given again after the fix, even when the verifier itself is unchanged.
  if (trigger.kind === 'verifier' && trigger.agent) delete kept[trigger.agent];
  s.rectifications.push({
    version: next.version,
    fromVersion: config.version,
    trigger,
    scope: patch.scope,
    patch: patch.ops,
    rationale: patch.rationale,
    source,
    rerun: trigger.kind === 'verifier' && trigger.agent && !rerun.includes(trigger.agent) ? [...rerun, trigger.agent] : rerun,
    kept: Object.keys(kept),
    costUsd,
  });
  s.appliedPatches.push(patch.ops);
  s.config = next;
  s.outputs = kept;
}
