/**
 * The design decisions: the Generator's template and the Implementer's
 * assignment, from their activities when they ran, else reconstructed from
 * the best evidence left (result document, later inputs, task input, rules).
 */
import type { Assignment, Template } from '../../../mas/schemas';
import type { MetaResult } from '../../../mas/contract';
import { DEFAULT_TEMPLATE } from '../../../mas/templates';
import { generatorFallback, implementerFallback } from '../../../mas/fallback';
import { KNOWN_TOOLS } from '../../../mas/tools';
import type { Audit } from '../schemas';
import { decidedByActivity, parseAssignment, parseTemplate, spanMs, type Context } from './context';

export function projectGenerator(c: Context): Audit['generator'] {
  const { genAct, implAct, options, input } = c;
  const generator: Audit['generator'] = { source: 'unknown', fromMetaAgent: false, evidence: 'none', rationale: '', costUsd: 0, template: null };
  if (genAct) {
    generator.attempts = genAct.attempt;
    generator.backbone = c.metaBackboneId('generator');
    generator.durationMs = spanMs(genAct);
  }
  if (genAct?.outcome === 'completed') {
    const r = genAct.result as MetaResult<Template>;
    Object.assign(generator, decidedByActivity(r), { template: parseTemplate(r.value) });
  } else if (genAct && !genAct.outcome) {
    generator.source = 'pending';
  } else {
    if (genAct) generator.error = genAct.failure?.message ?? `activity ${genAct.outcome ?? 'did not finish'}`;
    const d = c.decisionOf('generator');
    const implTemplate = parseTemplate((implAct?.input as { template?: unknown } | undefined)?.template);
    const fromState = d ? parseTemplate(d.output) : null;
    const inferred = genAct ? 'fallback' : options.template ? 'forced' : 'ablation';
    if (fromState) Object.assign(generator, { source: d!.source, evidence: 'result', rationale: d!.rationale, template: fromState });
    else if (implTemplate) Object.assign(generator, { source: inferred, evidence: 'implementer-input', template: implTemplate });
    else if (c.v1FromRectifier) Object.assign(generator, { source: inferred, evidence: 'rectifier-input', template: c.v1FromRectifier.template });
    else if (options.template) Object.assign(generator, { source: 'forced', evidence: 'task-input', rationale: 'template given by the caller', template: parseTemplate(options.template) });
    else if (options.generator === false) Object.assign(generator, { source: 'ablation', evidence: 'built-in', rationale: '--no-generator: fixed default template', template: DEFAULT_TEMPLATE });
    else if (genAct && input.task) {
      // The workflow's own fallback: the rule, with the tools it passes (it cannot see whether search works).
      const rule = generatorFallback(input.task, KNOWN_TOOLS.filter((t) => t !== 'search'), `Generator failed (${generator.error})`);
      Object.assign(generator, { source: 'fallback', evidence: 'built-in', rationale: rule.rationale, template: rule.value });
    }
    if (!generator.rationale && generator.source === 'forced') generator.rationale = 'template given by the caller';
    if (!generator.rationale && generator.source === 'ablation') generator.rationale = '--no-generator: fixed default template';
    if (!generator.rationale && generator.source === 'fallback') generator.rationale = `Generator failed (${generator.error ?? 'unknown error'}); built-in template for the task kind.`;
  }
  return generator;
}

export function projectImplementer(c: Context, generator: Audit['generator']): Audit['implementer'] {
  const { implAct, options, pool } = c;
  const implementer: Audit['implementer'] = { source: 'unknown', fromMetaAgent: false, evidence: 'none', rationale: '', costUsd: 0, assignment: null, rows: [] };
  let reasons: Record<string, string> = {};
  if (implAct) {
    implementer.attempts = implAct.attempt;
    implementer.backbone = c.metaBackboneId('implementer');
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
    const d = c.decisionOf('implementer');
    const fromState = d ? parseAssignment(d.output) : null;
    if (fromState) Object.assign(implementer, { source: d!.source, evidence: 'result', rationale: d!.rationale, assignment: fromState });
    else if (c.v1FromRectifier) Object.assign(implementer, { source: implAct ? 'fallback' : options.assignment ? 'forced' : 'ablation', evidence: 'rectifier-input', assignment: c.v1FromRectifier.assignment });
    else if (options.assignment) Object.assign(implementer, { source: 'forced', evidence: 'task-input', assignment: { ...allDefault(generator.template), ...options.assignment } });
    else if (implAct && pool) {
      const rule = implementerFallback(generator.template, pool, `Implementer failed (${implementer.error})`);
      Object.assign(implementer, { source: 'fallback', evidence: 'built-in', rationale: rule.rationale, assignment: rule.value });
    } else if (options.implementer === false) Object.assign(implementer, { source: 'ablation', evidence: 'built-in', assignment: allDefault(generator.template) });
    if (!implementer.rationale && implementer.source === 'forced') implementer.rationale = 'assignment given by the caller';
    if (!implementer.rationale && implementer.source === 'ablation') implementer.rationale = `--no-implementer: every agent on ${pool?.default ?? 'the default backbone'}`;
    if (!implementer.rationale && implementer.source === 'fallback') implementer.rationale = `Implementer failed (${implementer.error ?? 'unknown error'}); rule-based assignment`;
  }
  if (implementer.assignment) {
    const t = generator.template;
    const ids = t ? t.agents.map((a) => a.id) : Object.keys(implementer.assignment);
    implementer.rows = ids.map((agent) => {
      const backbone = implementer.assignment![agent] ?? '?';
      const p = c.pricing(backbone);
      return { agent, role: t?.agents.find((a) => a.id === agent)?.role, backbone, inputPerM: p?.inputPerM ?? null, outputPerM: p?.outputPerM ?? null, reason: reasons[agent] };
    });
  }
  return implementer;
}
