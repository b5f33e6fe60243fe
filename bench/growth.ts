/**
 * History growth: serialized history bytes of runs with N model calls (a
 * forced chain of N zero-latency agents), fitted as bytes ∝ N^e on log-log.
 * Runs continued as new are summed over the whole chain.
 */
import type { BenchContext } from './context';
import { benchId, expectCompleted, runMas2 } from './context';
import { chainTemplate, forcedInput } from './tasks';
import { bytesByType, fetchChain, historyBytes, maxPayload } from './history';
import { powerFit, round } from './stats';

export interface GrowthRun {
  calls: number;
  bytes: number;
  events: number;
  runs: number;
  bytesPerCall: number;
  wallMs: number;
  /** The largest single payload in this run's histories, and the event that carried it. */
  maxPayloadBytes: number;
  maxPayloadEvent: string;
}

export interface GrowthResult {
  historyGrowthExponent: number;
  /** The largest single payload in any history measured (Temporal refuses payloads over 2 MB; the SDK warns at 512 KB). */
  maxPayloadBytes: number;
  r2: number;
  runs: GrowthRun[];
  /** Where the bytes of the largest run are, by event type. */
  largestByType: Record<string, { events: number; bytes: number }>;
  /** Bytes of the largest run's start and completion events (input, result document). */
  largestEnds: { started: number; completed: number };
}

export async function benchGrowth(ctx: BenchContext, sizes: number[]): Promise<GrowthResult> {
  const runs: GrowthRun[] = [];
  let largest: Parameters<typeof bytesByType>[0] = [];
  for (const n of sizes) {
    const r = await runMas2(ctx, forcedInput(chainTemplate(n), 0, { budgetUsd: 10_000 }), { id: benchId(`growth-${n}`) });
    expectCompleted(r.result, n, `history run of ${n} calls`);
    const chain = await fetchChain(ctx.client, r.workflowId, r.runId);
    const bytes = chain.reduce((s, events) => s + historyBytes(events), 0);
    const events = chain.reduce((s, e) => s + e.length, 0);
    const max = maxPayload(chain.flat());
    runs.push({ calls: n, bytes, events, runs: chain.length, bytesPerCall: Math.round(bytes / n), wallMs: Math.round(r.wallMs), maxPayloadBytes: max.bytes, maxPayloadEvent: max.eventType });
    ctx.log(`  history ${n} calls: ${bytes} bytes, ${events} events, ${chain.length} run(s), largest payload ${max.bytes} bytes (${max.eventType}), ${Math.round(r.wallMs)} ms`);
    largest = chain.flat();
  }
  const fit = powerFit(runs.map((r) => r.calls), runs.map((r) => r.bytes));
  const byType = bytesByType(largest);
  const pick = (t: string) => byType[t]?.bytes ?? 0;
  return {
    historyGrowthExponent: round(fit.exponent),
    maxPayloadBytes: Math.max(...runs.map((r) => r.maxPayloadBytes)),
    r2: round(fit.r2, 4),
    runs,
    largestByType: byType,
    largestEnds: { started: pick('WORKFLOW_EXECUTION_STARTED'), completed: pick('WORKFLOW_EXECUTION_COMPLETED') },
  };
}
