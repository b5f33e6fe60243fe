/**
 * The Rectifier: when a trigger fires, ask for a patch to M_t (or fall back to a rule), apply
 * it, keep the outputs it does not invalidate, and let the scheduler resume from s_t. What is
 * particular to a kind of trigger — how the run ends when it cannot be fixed, what re-runs —
 * is in its descriptor (mas/triggers/).
 */
import { isCancellation } from '@temporalio/workflow';
import type { Patch, Rectification, Trigger } from '../../mas/schemas';
import type { RunState } from '../../mas/runState';
import { applyPatch, survivingOutputs } from '../../mas/patch';
import { rectifierFallback } from '../../mas/fallback';
import { giveUp, markFired, rerunAfter, type Unfixable } from '../../mas/triggers';
import { summariseState } from '../../mas/summary';
import { MODEL_ATTEMPTS, failureInfo, models } from './activities';
import type { RunContext } from './context';

/** The trigger stands: the run ends as its kind says (or goes on, for the budget kinds). */
function unfixable(ctx: RunContext, trigger: Trigger, cause: Unfixable['cause'], why: string): void {
  const end = giveUp(trigger, { cause, why });
  if (end) ctx.finish(end.status, end.reason);
}

export async function rectifyOn(ctx: RunContext, trigger: Trigger): Promise<void> {
  const { s, opts, pool, knownTools } = ctx;
  const config = s.config!;
  s.fired = markFired(s.fired, trigger, config.version);
  if (!opts.rectifier) return unfixable(ctx, trigger, 'rectifier off', 'the Rectifier is off (--no-rectifier)');
  if (s.rectifications.length >= opts.maxRectifications) return unfixable(ctx, trigger, 'cap reached', `the rectification cap of ${opts.maxRectifications} was reached`);
  if (opts.branchOnTrigger) {
    s.branch = { trigger, state: JSON.parse(JSON.stringify({ ...s, status: 'running', branch: undefined })) as RunState };
    ctx.finish('branched', `stopped at the ${trigger.kind} trigger so Rectifier samples can branch from here`);
    return;
  }
  const finished = Object.keys(s.outputs);
  let value: { patch: Patch | null; source: Rectification['source']; reason?: string };
  s.rectifying = trigger.kind;
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
    const rule = rectifierFallback({ config, pool, trigger, finished: new Set(finished), previousPatches: s.appliedPatches, tools: knownTools }, `Rectifier failed (${f.message})`);
    value = { patch: rule.patch, source: 'fallback', reason: rule.reason };
    s.decisions.push({ role: 'rectifier', source: 'fallback', output: rule.patch, rationale: rule.rationale, costUsd: 0 });
    ctx.record({ agent: 'rectifier', kind: 'meta', name: 'rectifier', callIndex: ctx.nextIndex(s.counters.metaIndex, 'rectifier'), status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message });
  } finally {
    delete s.rectifying;
  }
  if (!value.patch) return unfixable(ctx, trigger, 'no patch', `no patch: ${value.reason ?? 'the Rectifier proposed nothing'}`);
  commitPatch(ctx, trigger, value.patch, value.source, s.decisions[s.decisions.length - 1]?.costUsd ?? 0);
}

/** M_{t+1} = apply(M_t, patch); keep what the patch does not invalidate and resume from s_t. */
export function commitPatch(ctx: RunContext, trigger: Trigger, patch: Patch, source: Rectification['source'], costUsd: number): void {
  const { s, pool, knownTools } = ctx;
  const config = s.config!;
  let next;
  try {
    next = applyPatch(config, patch, pool, knownTools);
  } catch (e) {
    return unfixable(ctx, trigger, 'patch inapplicable', `the patch could not be applied: ${(e as Error).message}`);
  }
  const { kept, rerun } = survivingOutputs(s.outputs, next, s.rounds);
  const again = rerunAfter(trigger);
  for (const id of again) delete kept[id];
  s.rectifications.push({
    version: next.version,
    fromVersion: config.version,
    trigger,
    scope: patch.scope,
    patch: patch.ops,
    rationale: patch.rationale,
    source,
    rerun: [...rerun, ...again.filter((id) => !rerun.includes(id))],
    kept: Object.keys(kept),
    costUsd,
  });
  s.appliedPatches.push(patch.ops);
  s.config = next;
  s.outputs = kept;
}
