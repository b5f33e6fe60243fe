/**
 * The three meta-agents as activities. Each makes one structured model call
 * (with the structured layer's one repair round), checks the answer against
 * the model's own rules, and falls back to rules when the model cannot help.
 */
import { z } from 'zod';
import type { GenerateInput, ImplementInput, MetaResult, RectifyInput, RectifyValue } from '../mas/contract';
import {
  ImplementerOutputSchema,
  PatchSchema,
  TemplateSchema,
  type Assignment,
  type Backbone,
  type ImplementerOutput,
  type MetaDecision,
  type MetaRole,
  type Patch,
  type Template,
  type Usage,
} from '../mas/schemas';
import type { ChatMessage } from '../mas/messages';
import { obviousFinalAgent, templateProblems } from '../mas/graph';
import { applyPatch, samePatch } from '../mas/patch';
import { fallbackPatch } from '../mas/fallback';
import { metaBackbone, strongestBackbone, weakVerifiers } from '../mas/pool';
import { metaOutputCap, priceOf } from '../mas/cost';
import { fallbackTemplate } from '../mas/templates';
import { usableTools } from './tools/available';
import { completeStructured } from './models/structured';
import { isBudgetRefusal, withBudget } from './models/budgetGuard';
import { isModelError } from './models/types';
import { generatorMessages, implementerMessages, rectifierMessages } from './prompts';
import { activityInfo, clientFor, toFailure, withHeartbeat, type Runtime } from './runtime';

interface Asked<T> {
  value: T | null;
  usage: Usage;
  repaired: boolean;
  error?: string;
}

const NO_USAGE: Usage = { inputTokens: 0, outputTokens: 0 };

/**
 * One structured call. A schema violation that survives the repair round is
 * not thrown: the caller falls back to rules and records why. Transient
 * errors are thrown so Temporal retries them.
 */
async function ask<T>(
  rt: Runtime,
  role: MetaRole,
  backbone: Backbone,
  messages: ChatMessage[],
  schema: z.ZodType<T>,
  input: { task: string; seed: number; callKey: string; maxCostUsd?: number },
  extra: Record<string, unknown>,
): Promise<Asked<T>> {
  const info = activityInfo();
  try {
    const r = await withHeartbeat(
      completeStructured(
        withBudget(clientFor(rt, backbone), input.maxCostUsd),
        {
          backbone,
          messages,
          maxOutputTokens: metaOutputCap(role, backbone),
          signal: info.signal,
          sim: { purpose: role, task: input.task, seed: input.seed, callKey: `${input.callKey}#${info.attempt}`, extra },
        },
        schema,
        role,
      ),
      info.heartbeat,
    );
    return { value: r.value, usage: r.usage, repaired: r.repaired };
  } catch (e) {
    // Not started: the exact prompt and its output cap would not fit what is left of the budget.
    if (isBudgetRefusal(e)) return { value: null, usage: NO_USAGE, repaired: false, error: `not asked, the budget cannot pay for it: ${e.message}` };
    // A schema failure still consumed tokens on both calls; they are billed.
    if (isModelError(e) && !e.retryable) return { value: null, usage: (e as { usage?: Usage }).usage ?? NO_USAGE, repaired: true, error: e.message };
    throw toFailure(e, `${role} on ${backbone.id}`);
  }
}

function result<T>(
  role: MetaRole,
  backbone: Backbone,
  value: T,
  asked: Asked<unknown> | null,
  source: MetaDecision['source'],
  output: unknown,
  rationale: string,
  promptRef: string | undefined,
  started: number,
): MetaResult<T> {
  const usage = asked?.usage ?? NO_USAGE;
  const costUsd = priceOf(usage, backbone);
  return {
    value,
    usage,
    backbone: backbone.id,
    attempts: activityInfo().attempt,
    durationMs: Date.now() - started,
    decision: { role, backbone: backbone.id, source, promptRef, output, rationale, costUsd },
  };
}

