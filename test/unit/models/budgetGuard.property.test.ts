/**
 * The budget guard on the simulator's exact token counts: whatever the prompt, the tools,
 * the prices and the grant, a call that is started costs at most what was granted, and a
 * call that is not started spends nothing. A meta-agent's repair round shares the grant.
 */
import * as fc from 'fast-check';
import { z } from 'zod';
import { SimulatorClient } from '../../../activities/models/sim';
import { isBudgetRefusal, requestWorstCase, withBudget, type BudgetRefusal } from '../../../activities/models/budgetGuard';
import { completeStructured } from '../../../activities/models/structured';
import type { ModelClient, ModelRequest } from '../../../activities/models/types';
import { zodToJsonSchema } from '../../../activities/models/jsonSchema';
import { priceOf } from '../../../mas/cost';
import { BlueprintChoiceSchema, PoolSchema, type Backbone } from '../../../mas/schemas';
import type { ChatMessage } from '../../../mas/messages';

const backboneArb = fc.record({
  inputPerM: fc.double({ min: 0.01, max: 60, noNaN: true }),
  outputPerM: fc.double({ min: 0.01, max: 120, noNaN: true }),
  maxOutputTokens: fc.integer({ min: 16, max: 4096 }),
  quality: fc.double({ min: 0, max: 1, noNaN: true }),
});

function backbone(b: { inputPerM: number; outputPerM: number; maxOutputTokens: number; quality: number }): Backbone {
  return PoolSchema.parse({
    default: 'b',
    backbones: [{ id: 'b', provider: 'sim', model: 'sim', pricing: { inputPerM: b.inputPerM, outputPerM: b.outputPerM }, maxOutputTokens: b.maxOutputTokens, sim: { latencyMs: 0, failureRate: 0, quality: b.quality } }],
  }).backbones[0];
}

const text = (n: number) => 'lorem ipsum '.repeat(Math.ceil(n / 12)).slice(0, n);

/** Counts the calls that reach the model. */
function counting(inner: ModelClient): { client: ModelClient; calls: () => number; spent: (b: Backbone) => number } {
  let calls = 0;
  let usd = 0;
  return {
    client: {
      async complete(req: ModelRequest) {
        calls++;
        const r = await inner.complete(req);
        usd += priceOf(r.usage, req.backbone);
        return r;
      },
    },
    calls: () => calls,
    spent: () => usd,
  };
}

test('an agent call: started only when it fits, and then it never costs more than the grant', async () => {
  await fc.assert(
    fc.asyncProperty(backboneArb, fc.array(fc.nat({ max: 30_000 }), { minLength: 1, maxLength: 6 }), fc.boolean(), fc.double({ min: 0, max: 0.2, noNaN: true }), async (b, lengths, withTools, grant) => {
      const bb = backbone(b);
      const messages: ChatMessage[] = lengths.map((n, i) => ({ role: i === 0 ? 'system' : i % 2 ? 'user' : 'assistant', content: text(n) }));
      const tools = withTools ? [{ name: 'python', description: text(500), parameters: { type: 'object', properties: { code: { type: 'string' } } } }] : undefined;
      const inner = counting(new SimulatorClient());
      const req: ModelRequest = { backbone: bb, messages, tools, sim: { purpose: 'agent', task: 'Compute 2+2', seed: 1, callKey: `k${lengths.join('.')}` } };
      try {
        const r = await withBudget(inner.client, grant).complete(req);
        expect(priceOf(r.usage, bb)).toBeLessThanOrEqual(requestWorstCase(req).usd);
        expect(priceOf(r.usage, bb)).toBeLessThanOrEqual(grant);
      } catch (e) {
        expect(isBudgetRefusal(e)).toBe(true);
        expect(inner.calls()).toBe(0);
        expect(requestWorstCase(req).usd).toBeGreaterThan(grant * (1 - 1e-9));
        // Granted the need it reported, the same call starts (the workflow asks once more with it).
        const r = await withBudget(inner.client, (e as BudgetRefusal).needUsd).complete(req);
        expect(priceOf(r.usage, bb)).toBeLessThanOrEqual((e as BudgetRefusal).needUsd);
      }
    }),
    { numRuns: 300 },
  );
});

test('a structured meta-agent call with its repair round stays within one grant', async () => {
  const schema = BlueprintChoiceSchema;
  const seen = { repaired: 0, refusedRepair: 0 };
  await fc.assert(
    fc.asyncProperty(backboneArb, fc.nat({ max: 20_000 }), fc.double({ min: 0.5, max: 2.5, noNaN: true }), fc.integer({ min: 1, max: 50 }), async (b, taskChars, share, seed) => {
      const bb = backbone({ ...b, quality: b.quality / 4 }); // mostly malformed first answers: the repair round runs
      const inner = counting(new SimulatorClient());
      const task = `Compute 17 * 23 + 4. ${text(taskChars)}`;
      const req: ModelRequest = {
        backbone: bb,
        messages: [{ role: 'system', content: 'You are the Generator.' }, { role: 'user', content: `Task:\n${task}` }],
        maxOutputTokens: Math.min(768, bb.maxOutputTokens),
        sim: { purpose: 'generator', task, seed, callKey: `generator:0#1` },
      };
      // Around one to two calls' worth (the schema counted as completeStructured sends it): room for
      // no call, for the first only, or for the repair round too.
      const grant = share * requestWorstCase({ ...req, responseFormat: { name: 'generator', schema: zodToJsonSchema(schema) } }).usd;
      try {
        const r = await completeStructured(withBudget(inner.client, grant), req, schema as z.ZodType<unknown>, 'generator');
        if (r.repaired) seen.repaired++;
      } catch (e) {
        if (/no room for the repair round/.test((e as Error).message)) seen.refusedRepair++;
        // A refused first call, a refused repair round, or an answer the repair did not fix: all fine, if within the grant.
        expect(isBudgetRefusal(e) || (e as Error).name === 'ModelError').toBe(true);
      }
      expect(inner.spent(bb)).toBeLessThanOrEqual(grant);
    }),
    { numRuns: 300 },
  );
  // Both branches were exercised: repairs that fit, and repairs the grant could not pay for.
  expect(seen.repaired).toBeGreaterThan(0);
  expect(seen.refusedRepair).toBeGreaterThan(0);
});
