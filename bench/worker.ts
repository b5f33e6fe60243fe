/**
 * Workers the bench runs.
 *
 * - In process (overhead, parallel, history): mas2's own createWorker (the
 *   prebuilt dist/workflow-bundle.js and mas2's activities) and, in the same
 *   process on its own task queue, a bare Worker hosting only bareWorkflow and
 *   the no-op activity. Separate bundles on purpose: the SDK evaluates a
 *   bundle's modules for every new workflow, so a bare workflow bundled with
 *   mas2 would pay mas2's module start-up (zod schemas) too and hide it.
 * - As a child process (`node dist/bench/worker.js '<json>'`, concurrency):
 *   createWorker with raised concurrency limits, so the peak RSS read from
 *   /proc/<pid>/status is the worker's alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime as TemporalRuntime, Worker } from '@temporalio/worker';
import { createWorker } from '../workers/worker';
import { benchActivities } from './activities';

let runtimeInstalled = false;
/** ERROR-level SDK logs, and no SDK signal handlers: the bench stops its own workers. */
export function installBenchRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    TemporalRuntime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  } catch {
    // installed already
  }
}

/**
 * Path of the bare workflow's bundle, built with webpack on first use and
 * cached next to the compiled bench while bareWorkflow is unchanged.
 */
export async function bareBundlePath(log: (s: string) => void = () => undefined): Promise<string> {
  const entry = require.resolve('./bareWorkflow');
  const compiled = entry.endsWith('.js');
  const cache = compiled ? path.join(__dirname, 'bare-workflow-bundle.js') : path.join(require('node:os').tmpdir(), `mas2-bench-bare-bundle-${process.pid}.js`);
  if (compiled && fs.existsSync(cache) && fs.statSync(cache).mtimeMs > fs.statSync(entry).mtimeMs) return cache;
  const t0 = Date.now();
  const silent = { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} };
  const { code } = await bundleWorkflowCode({ workflowsPath: entry, logger: silent as never });
  fs.writeFileSync(cache, code);
  log(`bundled the bare workflow in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return cache;
}

export interface InProcessWorkers {
  /** Task queue of mas2's worker (mas2Task). */
  taskQueue: string;
  /** Task queue of the bare worker (bareWorkflow). */
  bareTaskQueue: string;
  stop(): Promise<void>;
}

export async function startInProcessWorkers(opts: { address: string; taskQueue: string; home: string; bareBundlePath: string }): Promise<InProcessWorkers> {
  installBenchRuntime();
  // No call ledger even if MAS2_CALL_LEDGER is set: it would add a file append to every mas2 step.
  const mas2 = await createWorker({ address: opts.address, home: opts.home, taskQueue: opts.taskQueue, runtime: { ledgerFile: undefined } });
  const bareTaskQueue = `${opts.taskQueue}-bare`;
  const bareConnection = await NativeConnection.connect({ address: opts.address });
  const bare = await Worker.create({
    connection: bareConnection,
    namespace: 'default',
    taskQueue: bareTaskQueue,
    workflowBundle: { codePath: opts.bareBundlePath },
    activities: benchActivities,
    // The same limits createWorker sets.
    maxConcurrentActivityTaskExecutions: 100,
    maxConcurrentWorkflowTaskExecutions: 40,
    shutdownGraceTime: '10 seconds',
  });
  const runs = [mas2.worker.run(), bare.run()];
  let failed: unknown;
  for (const r of runs) r.catch((e) => (failed = e));
  return {
    taskQueue: opts.taskQueue,
    bareTaskQueue,
    async stop() {
      mas2.worker.shutdown();
      bare.shutdown();
      await Promise.allSettled(runs);
      await mas2.connection.close();
      await bareConnection.close();
      if (failed) throw failed;
    },
  };
}

/** Configuration a child worker gets as its one argument (JSON). */
export interface ChildWorkerConfig {
  address: string;
  taskQueue: string;
  home: string;
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentWorkflowTaskExecutions: number;
}

async function childMain(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildWorkerConfig;
  installBenchRuntime();
  const { worker, connection } = await createWorker({
    address: cfg.address,
    home: cfg.home,
    taskQueue: cfg.taskQueue,
    runtime: { ledgerFile: undefined },
    maxConcurrentActivityTaskExecutions: cfg.maxConcurrentActivityTaskExecutions,
    maxConcurrentWorkflowTaskExecutions: cfg.maxConcurrentWorkflowTaskExecutions,
  });
  const stop = () => worker.shutdown();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The parent may die without stopping us: exit when stdin closes.
  process.stdin.on('end', stop);
  process.stdin.resume();
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
  await connection.close();
  process.exit(0);
}

if (require.main === module) {
  childMain().catch((e) => {
    process.stderr.write(`bench worker: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