/** The template schema plus the graph rules, so the repair round also fixes cycles, unreachable agents and unavailable tools. */
const checkedTemplateSchema = (tools: readonly string[], rewritten: WeakMap<Template, string>) =>
  TemplateSchema.transform((t) => {
    // A design that names the wrong final agent gets its one last agent, by rule (counted as a repair).
    const sink = obviousFinalAgent(t);
    if (!sink) return t;
    const fixed = { ...t, finalAgent: sink };
    rewritten.set(fixed, `final agent "${t.finalAgent}" → "${sink}", the team's only last agent, by rule`);
    return fixed;
  }).superRefine((t, ctx) => {
    for (const p of templateProblems(t, tools)) ctx.addIssue({ code: 'custom', message: p });
  });

export async function generateTemplate(rt: Runtime, input: GenerateInput): Promise<MetaResult<Template>> {
  const started = Date.now();
  const backbone = metaBackbone(input.pool, 'generator');
  const { names: tools, specs } = await usableTools(input.tools);
  const fallback = fallbackTemplate(input.task, tools);
  if (!input.allowModel) {
    return result('generator', backbone, fallback, null, 'fallback', fallback, 'No budget left for a model call: built-in template for the task kind.', undefined, started);
  }
  const messages = generatorMessages(input.task, tools, specs);
  const promptRef = await rt.blobs.put(JSON.stringify(messages));
  const rewritten = new WeakMap<Template, string>();
  const asked = await ask(rt, 'generator', backbone, messages, checkedTemplateSchema(tools, rewritten), input, { availableTools: tools, ...(specs ? { tools: specs } : {}) });
  if (asked.value) {
    const rewrite = rewritten.get(asked.value);
    const why = `Template "${asked.value.name}" with ${asked.value.agents.length} agents${rewrite ? `; ${rewrite}` : ''}.`;
    return result('generator', backbone, asked.value, asked, asked.repaired || rewrite ? 'repair' : 'model', asked.value, why, promptRef, started);
  }
  return result('generator', backbone, fallback, asked, 'fallback', fallback, `Generator output unusable (${asked.error}); built-in template for the task kind.`, promptRef, started);
}

export async function implementAssignment(
  rt: Runtime,
  input: ImplementInput,
): Promise<MetaResult<{ assignment: Assignment; output: ImplementerOutput | null }>> {
  const started = Date.now();
  const backbone = metaBackbone(input.pool, 'implementer');
  const ids = input.pool.backbones.map((b) => b.id);
  // When the model's answer is unusable or incomplete, agents go on the pool's strongest backbone:
  // a weak model's missing choice should not put the team on the weakest one (issue 16). The
  // budget guard and the projected-budget trigger still stop a team that would overrun.
  const strongest = strongestBackbone(input.pool).id;
  const ruleAssignment = Object.fromEntries(input.template.agents.map((a) => [a.id, strongest]));
  if (!input.allowModel) {
    const fallback = Object.fromEntries(input.template.agents.map((a) => [a.id, input.pool.default]));
    return result('implementer', backbone, { assignment: fallback, output: null }, null, 'fallback', fallback, 'No budget left for a model call: every agent on the default backbone.', undefined, started);
  }
  const Checked = ImplementerOutputSchema.superRefine((o, ctx) => {
    for (const a of o.assignment) {
      if (!ids.includes(a.backbone)) ctx.addIssue({ code: 'custom', message: `agent "${a.agent}": backbone "${a.backbone}" is not in the pool (${ids.join(', ')})` });
    }
    if (!o.assignment.some((a) => input.template.agents.some((t) => t.id === a.agent))) {
      ctx.addIssue({ code: 'custom', message: `the assignment names none of the agents (${input.template.agents.map((t) => t.id).join(', ')})` });
    }
    const chosen = Object.fromEntries(o.assignment.filter((a) => ids.includes(a.backbone)).map((a) => [a.agent, a.backbone]));
    for (const p of weakVerifiers(input.template, chosen, input.pool)) ctx.addIssue({ code: 'custom', message: p });
  });
  const messages = implementerMessages(input.task, input.template, input.pool);
  const promptRef = await rt.blobs.put(JSON.stringify(messages));
  const asked = await ask(rt, 'implementer', backbone, messages, Checked, input, { template: input.template, pool: input.pool });
  if (asked.value) {
    const assignment: Assignment = { ...ruleAssignment };
    for (const a of asked.value.assignment) if (a.agent in assignment) assignment[a.agent] = a.backbone;
    const missing = input.template.agents.map((a) => a.id).filter((id) => !asked.value!.assignment.some((a) => a.agent === id));
    if (missing.length) {
      // Counted as a fallback, not as valid output: the model left agents out and a rule chose for them.
      return result('implementer', backbone, { assignment, output: asked.value }, asked, 'fallback', assignment, `Implementer left ${missing.join(', ')} without a backbone; by rule on ${strongest}. ${asked.value.rationale}`.trim(), promptRef, started);
    }
    return result('implementer', backbone, { assignment, output: asked.value }, asked, asked.repaired ? 'repair' : 'model', asked.value, asked.value.rationale, promptRef, started);
  }
  return result('implementer', backbone, { assignment: ruleAssignment, output: null }, asked, 'fallback', ruleAssignment, `Implementer output unusable (${asked.error}); every agent on the strongest backbone ${strongest}.`, promptRef, started);
}

