/** Cost accounting: tokens × price, split by backbone and by meta-agents vs. the team. */
import type { Backbone, Cost, MetaRole, Usage } from './schemas';

export function emptyCost(): Cost {
  return { usd: 0, inputTokens: 0, outputTokens: 0, perBackbone: {}, meta: 0, agents: 0, perMetaRole: {} };
}

export function priceOf(usage: Usage, backbone: Pick<Backbone, 'pricing'>): number {
  return (usage.inputTokens * backbone.pricing.inputPerM + usage.outputTokens * backbone.pricing.outputPerM) / 1_000_000;
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
    perBackbone: {
      ...cost.perBackbone,
      [backboneId]: {
        usd: prev.usd + usd,
        inputTokens: prev.inputTokens + usage.inputTokens,
        outputTokens: prev.outputTokens + usage.outputTokens,
        calls: prev.calls + 1,
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

export function formatUsd(usd: number): string {
  return usd >= 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(6)}`;
}
