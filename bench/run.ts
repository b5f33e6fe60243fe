/**
 * `npm run bench` (node dist/bench/run.js [--quick] [--out FILE] [--only a,b]).
 *
 * Starts its own Temporal dev server (temp SQLite, free port, no UI), mas2's
 * worker and a bare worker in this process, and — for the concurrency and recovery figures —
 * worker child processes; measures the five figures side by side in this one
 * process run; prints a table on stdout and writes the JSON document to
 * bench/results.json (a full run also to bench/results.full.json, which a
 * later --quick run does not overwrite). Everything it started is stopped at
 * the end, on error and on SIGINT/SIGTERM.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { packageRoot } from '../client/temporalBinary';
import { installSignalCleanup, onSignal, runCleanup } from './cleanup';
import { startBenchServer } from './server';
import { bareBundlePath, installBenchRuntime, startInProcessWorkers } from './worker';
import type { BenchContext } from './context';
import { benchOverhead, type OverheadResult } from './overhead';
import { benchParallel, type ParallelResult } from './parallel';
import { benchGrowth, type GrowthResult } from './growth';
import { benchConcurrency, type ConcurrencyResult } from './concurrency';
import { benchRecovery, type RecoveryResult } from './recovery';
import { benchLocal, localSkipReason, type LocalResult, type LocalSizes } from './local';
import { localModelsDir } from '../client/localModel/paths';
import { cpuKey } from '../client/localModel/cpu';

export const SCENARIOS = ['overhead', 'parallel', 'history', 'recovery', 'concurrency', 'local'] as const;
type Scenario = (typeof SCENARIOS)[number];
/** What a run without --only measures: `local` takes tens of minutes of real-model work and runs only when asked for. */
export const DEFAULT_SCENARIOS: readonly Scenario[] = SCENARIOS.filter((s) => s !== 'local');

export interface BenchSizes {
  overhead: { steps: number; repetitions: number };
  parallel: { width: number; depth: number; latencyMs: number; repetitions: number };
  history: { calls: number[] };
  recovery: { agents: number; latencyMs: number };
  concurrency: { tasks: number; agents: number; latencyMs: number };
  local: LocalSizes;
}

export const FULL: BenchSizes = {
  overhead: { steps: 12, repetitions: 15 },
  parallel: { width: 3, depth: 3, latencyMs: 1000, repetitions: 5 },
  history: { calls: [10, 100, 300] },
  recovery: { agents: 4, latencyMs: 2000 },
  concurrency: { tasks: 1000, agents: 6, latencyMs: 250 },
  local: { problems: 3, concurrency: 3 },
};

export const QUICK: BenchSizes = {
  overhead: { steps: 10, repetitions: 3 },
  parallel: { width: 3, depth: 2, latencyMs: 200, repetitions: 3 },
  history: { calls: [10, 30, 60] },
  recovery: { agents: 3, latencyMs: 1000 },
  concurrency: { tasks: 50, agents: 6, latencyMs: 250 },
  local: { problems: 1, concurrency: 1 },
};

/** 256 KiB: an eighth of Temporal's 2 MB payload limit, half the SDK's 512 KB warning. */
export const MAX_PAYLOAD_TARGET = 256 * 1024;

export interface Verdict {
  figure: string;
  value: string;
  target: string;
  pass: boolean;
  /** Nothing was measured (no local model here). */
  skipped?: boolean;
}

export interface BenchResults {
  mode: 'full' | 'quick';
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  machine: Record<string, unknown>;
  sizes: BenchSizes;
  /** Non-default dev server arguments (investigation runs only; a normal run has none). */
  serverArgs: string[];
  overheadRatio?: number;
  parallelRatio?: number;
  historyGrowthExponent?: number;
  maxPayloadBytes?: number;
  concurrency?: ConcurrencyResult;
  recovery?: RecoveryResult;
  localServingSpeedup?: number;
  promptCacheHitRate?: number | null;
  batchThroughputRatio?: number;
  local?: LocalResult;
  overhead?: OverheadResult;
  parallel?: ParallelResult;
  history?: GrowthResult;
  verdicts: Verdict[];
  /** Targets are asserted only in full runs; a quick run reports them for information. */
  targetsAsserted: boolean;
}

