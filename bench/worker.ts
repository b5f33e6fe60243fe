/**
 * Workers the bench runs.
 *
 * - In process (overhead, parallel, history): one Worker hosting the bench
 *   bundle (mas2Task + bareWorkflow) and mas2's activities plus the no-op, so
 *   both sides of the overhead ratio share the server, the process and the
 *   worker. Its options mirror workers/worker.ts createWorker (which has no
 *   hook for extra activities).
 * - As a child process (`node dist/bench/worker.js '<json>'`, concurrency):
 *   mas2's own createWorker with raised concurrency limits, so the peak RSS
 *   read from /proc/<pid>/status is the worker's alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime as TemporalRuntime, Worker } from '@temporalio/worker';
import { createActivities, createRuntime } from '../activities';
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

function newestMtime(paths: string[]): number {
  let newest = 0;
  const walk = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) for (const f of fs.readdirSync(p)) walk(path.join(p, f));
    else if (p.endsWith('.js') || p.endsWith('.ts')) newest = Math.max(newest, st.mtimeMs);
  };
  paths.forEach(walk);
  return newest;
}

/**
 * Path of the bench workflow bundle (mas2's workflows + bareWorkflow). Built
 * with webpack on first use and cached next to the compiled bench while its
 * sources are unchanged.
 */
export async function benchBundlePath(log: (s: string) => void = () => undefined): Promise<string> {
  const entry = require.resolve('./workflows');
  const root = path.join(__dirname, '..');
  const compiled = entry.endsWith('.js');
  const cache = compiled
    ? path.join(__dirname, 'bench-workflow-bundle.js')
    : path.join(require('node:os').tmpdir(), `mas2-bench-workflow-bundle-${process.pid}.js`);
  const sources = newestMtime([path.join(root, 'workflows'), path.join(root, 'mas'), path.join(__dirname, 'workflows' + path.extname(entry)), path.join(__dirname, 'bareWorkflow' + path.extname(entry))]);
  if (compiled && fs.existsSync(cache) && fs.statSync(cache).mtimeMs > sources) return cache;
  const t0 = Date.now();
  const silent = { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} };
  const { code } = await bundleWorkflowCode({ workflowsPath: entry, logger: silent as never });
  fs.writeFileSync(cache, code);
  log(`bundled the bench workflows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return cache;
}

export interface InProcessWorker {
  taskQueue: string;
  stop(): Promise<void>;
}

export async function startInProcessWorker(opts: { address: string; taskQueue: string; home: string; bundlePath: string }): Promise<InProcessWorker> {
  installBenchRuntime();
  const connection = await NativeConnection.connect({ address: opts.address });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: opts.taskQueue,
    workflowBundle: { codePath: opts.bundlePath },
    // No call ledger here even if MAS2_CALL_LEDGER is set: it would add a file append to every mas2 step.
    activities: { ...createActivities(createRuntime(opts.home, { ledgerFile: undefined })), ...benchActivities },
    maxConcurrentActivityTaskExecutions: 100,
    maxConcurrentWorkflowTaskExecutions: 40,
    shutdownGraceTime: '10 seconds',
  });
  const running = worker.run();
  let failed: unknown;
  running.catch((e) => (failed = e));
  return {
    taskQueue: opts.taskQueue,
    async stop() {
      if (failed) throw failed;
      worker.shutdown();
      await running;
      await connection.close();
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
