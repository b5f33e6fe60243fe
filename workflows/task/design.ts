/**
 * Design: the Generator writes the team's template, the Implementer assigns a backbone to
 * each agent. Either may be forced by the caller, switched off (ablation), or fall back to
 * a rule when its call fails; every decision is recorded.
 */
import { isCancellation, patched } from '@temporalio/workflow';
import type { Template } from '../../mas/schemas';
import { DEFAULT_TEMPLATE, fallbackTemplate } from '../../mas/templates';
import { generatorFallback, implementerFallback } from '../../mas/fallback';
import { MODEL_ATTEMPTS, failureInfo, models } from './activities';
import type { RunContext } from './context';

/** The Generator's fallback of runs recorded before it chose from the catalogue: the built-in team for the task kind. */
function legacyGeneratorFallback(task: string, tools: readonly string[], why: string): { value: Template; choice?: undefined; rationale: string } {
  const value = fallbackTemplate(task, tools);
  return { value, rationale: `${why}; built-in template "${value.name}" for the task kind.` };
}

/** Sets M_0 = (template, assignment), version 1. */
export async function design(ctx: RunContext): Promise<void> {
  const { s, opts, pool, input, knownTools } = ctx;
  let template: Template;
  if (opts.template) {
    template = opts.template;
    s.decisions.push({ role: 'generator', source: 'forced', output: template, rationale: 'template given by the caller', costUsd: 0 });
  } else if (!opts.generator) {
    template = DEFAULT_TEMPLATE;
    s.decisions.push({ role: 'generator', source: 'ablation', output: template, rationale: '--no-generator: fixed default template', costUsd: 0 });
  } else {
    try {
      const r = await models.generateTemplate(ctx.metaBase('generator'));
      ctx.payMeta('generator', r.backbone, r.usage, r.decision, r.attempts, r.durationMs);
      template = r.value;
    } catch (e) {
      if (isCancellation(e)) throw e;
      const f = failureInfo(e, MODEL_ATTEMPTS);
      // The workflow cannot look at the documents folder: the fallback team then goes without search.
      const tools = knownTools.filter((t) => t !== 'search');
      const why = `Generator failed (${f.message})`;
      // The same rule as when the Generator's answer is unusable; runs recorded before it got the built-in team for the kind.
      const rule = patched('generator-catalogue') ? generatorFallback(input.task, tools, why) : legacyGeneratorFallback(input.task, tools, why);
      template = rule.value;
      s.decisions.push({ role: 'generator', source: 'fallback', output: rule.choice ?? template, rationale: rule.rationale, costUsd: 0 });
      ctx.record({ agent: 'generator', kind: 'meta', name: 'generator', callIndex: ctx.nextIndex(s.counters.metaIndex, 'generator'), status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message });
    }
  }
  let assignment: Record<string, string>;
  const allDefault = Object.fromEntries(template.agents.map((a) => [a.id, pool.default]));
  if (opts.assignment) {
    assignment = { ...allDefault, ...opts.assignment };
    s.decisions.push({ role: 'implementer', source: 'forced', output: assignment, rationale: 'assignment given by the caller', costUsd: 0 });
  } else if (!opts.implementer) {
    assignment = allDefault;
    s.decisions.push({ role: 'implementer', source: 'ablation', output: assignment, rationale: `--no-implementer: every agent on ${pool.default}`, costUsd: 0 });
  } else {
    try {
      const r = await models.implementAssignment({ ...ctx.metaBase('implementer'), template });
      ctx.payMeta('implementer', r.backbone, r.usage, r.decision, r.attempts, r.durationMs);
      assignment = r.value.assignment;
    } catch (e) {
      if (isCancellation(e)) throw e;
      const f = failureInfo(e, MODEL_ATTEMPTS);
      const why = `Implementer failed (${f.message})`;
      // The same rule as when the Implementer's answer is unusable; runs recorded before it used the default backbone.
      const rule = patched('implementer-fallback') ? implementerFallback(template, pool, why) : { value: allDefault, rationale: `${why}; default backbone` };
      assignment = rule.value;
      s.decisions.push({ role: 'implementer', source: 'fallback', output: assignment, rationale: rule.rationale, costUsd: 0 });
      ctx.record({ agent: 'implementer', kind: 'meta', name: 'implementer', callIndex: ctx.nextIndex(s.counters.metaIndex, 'implementer'), status: 'failed', attempts: f.attempts, costUsd: 0, durationMs: 0, error: f.message });
    }
  }
  s.config = { template, assignment, version: 1 };
}