function machineInfo(serverBin: string): Record<string, unknown> {
  let temporal = 'unknown';
  try {
    temporal = execFileSync(serverBin, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // keep unknown
  }
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    temporal,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function verdicts(r: BenchResults): Verdict[] {
  const out: Verdict[] = [];
  if (r.overhead) out.push({ figure: 'overheadRatio', value: `${r.overhead.overheadRatio} (${r.overhead.mas2MsPerStep} vs ${r.overhead.bareMsPerStep} ms/step, S=${r.overhead.steps})`, target: '≤ 1.15', pass: r.overhead.overheadRatio <= 1.15 });
  if (r.parallel) out.push({ figure: 'parallelRatio', value: `${r.parallel.parallelRatio} (${r.parallel.wallMs} ms vs ${r.parallel.criticalPathMs} ms, W=${r.parallel.width} D=${r.parallel.depth}+final L=${r.parallel.latencyMs} ms)`, target: '≤ 1.05', pass: r.parallel.parallelRatio <= 1.05 });
  if (r.history) out.push({ figure: 'historyGrowthExponent', value: `${r.history.historyGrowthExponent} (${r.history.runs.map((x) => `${x.calls}:${Math.round(x.bytes / 1024)}KiB`).join(' ')})`, target: '≤ 1.05', pass: r.history.historyGrowthExponent <= 1.05 });
  if (r.history) {
    const largest = r.history.runs.reduce((a, b) => (b.maxPayloadBytes > a.maxPayloadBytes ? b : a));
    out.push({ figure: 'maxPayloadBytes', value: `${r.history.maxPayloadBytes} (${largest.maxPayloadEvent} at ${largest.calls} calls)`, target: '≤ 262144 (256 KiB)', pass: r.history.maxPayloadBytes <= MAX_PAYLOAD_TARGET });
  }
  if (r.concurrency) {
    const c = r.concurrency;
    out.push({ figure: 'concurrency', value: `${c.completed}/${c.tasks} completed; makespan ${(c.makespanMs / 1000).toFixed(1)} s = ${c.makespanRatio}× one task (${(c.singleTaskMs / 1000).toFixed(2)} s); worker peak RSS ${c.workerPeakRssMiB} MiB`, target: 'all complete', pass: c.completed === c.tasks });
  }
  if (r.recovery) {
    const v = r.recovery;
    out.push({ figure: 'recovery', value: `resume ${v.resumeSeconds} s after restart (kill→next call ${v.killToNextCallSeconds} s); repeated calls ${v.repeatedCalls}`, target: '0 repeated calls', pass: v.repeatedCalls === 0 });
  }
  if (r.local?.skipped) out.push({ figure: 'local', value: r.local.skipped, target: 'a provisioned local model', pass: true, skipped: true });
  else if (r.local) {
    const l = r.local;
    const last = l.builds[l.builds.length - 1];
    const builds = l.builds.map((b) => `${b.build} ${b.promptTokensPerSecond} prompt / ${b.generationTokensPerSecond} gen tok/s`).join(', ');
    if (last) out.push({ figure: 'batchThroughputRatio', value: `${l.batchThroughputRatio} (${last.build}: 4 streams ${last.fourStreamsTokensPerSecond} vs 1 stream ${last.generationTokensPerSecond} tok/s; ${builds})`, target: '≥ 1.8', pass: (l.batchThroughputRatio ?? 0) >= 1.8 });
    if (l.batched && l.legacy) {
      out.push({ figure: 'localServingSpeedup', value: `${l.localServingSpeedup} (${l.legacy.runs.length} full runs: legacy ${l.legacy.wallSeconds} s one at a time, batched ${l.batched.wallSeconds} s ${l.batched.concurrency} in flight)`, target: '≥ 3', pass: (l.localServingSpeedup ?? 0) >= 3 });
      out.push({ figure: 'promptCacheHitRate', value: `${l.promptCacheHitRate} (${l.batched.cachedInputTokens} of ${l.batched.inputTokens} input tokens; legacy ${l.legacy.promptCacheHitRate === null ? '–' : Math.round(l.legacy.promptCacheHitRate * 1000) / 1000})`, target: '≥ 0.7', pass: (l.promptCacheHitRate ?? 0) >= 0.7 });
    }
  }
  return out;
}

function busy(r: BenchResults): number | undefined {
  const loads = [...((r.machine.loadAverageAtStart as number[]) ?? []), ...((r.machine.loadAverageAtEnd as number[]) ?? [])];
  const peak = Math.max(0, ...loads);
  return peak > Number(r.machine.nproc) ? peak : undefined;
}

export function formatTable(r: BenchResults): string {
  const rows = r.verdicts.map((v) => [v.figure, v.value, v.target, v.skipped ? 'skipped' : r.targetsAsserted ? (v.pass ? 'PASS' : 'MISS') : v.pass ? 'pass (quick)' : 'miss (quick)']);
  const head = ['figure', 'measured', 'target', 'verdict'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  const m = r.machine;
  return [
    `mas2 bench (${r.mode}) — ${m.nproc} cores, ${m.memoryGiB} GiB, node ${m.node}, ${String(m.temporal).split('\n')[0]}; ${r.durationSeconds} s`,
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...(r.serverArgs.length ? [`note: non-default dev server arguments: ${r.serverArgs.join(' ')}`] : []),
    ...(busy(r) && !r.local?.skipped ? [`note: the load average reached ${busy(r)} on ${m.nproc} cores while measuring: other work shared the machine, so times are inflated`] : []),
  ].join('\n');
}

/** Write-then-rename: a reader (the integration test) never sees half a file. */
function writeResults(file: string, results: BenchResults): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(results, null, 2) + '\n');
  fs.renameSync(`${file}.tmp`, file);
}

/** `--only local` where no local model is provisioned: the results say why nothing was measured. */
function skippedLocal(opts: MainOptions, sizes: BenchSizes, reason: string, out: string): BenchResults {
  const now = new Date().toISOString();
  const results: BenchResults = {
    mode: opts.quick ? 'quick' : 'full',
    startedAt: now,
    finishedAt: now,
    durationSeconds: 0,
    machine: { nproc: os.availableParallelism?.() ?? os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10, node: process.version, temporal: 'not started', loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    sizes,
    serverArgs: [],
    local: { skipped: reason, cacheDir: localModelsDir(), cpu: cpuKey(), model: 'qwen-1.5b', builds: [] },
    verdicts: [],
    targetsAsserted: false,
  };
  results.verdicts = verdicts(results);
  writeResults(out, results);
  process.stdout.write(formatTable(results) + '\n');
  return results;
}

export interface MainOptions {
  quick?: boolean;
  out?: string;
  only?: Scenario[];
  /** Write V8 CPU profiles of the concurrency worker child into this folder (investigation). */
  profileWorker?: string;
  /** Extra `temporal server start-dev` arguments, for investigation only (recorded in the results). */
  serverArgs?: string[];
  log?: (line: string) => void;
}

export function parseArgs(argv: string[]): MainOptions {
  const o: MainOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--out') o.out = argv[++i];
    else if (a.startsWith('--out=')) o.out = a.slice(6);
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice(7);
      const names = (v ?? '').split(',').filter(Boolean);
      for (const n of names) if (!(SCENARIOS as readonly string[]).includes(n)) throw new Error(`--only: unknown scenario "${n}" (one of ${SCENARIOS.join(', ')})`);
      o.only = names as Scenario[];
    } else if (a === '--profile-worker' || a.startsWith('--profile-worker=')) {
      o.profileWorker = path.resolve(a === '--profile-worker' ? argv[++i] : a.slice(17));
    } else if (a === '--server-args' || a.startsWith('--server-args=')) {
      const v = a === '--server-args' ? argv[++i] : a.slice(14);
      o.serverArgs = (v ?? '').split(/\s+/).filter(Boolean);
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`usage: node dist/bench/run.js [--quick] [--out FILE] [--only ${SCENARIOS.join(',')}] [--server-args '<extra start-dev args, investigation only>'] [--profile-worker DIR]\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

export async function main(opts: MainOptions = {}): Promise<BenchResults> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`bench: ${line}\n`));
  const sizes = opts.quick ? QUICK : FULL;
  const only = new Set<Scenario>(opts.only ?? DEFAULT_SCENARIOS);
  const root = packageRoot();
  const out = opts.out ?? path.join(root, 'bench', only.size === 1 && only.has('local') ? 'results.local.json' : 'results.json');
  const localSkipped = only.has('local') ? localSkipReason() : undefined;
  if (localSkipped && only.size === 1) {
    // Nothing to measure: say so, without starting a Temporal server for it.
    log(`local: ${localSkipped}`);
    return skippedLocal(opts, sizes, localSkipped, out);
  }
  if (only.has('recovery') && !fs.existsSync(path.join(root, 'dist', 'client', 'cli.js'))) {
    throw new Error('the recovery figure runs `node bin/mas2.js worker`, which needs `npm run build` first');
  }
  if (only.has('concurrency') && !__filename.endsWith('.js')) {
    throw new Error('the concurrency figure spawns dist/bench/worker.js: run the compiled bench (npm run build && npm run bench)');
  }
  const startedAt = new Date();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-bench-'));
  installSignalCleanup();
  const forget = onSignal(() => fs.rmSync(tmp, { recursive: true, force: true }));
  installBenchRuntime();
  let ok = false;
  const stops: (() => Promise<void>)[] = [];
  try {
    log(`starting a Temporal dev server (scratch ${tmp})`);
    const server = await startBenchServer(tmp, opts.serverArgs);
    stops.push(() => server.stop());
    log(`dev server at ${server.address} (pid ${server.pid})`);
    const taskQueue = `bench-${process.pid}`;
    const workers = await startInProcessWorkers({ address: server.address, taskQueue, home: path.join(tmp, 'home'), bareBundlePath: await bareBundlePath(log) });
    stops.push(() => workers.stop());
    const connection = await Connection.connect({ address: server.address });
    stops.push(() => connection.close());
    const client = new Client({ connection });
    const ctx: BenchContext = { client, address: server.address, serverPid: server.pid, tmp, taskQueue, bareTaskQueue: workers.bareTaskQueue, log };
    const results: BenchResults = {
      mode: opts.quick ? 'quick' : 'full',
      startedAt: startedAt.toISOString(),
      finishedAt: '',
      durationSeconds: 0,
      machine: machineInfo(server.bin),
      sizes,
      serverArgs: opts.serverArgs ?? [],
      verdicts: [],
      targetsAsserted: !opts.quick,
    };

    if (only.has('overhead')) {
      log(`overhead: chain of ${sizes.overhead.steps} agents vs ${sizes.overhead.steps} no-op activities, ${sizes.overhead.repetitions} alternating pairs`);
      results.overhead = await benchOverhead(ctx, sizes.overhead.steps, sizes.overhead.repetitions);
      results.overheadRatio = results.overhead.overheadRatio;
    }
    if (only.has('parallel')) {
      const p = sizes.parallel;
      log(`parallel: ${p.depth} layers of ${p.width} + final, ${p.latencyMs} ms per call`);
      results.parallel = await benchParallel(ctx, p.width, p.depth, p.latencyMs, p.repetitions);
      results.parallelRatio = results.parallel.parallelRatio;
    }
    if (only.has('history')) {
      log(`history growth: chains of ${sizes.history.calls.join(', ')} calls`);
      results.history = await benchGrowth(ctx, sizes.history.calls);
      results.historyGrowthExponent = results.history.historyGrowthExponent;
      results.maxPayloadBytes = results.history.maxPayloadBytes;
    }
    if (only.has('recovery')) {
      log(`recovery: kill -9 of a mas2 worker mid-call (${sizes.recovery.latencyMs} ms per call)`);
      results.recovery = await benchRecovery(ctx, sizes.recovery.agents, sizes.recovery.latencyMs);
    }
    if (only.has('concurrency')) {
      const c = sizes.concurrency;
      log(`concurrency: ${c.tasks} tasks × ${c.agents} agents at ${c.latencyMs} ms on one worker process`);
      results.concurrency = await benchConcurrency(ctx, c.tasks, c.agents, c.latencyMs, opts.profileWorker);
    }
    if (only.has('local')) {
      results.local = await benchLocal(ctx, sizes.local, root);
      results.batchThroughputRatio = results.local.batchThroughputRatio;
      results.localServingSpeedup = results.local.localServingSpeedup;
      results.promptCacheHitRate = results.local.promptCacheHitRate;
    }

    const finishedAt = new Date();
    results.finishedAt = finishedAt.toISOString();
    results.durationSeconds = Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10;
    results.machine.loadAverageAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
    results.verdicts = verdicts(results);
    writeResults(out, results);
    if (!opts.quick && !opts.out && !opts.only && !opts.serverArgs?.length) writeResults(path.join(root, 'bench', 'results.full.json'), results);
    process.stdout.write(formatTable(results) + '\n');
    log(`results in ${out}`);
    ok = true;
    return results;
  } finally {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (e) {
        log(`while stopping: ${(e as Error).message}`);
      }
    }
    runCleanup();
    forget();
    if (ok) fs.rmSync(tmp, { recursive: true, force: true });
    else log(`kept ${tmp} (server and worker logs)`);
  }
}

if (require.main === module) {
  let opts: MainOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exit(2);
  }
  main(opts).then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`bench: failed: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
