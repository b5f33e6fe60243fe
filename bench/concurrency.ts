/**
 * Many concurrent tasks on one worker: N tasks, each a forced chain of 6
 * agents with 250 ms simulated latency, on one mas2 worker (createWorker in a
 * child process, concurrency limits raised). Reports whether all complete,
 * makespan over the wall time of one task alone, and the worker's peak RSS
 * (VmHWM), plus CPU seconds per process to show where the time goes.
 */
import * as path from 'node:path';
import type { Result } from '../mas/schemas';
import type { BenchContext } from './context';
import { benchId, expectCompleted, runMas2 } from './context';
import { spawnWorker } from './child';
import type { ChildWorkerConfig } from './worker';
import { chainTemplate, forcedInput } from './tasks';
import { median, pool, procCpuSeconds, procStatusKb, round, sleep } from './stats';

export interface ConcurrencyResult {
  tasks: number;
  completed: number;
  agentsPerTask: number;
  latencyMs: number;
  singleTaskMs: number;
  makespanMs: number;
  /** makespan / single-task wall time. */
  makespanRatio: number;
  /** What an ideal (latency-bound, infinitely parallel) run would give: 1. Steps finished per second overall. */
  stepsPerSecond: number;
  startPhaseMs: number;
  workerPeakRssMiB: number;
  workerLimits: { maxConcurrentActivityTaskExecutions: number; maxConcurrentWorkflowTaskExecutions: number };
  cpuSeconds: { server: number; worker: number; bench: number };
}

/** `workerCount` > 1 (the cluster bench, scripts/cluster/bench.ts): that many worker processes, each with its own home; RSS is the largest, CPU the sum. */
export async function benchConcurrency(ctx: BenchContext, tasks: number, agents: number, latencyMs: number, profileDir?: string, workerCount = 1): Promise<ConcurrencyResult> {
  const taskQueue = `bench-conc-${process.pid}`;
  const limits = {
    maxConcurrentActivityTaskExecutions: Math.max(100, tasks),
    maxConcurrentWorkflowTaskExecutions: 100,
  };
  const workers = await Promise.all(
    Array.from({ length: workerCount }, (_, i) => {
      const suffix = workerCount > 1 ? `-${i}` : '';
      const cfg: ChildWorkerConfig = { address: ctx.address, taskQueue, home: path.join(ctx.tmp, `conc-home${suffix}`), ...limits };
      return spawnWorker({
        args: [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), path.join(__dirname, 'worker.js'), JSON.stringify(cfg)],
        ready: /^ready$/m,
        logFile: path.join(ctx.tmp, `conc-worker${suffix}.log`),
      });
    }),
  );
  let peakKb = 0;
  const sample = () => {
    for (const worker of workers) peakKb = Math.max(peakKb, procStatusKb(worker.pid, 'VmHWM') ?? 0, procStatusKb(worker.pid, 'VmRSS') ?? 0);
  };
  const sampler = setInterval(sample, 250);
  try {
    const input = forcedInput(chainTemplate(agents), latencyMs);
    // One task alone (after one warm-up) is the reference.
    await runMas2(ctx, input, { taskQueue });
    const singles: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await runMas2(ctx, input, { taskQueue });
      expectCompleted(r.result, agents, 'single concurrency task');
      singles.push(r.wallMs);
    }
    const singleTaskMs = median(singles);
    ctx.log(`  one task alone: ${Math.round(singleTaskMs)} ms; starting ${tasks} at once`);

    const workerCpu = () => workers.reduce((sum, w) => sum + (procCpuSeconds(w.pid) ?? 0), 0);
    const cpu0 = { server: procCpuSeconds(ctx.serverPid) ?? 0, worker: workerCpu(), bench: process.cpuUsage() };
    const ids = Array.from({ length: tasks }, () => benchId('conc'));
    const t0 = performance.now();
    const handles = await pool(ids, 50, (workflowId) => ctx.client.workflow.start('mas2Task', { taskQueue, workflowId, args: [input] }));
    const startPhaseMs = performance.now() - t0;
    let done = 0;
    let completed = 0;
    const progress = setInterval(() => ctx.log(`  ${done}/${tasks} finished after ${((performance.now() - t0) / 1000).toFixed(0)} s`), 10_000);
    let lastDone = t0;
    try {
      await pool(handles, 200, async (h) => {
        const r = (await h.result()) as Result;
        lastDone = performance.now();
        done++;
        if (r.status === 'completed' && r.steps.filter((s) => s.kind === 'llm' && s.status === 'completed').length === agents) completed++;
      });
    } finally {
      clearInterval(progress);
    }
    const makespanMs = lastDone - t0;
    sample();
    const bench = process.cpuUsage(cpu0.bench);
    const cpuSeconds = {
      server: round((procCpuSeconds(ctx.serverPid) ?? 0) - cpu0.server, 1),
      worker: round(workerCpu() - cpu0.worker, 1),
      bench: round((bench.user + bench.system) / 1e6, 1),
    };
    return {
      tasks,
      completed,
      agentsPerTask: agents,
      latencyMs,
      singleTaskMs: round(singleTaskMs, 1),
      makespanMs: round(makespanMs, 1),
      makespanRatio: round(makespanMs / singleTaskMs, 2),
      stepsPerSecond: round((tasks * agents) / (makespanMs / 1000), 1),
      startPhaseMs: round(startPhaseMs, 1),
      workerPeakRssMiB: round(peakKb / 1024, 1),
      workerLimits: limits,
      cpuSeconds,
    };
  } finally {
    clearInterval(sampler);
    await Promise.all(workers.map((w) => w.stop()));
    await sleep(0);
  }
}
