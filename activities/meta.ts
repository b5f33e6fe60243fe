/**
 * The three meta-agents as activities. Each makes one structured model call
 * (with the structured layer's one repair round), checks the answer against
 * the model's own rules, and falls back to rules when the model cannot help.
 */
import { z } from 'zod';
import type { GenerateInput, ImplementInput, MetaResult, RectifyInput, RectifyValue } from '../mas/contract';
import {
  ImplementerOutputSchema,
  BlueprintChoiceSchema,
  PatchSchema,
  type Assignment,
  type Backbone,
  type BlueprintChoice,
  type ImplementerOutput,
  type MetaDecision,
  type MetaRole,
  type Patch,
  type Template,
  type Usage,
} from '../mas/schemas';
import type { ChatMessage } from '../mas/messages';
import { templateProblems } from '../mas/graph';
import { expandChoice, type Expansion } from '../mas/blueprints';
import { slotProblems } from '../mas/slots';
import { applyPatch, samePatch } from '../mas/patch';
import { generatorFallback, implementerFallback, rectifierFallback } from '../mas/fallback';
import { metaBackbone, weakVerifiers } from '../mas/pool';
import { metaOutputCap, priceOf } from '../mas/cost';
import { usableTools } from './tools/available';
import { completeStructured } from './models/structured';
import { isBudgetRefusal, withBudget } from './models/budgetGuard';
import { isModelError } from './models/types';
import { ASSIGNMENT_RULES, generatorMessages, implementerMessages, rectifierMessages, withPrior } from '../mas/prompts';
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
  input: { workflowId: string; task: string; seed: number; callKey: string; maxCostUsd?: number },
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
          // The call and its repair round are one conversation (the repair resends the prompt).
          conversation: `${input.workflowId}/${role}/${input.callKey}`,
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

/**
 * The catalogue choice plus what its expansion must satisfy: the team built from it passes the
 * graph rules (by construction; checked so a broken blueprint shows as a repair, not a bad run).
 */
const checkedChoiceSchema = (tools: readonly string[]) =>
  BlueprintChoiceSchema.superRefine((c, ctx) => {
    for (const p of templateProblems(expandChoice(c.blueprint, c, tools).template, tools)) ctx.addIssue({ code: 'custom', message: p });
  });

/** What the decision says about a choice: the blueprint, what was built instead, and why. */
function choiceRationale(c: BlueprintChoice, x: Expansion): string {
  const params = [`answer ${c.answer}`, c.k !== undefined ? `k ${c.k}` : '', c.tools ? `tools [${c.tools.join(', ')}]` : ''].filter(Boolean).join(', ');
  const built = x.built === c.blueprint ? '' : `, built as "${x.built}"`;
  return [`Blueprint "${c.blueprint}" (${params})${built}: ${c.rationale || 'no rationale given'}`, ...x.notes].join('; ');
}

export async function generateTemplate(rt: Runtime, input: GenerateInput): Promise<MetaResult<Template>> {
  const started = Date.now();
  const backbone = metaBackbone(input.pool, 'generator');
  const { names: tools, specs } = await usableTools(input.tools);
  const fallback = (why: string, asked: Asked<unknown> | null, promptRef?: string): MetaResult<Template> => {
    const rule = generatorFallback(input.task, tools, why);
    return result('generator', backbone, rule.value, asked, 'fallback', rule.choice, rule.rationale, promptRef, started);
  };
  if (!input.allowModel) return fallback('No budget left for a model call', null);
  const messages = withPrior(generatorMessages(input.task, tools, specs), 'generator', input.exemplars);
  const promptRef = await rt.blobs.put(JSON.stringify(messages));
  const asked = await ask(rt, 'generator', backbone, messages, checkedChoiceSchema(tools), input, { availableTools: tools, ...(specs ? { tools: specs } : {}) });
  if (!asked.value) return fallback(`Generator output unusable (${asked.error})`, asked, promptRef);
  const expansion = expandChoice(asked.value.blueprint, asked.value, tools);
  return result('generator', backbone, expansion.template, asked, asked.repaired ? 'repair' : 'model', asked.value, choiceRationale(asked.value, expansion), promptRef, started);
}

