/**
 * Parallel topologies: D layers of W agents (each layer fully connected to the
 * next) and a final agent, every call with simulated latency L. The critical
 * path is (D + 1) × L; the ratio is wall time over it.
 */
import type { BenchContext } from './context';
import { benchId, expectCompleted, runMas2 } from './context';
import { forcedInput, layeredTemplate } from './tasks';
import { median, round } from './stats';
import { criticalPathProfile, fetchChain } from './history';

export interface ParallelResult {
  parallelRatio: number;
  width: number;
  depth: number;
  /** Layers on the critical path, the final agent included. */
  layers: number;
  latencyMs: number;
  criticalPathMs: number;
  wallMs: number;
  samplesMs: number[];
  /** (wall − critical path) / layers: what each layer adds on top of the model latency. */
  overheadPerLayerMs: number;
  /**
   * Where the time beyond the critical path goes (ms, median run), from the
   * server's event times: workflow start → first schedule, layer spans beyond
   * L, gaps between a layer's last completion and the next layer's schedule,
   * last completion → workflow completed, and what the client adds (start
   * RPC, result long poll).
   */
  profile: ReturnType<typeof criticalPathProfile> & { client: number };
}

export async function benchParallel(ctx: BenchContext, width: number, depth: number, latencyMs: number, repetitions: number): Promise<ParallelResult> {
  const template = layeredTemplate(width, depth);
  const input = forcedInput(template, latencyMs);
  const calls = width * depth + 1;
  const samples: number[] = [];
  const runs: { wallMs: number; workflowId: string; runId: string }[] = [];
  for (let i = 0; i < repetitions; i++) {
    const r = await runMas2(ctx, input, { id: benchId('parallel') });
    expectCompleted(r.result, calls, 'parallel run');
    samples.push(r.wallMs);
    runs.push(r);
    ctx.log(`  parallel rep ${i + 1}/${repetitions}: ${Math.round(r.wallMs)} ms`);
  }
  const layers = depth + 1;
  const critical = layers * latencyMs;
  const wall = median(samples);
  const mid = [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor((runs.length - 1) / 2)];
  const cp = criticalPathProfile((await fetchChain(ctx.client, mid.workflowId, mid.runId)).flat(), latencyMs);
  return {
    parallelRatio: round(wall / critical),
    width,
    depth,
    layers,
    latencyMs,
    criticalPathMs: critical,
    wallMs: round(wall, 1),
    samplesMs: samples.map((x) => round(x, 1)),
    overheadPerLayerMs: round((wall - critical) / layers, 1),
    profile: { ...cp, client: round(mid.wallMs - cp.serverTotal, 1) },
  };
}
