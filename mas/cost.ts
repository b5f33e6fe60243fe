/** Cost accounting: tokens × price, split by backbone and by meta-agents vs. the team. */
import type { Backbone, Cost, MetaRole, Usage } from './schemas';

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
