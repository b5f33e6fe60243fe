/** Cost accounting: tokens × price, split by backbone and by meta-agents vs. the team. */
import type { Backbone, Cost, MetaRole, Usage } from './schemas';
import type { ChatMessage, ToolDefinition } from './messages';

export function emptyCost(): Cost {
  return { usd: 0, inputTokens: 0, outputTokens: 0, perBackbone: {}, meta: 0, agents: 0, perMetaRole: {} };
}

export function priceOf(usage: Usage, backbone: Pick<Backbone, 'pricing'>): number {
  return (usage.inputTokens * backbone.pricing.inputPerM + usage.outputTokens * backbone.pricing.outputPerM) / 1_000_000;
}

/** Cached input tokens added up; absent while neither side has any report (a server that does not say stays unknown, not 0). */
function sumCached(a: number | undefined, b: number | undefined): { cachedInputTokens?: number } {
  return a === undefined && b === undefined ? {} : { cachedInputTokens: (a ?? 0) + (b ?? 0) };
}

/** Two calls' usage added up (a structured call and its repair round). */
export function addUsage(a: Usage, b: Usage): Usage {
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, ...sumCached(a.cachedInputTokens, b.cachedInputTokens) };
}

/** Share of the input tokens the servers' prompt caches served, 0–1; null when no server reported it. */
export function promptCacheHitRate(c: { inputTokens: number; cachedInputTokens?: number }): number | null {
  if (c.cachedInputTokens === undefined || c.inputTokens <= 0) return null;
  return c.cachedInputTokens / c.inputTokens;
}

/** Returns a new Cost with one call added; `role` set means a meta-agent paid for it. */
export function addCall(cost: Cost, backboneId: string, usage: Usage, usd: number, role?: MetaRole): Cost {
  const prev = cost.perBackbone[backboneId] ?? { usd: 0, inputTokens: 0, outputTokens: 0, calls: 0 };
  const perMetaRole = { ...cost.perMetaRole };
  if (role) perMetaRole[role] = (perMetaRole[role] ?? 0) + usd;
  return {
    usd: cost.usd + usd,
    inputTokens: cost.inputTokens + usage.inputTokens,
    outputTokens: cost.outputTokens + usage.outputTokens,
    ...sumCached(cost.cachedInputTokens, usage.cachedInputTokens),
    perBackbone: {
      ...cost.perBackbone,
      [backboneId]: {
        usd: prev.usd + usd,
        inputTokens: prev.inputTokens + usage.inputTokens,
        outputTokens: prev.outputTokens + usage.outputTokens,
        calls: prev.calls + 1,
        ...sumCached(prev.cachedInputTokens, usage.cachedInputTokens),
      },
    },
    meta: cost.meta + (role ? usd : 0),
    agents: cost.agents + (role ? 0 : usd),
    perMetaRole,
  };
}

/** Rough token count of text (≈ 4 characters a token), used before a call is made. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/**
 * The most a call can cost: its prompt as sent plus the largest answer the
 * backbone may return. Checked before every call so the hard budget is never overrun.
 */
export function worstCaseCallCost(promptChars: number, backbone: Backbone, maxOutputTokens = backbone.maxOutputTokens): number {
  return priceOf({ inputTokens: estimateTokens(promptChars), outputTokens: maxOutputTokens }, backbone);
}

/** Tokens every call is counted beyond its characters (roles, message framing). */
export const CALL_FRAME_TOKENS = 12;

/**
 * Characters of a prompt as a model is billed for it: every message's text and tool calls,
 * the tool definitions and a structured-output schema. The simulator bills exactly this
 * (≈ 4 characters a token, plus CALL_FRAME_TOKENS); for a real tokenizer it is an estimate.
 */
export function promptChars(messages: readonly ChatMessage[], tools?: readonly ToolDefinition[], responseSchema?: unknown): number {
  const text = messages.reduce((n, m) => n + (m.content?.length ?? 0) + JSON.stringify(m.toolCalls ?? []).length, 0);
  return text + JSON.stringify(tools ?? []).length + (responseSchema === undefined ? 0 : JSON.stringify(responseSchema).length);
}

/** Input tokens of a prompt of `chars` characters. */
export function promptTokens(chars: number): number {
  return estimateTokens(chars) + CALL_FRAME_TOKENS;
}

/** The worst case of one call whose prompt is known exactly: its input tokens and its max_tokens, priced. */
export function exactWorstCase(chars: number, maxOutputTokens: number, backbone: Pick<Backbone, 'pricing'>): number {
  return priceOf({ inputTokens: promptTokens(chars), outputTokens: maxOutputTokens }, backbone);
}

/**
 * What the workflow sets aside for a call before it starts, from the prompt size it can only
 * estimate (it keeps lengths, not texts, and the wording around them lives in the activity):
 * the estimate plus a quarter and 256 tokens, so that the activity's exact check
 * (`exactWorstCase` of the prompt as sent) fits in it. Calls in flight hold their reservation,
 * so parallel agents cannot together start more than the budget leaves.
 */
export function callReservation(estimatedChars: number, backbone: Backbone, maxOutputTokens = backbone.maxOutputTokens): number {
  return exactWorstCase(Math.ceil(estimatedChars * 1.25) + 4 * 256, maxOutputTokens, backbone);
}

/**
 * Output caps per meta-agent, below the backbone's own: a valid template is a few
 * hundred tokens, an assignment or a patch less. Under a JSON grammar a small model
 * can fill 1,024 tokens inside one string (measured on the local 1.5B: a Rectifier
 * call of 2 × 1,024 tokens, 90 s, then unparseable); a capped call fails fast into
 * the repair round or the rule-based fallback instead.
 */
export const META_MAX_OUTPUT_TOKENS: Record<MetaRole, number> = { generator: 768, implementer: 320, rectifier: 448 };

/** The max_tokens of a meta-agent's call on this backbone. */
export function metaOutputCap(role: MetaRole, backbone: Pick<Backbone, 'maxOutputTokens'>): number {
  return Math.min(META_MAX_OUTPUT_TOKENS[role], backbone.maxOutputTokens);
}

/**
 * The workflow's first look at a meta-agent call (Generator, Implementer, Rectifier): the worst
 * case of its first call with a prompt of a few KB of frame plus the task (which every meta
 * prompt carries). Below it, the model is not asked at all; above, the activity checks the
 * exact prompt, and the repair round, against what is left (activities/models/budgetGuard.ts).
 */
export function metaCallEstimate(task: string, backbone: Backbone, role: MetaRole): number {
  const META_FRAME_CHARS = 12_000;
  return exactWorstCase(META_FRAME_CHARS + task.length, metaOutputCap(role, backbone), backbone);
}

/**
 * Characters of an agent's first prompt, from what the workflow knows: the
 * task, the agent's spec and the length of each upstream output (the
 * workflow keeps lengths, not texts), plus the fixed wording and tool
 * definitions around them.
 */
export function firstPromptChars(task: string, spec: { instructions: string; role: string; expects?: string; tools: string[] }, upstreamChars: number[]): number {
  const PROMPT_FRAME = 600;
  const PER_TOOL_DEFINITION = 700;
  return (
    PROMPT_FRAME +
    task.length +
    spec.instructions.length +
    spec.role.length +
    (spec.expects?.length ?? 0) +
    spec.tools.length * PER_TOOL_DEFINITION +
    upstreamChars.reduce((n, chars) => n + chars + 40, 0)
  );
}

export function formatUsd(usd: number): string {
  return usd >= 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(6)}`;
}