export async function rectify(rt: Runtime, input: RectifyInput): Promise<MetaResult<RectifyValue>> {
  const started = Date.now();
  const backbone = metaBackbone(input.pool, 'rectifier');
  const finished = new Set(input.finished);
  const { names: tools, specs } = await usableTools(input.tools);
  const fallback = (why: string, asked: Asked<unknown> | null, promptRef?: string): MetaResult<RectifyValue> => {
    const patch = fallbackPatch(input.config, input.pool, input.trigger, finished, input.previousPatches);
    const usable = patch && tryApply(patch);
    if (usable) return result('rectifier', backbone, { patch, source: 'fallback' }, asked, 'fallback', patch, `${why}; rule-based fallback: ${patch.rationale}`, promptRef, started);
    return result('rectifier', backbone, { patch: null, source: 'fallback', reason: `${why}; no rule-based fallback applies` }, asked, 'fallback', null, why, promptRef, started);
  };
  const tryApply = (p: Patch): string | true => {
    try {
      applyPatch(input.config, p, input.pool, tools);
      return true;
    } catch (e) {
      return (e as Error).message;
    }
  };
  if (!input.allowModel) return fallback('no budget left for a Rectifier model call', null);

  // The dry run belongs to the schema, so an inapplicable patch gets the repair round like a malformed one.
  const Checked = PatchSchema.superRefine((p, ctx) => {
    const applied = tryApply(p);
    if (applied !== true) ctx.addIssue({ code: 'custom', message: applied });
  });
  const messages = rectifierMessages(input.task, input.config, input.state, input.trigger, input.pool, tools, specs);
  const promptRef = await rt.blobs.put(JSON.stringify(messages));
  const asked = await ask(rt, 'rectifier', backbone, messages, Checked, input, {
    config: input.config,
    pool: input.pool,
    trigger: input.trigger,
    finished: input.finished,
  });
  if (!asked.value) return fallback(`Rectifier output unusable (${asked.error})`, asked, promptRef);
  if (input.previousPatches.some((p) => samePatch(p, asked.value!.ops))) return fallback('the Rectifier proposed a patch that was already applied', asked, promptRef);
  return result('rectifier', backbone, { patch: asked.value, source: asked.repaired ? 'repair' : 'rectifier' }, asked, asked.repaired ? 'repair' : 'model', asked.value, asked.value.rationale, promptRef, started);
}
