/**
 * The hard budget's last line: a model call starts only when its worst case,
 * computed on the prompt exactly as it will be sent (input tokens × price +
 * max_tokens × price, mas/cost.ts exactWorstCase), fits what the workflow
 * granted the activity. The calls of one activity (a meta-agent's repair round)
 * share one grant: each is checked against what the earlier ones left.
 *
 * The workflow grants an agent call the reservation it set aside for it
 * (mas/cost.ts callReservation) and a meta-agent call what is left of the
 * budget; a refusal spends nothing and is reported with the exact need, so the
 * workflow can fire the budget trigger (or reserve the exact amount and ask again).
 */
import { exactWorstCase, formatUsd, priceOf, promptChars } from '../../mas/cost';
import type { ModelClient, ModelRequest } from './types';

export class BudgetRefusal extends Error {
  override readonly name = 'BudgetRefusal';
  constructor(
    readonly needUsd: number,
    readonly grantUsd: number,
    readonly promptTokenChars: number,
  ) {
    super(`the call needs up to ${formatUsd(needUsd)} of the budget (a prompt of ${promptTokenChars} characters and its max_tokens, priced) and ${formatUsd(Math.max(0, grantUsd))} was granted to it`);
  }
}

export function isBudgetRefusal(e: unknown): e is BudgetRefusal {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'BudgetRefusal';
}

/** The worst case of this request as it stands. */
export function requestWorstCase(req: ModelRequest): { usd: number; chars: number } {
  const chars = promptChars(req.messages, req.tools, req.responseFormat?.schema);
  return { usd: exactWorstCase(chars, req.maxOutputTokens ?? req.backbone.maxOutputTokens, req.backbone), chars };
}

/** A grant is used up to a hair below it, so that float rounding in the workflow's sums never tips a total over the budget. */
const USABLE = 1 - 1e-9;

/** `client` with every call checked against `grantUsd` (undefined: no grant given, as in runs recorded before grants). */
export function withBudget(client: ModelClient, grantUsd: number | undefined): ModelClient {
  if (grantUsd === undefined) return client;
  let spent = 0;
  return {
    async complete(req) {
      const worst = requestWorstCase(req);
      // The need reported is the grant that would let this call start.
      if (spent + worst.usd > grantUsd * USABLE) throw new BudgetRefusal((spent + worst.usd) / USABLE, grantUsd, worst.chars);
      const res = await client.complete(req);
      spent += priceOf(res.usage, req.backbone);
      return res;
    },
  };
}