export async function implementAssignment(
  rt: Runtime,
  input: ImplementInput,
): Promise<MetaResult<{ assignment: Assignment; output: ImplementerOutput | null }>> {
  const started = Date.now();
  const backbone = metaBackbone(input.pool, 'implementer');
  const ids = input.pool.backbones.map((b) => b.id);
  // What the model chose, for the team's agents (a later entry for the same agent wins).
  const chosenBy = (o: ImplementerOutput | null | undefined): Assignment =>
    Object.fromEntries((o?.assignment ?? []).filter((a) => input.template.agents.some((t) => t.id === a.agent)).map((a) => [a.agent, a.backbone]));
  const fallback = (why: string, asked: Asked<ImplementerOutput> | null, promptRef?: string): MetaResult<{ assignment: Assignment; output: ImplementerOutput | null }> => {
    const rule = implementerFallback(input.template, input.pool, why, chosenBy(asked?.value));
    return result('implementer', backbone, { assignment: rule.value, output: asked?.value ?? null }, asked, 'fallback', rule.value, rule.rationale, promptRef, started);
  };
  if (!input.allowModel) return fallback('No budget left for a model call', null);
  const Checked = ImplementerOutputSchema.superRefine((o, ctx) => {
    for (const a of o.assignment) {
      if (!ids.includes(a.backbone)) ctx.addIssue({ code: 'custom', message: ASSIGNMENT_RULES.notInPool(a.agent, a.backbone, ids) });
    }
    if (!o.assignment.some((a) => input.template.agents.some((t) => t.id === a.agent))) {
      ctx.addIssue({ code: 'custom', message: ASSIGNMENT_RULES.namesNoAgent(input.template.agents.map((t) => t.id)) });
    }
    const chosen = Object.fromEntries(o.assignment.filter((a) => ids.includes(a.backbone)).map((a) => [a.agent, a.backbone]));
    for (const p of weakVerifiers(input.template, chosen, input.pool)) ctx.addIssue({ code: 'custom', message: p });
  });
  const messages = withPrior(implementerMessages(input.task, input.template, input.pool), 'implementer', input.exemplars);
  const promptRef = await rt.blobs.put(JSON.stringify(messages));
  const asked = await ask(rt, 'implementer', backbone, messages, Checked, input, { template: input.template, pool: input.pool });
  if (!asked.value) return fallback(`Implementer output unusable (${asked.error})`, asked, promptRef);
  const assignment = chosenBy(asked.value);
  const missing = input.template.agents.map((a) => a.id).filter((id) => !assignment[id]);
  // Counted as a fallback, not as valid output: the model left agents out and the rule chose for them.
  if (missing.length) return fallback(`Implementer left ${missing.join(', ')} without a backbone${asked.value.rationale ? ` (its rationale: ${asked.value.rationale})` : ''}`, asked, promptRef);
  // The slots a checker needs are rules (above); a deciding agent below the strongest is the model's
  // cost trade-off, kept and shown as the slot diff in the decision.
  const below = slotProblems(input.template, assignment, input.pool);
  const rationale = below.length ? `${asked.value.rationale}${asked.value.rationale ? '; ' : ''}below their slot: ${below.join('; ')}` : asked.value.rationale;
  return result('implementer', backbone, { assignment, output: asked.value }, asked, asked.repaired ? 'repair' : 'model', asked.value, rationale, promptRef, started);
}

export async function rectify(rt: Runtime, input: RectifyInput): Promise<MetaResult<RectifyValue>> {
  const started = Date.now();
  const backbone = metaBackbone(input.pool, 'rectifier');
  const finished = new Set(input.finished);
  const { names: tools, specs } = await usableTools(input.tools);
  const fallback = (why: string, asked: Asked<unknown> | null, promptRef?: string): MetaResult<RectifyValue> => {
    const rule = rectifierFallback({ config: input.config, pool: input.pool, trigger: input.trigger, finished, previousPatches: input.previousPatches, tools }, why);
    const value: RectifyValue = rule.patch ? { patch: rule.patch, source: 'fallback' } : { patch: null, source: 'fallback', reason: rule.reason };
    return result('rectifier', backbone, value, asked, 'fallback', rule.patch, rule.rationale, promptRef, started);
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
  const messages = withPrior(rectifierMessages(input.task, input.config, input.state, input.trigger, input.pool, tools, specs), 'rectifier', input.exemplars);
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
