/**
 * Parallel topologies: D layers of W agents (each layer fully connected to the
 * next) and a final agent, every call with simulated latency L. The critical
 * path is (D + 1) × L; the ratio is wall time over it.
 */
import type { BenchContext } from './context';
import { benchId, expectCompleted, runMas2 } from './context';
import { forcedInput, layeredTemplate } from './tasks';
import { median, round } from './stats';

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
}

export async function benchParallel(ctx: BenchContext, width: number, depth: number, latencyMs: number, repetitions: number): Promise<ParallelResult> {
  const template = layeredTemplate(width, depth);
  const input = forcedInput(template, latencyMs);
  const calls = width * depth + 1;
  const samples: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const r = await runMas2(ctx, input, { id: benchId('parallel') });
    expectCompleted(r.result, calls, 'parallel run');
    samples.push(r.wallMs);
    ctx.log(`  parallel rep ${i + 1}/${repetitions}: ${Math.round(r.wallMs)} ms`);
  }
  const layers = depth + 1;
  const critical = layers * latencyMs;
  const wall = median(samples);
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
  };
}
