/**
 * The `local` figure (`npm run bench -- --only local`): how fast mas2 serves
 * its local models, side by side in one run — the portable build against the
 * build for this CPU (prompt and generation tokens per second, one stream and
 * four, a cold prompt and the same prompt warm), then `full` runs of the same
 * GSM8K problems under the old serving (MAS2_LOCAL_SERVING=legacy: portable
 * build, 2 slots, one call at a time, the server's own slot choice, runs one at
 * a time as the old README advised) and under the batching one (build for this
 * CPU, pinned slots, one batch per server, several runs in flight).
 *
 * Where no local model is provisioned it says so and measures nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cpuKey } from '../client/localModel/cpu';
import { localModelsDir } from '../client/localModel/paths';
import { provisioned, readNativeRecord } from '../client/localModel/provision';
import type { BenchContext } from './context';
import { measureBuild, type BuildFigures } from './localThroughput';
import { describeServing, runUnderServing, type ServingRuns } from './localRuns';
import { round } from './stats';

export interface LocalSizes {
  /** GSM8K dev problems run under each serving. */
  problems: number;
  /** Runs in flight under the batching serving (the legacy one runs them one at a time). */
  concurrency: number;
}

export interface LocalResult {
  skipped?: string;
  cacheDir: string;
  cpu: string;
  /** The model of the throughput figures. */
  model: string;
  builds: BuildFigures[];
  /** Why the build for this CPU is missing, when it is. */
  nativeNote?: string;
  /** 4-stream aggregate / 1-stream tokens per second, on the build the batching serving runs. */
  batchThroughputRatio?: number;
  /** Wall of a batch of 4 / 4 × one stream: below 1, a call in a batch is never slower than four in a row. */
  batchOfFourVsSequential?: number;
  data?: string;
  legacy?: ServingRuns;
  batched?: ServingRuns;
  /** Legacy wall / batched wall for the same runs. */
  localServingSpeedup?: number;
  /** Cached / input tokens of the batched runs, by the servers' counts. */
  promptCacheHitRate?: number | null;
}

/** Where the GSM8K dev set is: MAS2_BENCH_GSM8K, else `../shared/datasets/gsm8k/dev.jsonl` next to the checkout (as in the README's eval commands). */
export function gsm8kFile(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.MAS2_BENCH_GSM8K || path.join(root, '..', 'shared', 'datasets', 'gsm8k', 'dev.jsonl'));
}

/** Undefined when the local models can be measured here, else why not. */
export function localSkipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const cacheDir = localModelsDir(env);
  if (!provisioned(cacheDir, undefined, { ...env, MAS2_LOCAL_BUILD: 'portable' })) return `no local model is provisioned in ${cacheDir} (run \`mas2 local-model provision\`): the local figure measures nothing`;
  return undefined;
}

export async function benchLocal(ctx: BenchContext, sizes: LocalSizes, root: string, env: NodeJS.ProcessEnv = process.env): Promise<LocalResult> {
  const cacheDir = localModelsDir(env);
  const cpu = cpuKey();
  const base = { cacheDir, cpu, model: 'qwen-1.5b', builds: [] as BuildFigures[] };
  const skipped = localSkipReason(env);
  if (skipped) return { ...base, skipped };
  // Two threads per server whatever the load average was a minute ago: the bench runs alone (bench/README.md).
  const benchEnv: NodeJS.ProcessEnv = { ...env, MAS2_LOCAL_THREADS: env.MAS2_LOCAL_THREADS || '2' };
  const out: LocalResult = { ...base };
  const native = readNativeRecord(cacheDir, cpu);
  const builds: ('portable' | 'native')[] = native?.builtAt ? ['portable', 'native'] : ['portable'];
  if (!native?.builtAt) out.nativeNote = native?.failedAt ? `the build for this CPU failed: ${native.error}` : 'no build for this CPU yet (mas2 local-model provision builds it)';
  for (const build of builds) {
    ctx.log(`local: ${build} build of llama-server, ${base.model}: cold and warm prompt, 1 and 4 streams`);
    out.builds.push(await measureBuild({ home: path.join(ctx.tmp, `throughput-${build}`), cacheDir, id: base.model, build, env: benchEnv, log: ctx.log }));
  }
  const served = out.builds[out.builds.length - 1]!;
  out.batchThroughputRatio = round(served.fourStreamsTokensPerSecond / served.generationTokensPerSecond, 3);
  out.batchOfFourVsSequential = round(served.fourStreamsSeconds / (4 * served.oneStreamSeconds), 3);

  const data = gsm8kFile(root, env);
  if (!fs.existsSync(data)) {
    ctx.log(`local: no GSM8K dev set at ${data} (set MAS2_BENCH_GSM8K): the full runs are skipped`);
    return out;
  }
  out.data = data;
  ctx.log(`local: ${sizes.problems} GSM8K runs of \`full\`, ${describeServing('legacy', benchEnv)}; one at a time`);
  out.legacy = await runUnderServing(ctx, { mode: 'legacy', concurrency: 1, data, problems: sizes.problems, cacheDir, env: benchEnv });
  ctx.log(`local: the same runs, ${describeServing('batched', benchEnv)}; ${sizes.concurrency} in flight`);
  out.batched = await runUnderServing(ctx, { mode: 'batched', concurrency: sizes.concurrency, data, problems: sizes.problems, cacheDir, env: benchEnv });
  out.localServingSpeedup = round(out.legacy.wallSeconds / out.batched.wallSeconds, 3);
  out.promptCacheHitRate = out.batched.promptCacheHitRate === null ? null : round(out.batched.promptCacheHitRate, 3);
  return out;
}
