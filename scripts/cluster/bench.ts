/**
 * The cluster next to the embedded dev server, on the same machine and the
 * same chain (bench/overhead.ts): per-step wall time of a 12-agent mas2 chain
 * on Temporal v1.29.1 + PostgreSQL (blob store in PostgreSQL too) over that on
 * `temporal server start-dev` (SQLite, folder blob store); then, if asked,
 * the concurrency figure (bench/concurrency.ts) on the cluster with two
 * worker processes.
 *
 *   npm run build && node dist/scripts/cluster/bench.js [--reps 8] [--tasks 1000] [--out FILE] [--folder-blobs]
 *   (--tasks 0 skips the concurrency figure; --folder-blobs keeps the folder
 *   blob store on the cluster too, to separate the server's cost from the blob store's)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startBenchServer } from '../../bench/server';
import { bareBundlePath, installBenchRuntime, startInProcessWorkers } from '../../bench/worker';
import { benchOverhead, type OverheadResult } from '../../bench/overhead';
import { benchConcurrency, type ConcurrencyResult } from '../../bench/concurrency';
import type { BenchContext } from '../../bench/context';
import { ROOT, startCluster } from './cluster';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

const log = (line: string) => process.stderr.write(`cluster-bench: ${line}\n`);

async function overheadOn(address: string, serverPid: number, tmp: string, steps: number, reps: number): Promise<OverheadResult> {
  const taskQueue = `cbench-${process.pid}-${Date.now().toString(36)}`;
  const workers = await startInProcessWorkers({ address, taskQueue, home: path.join(tmp, 'home'), bareBundlePath: await bareBundlePath(log) });
  const connection = await Connection.connect({ address });
  try {
    const ctx: BenchContext = { client: new Client({ connection }), address, serverPid, tmp, taskQueue, bareTaskQueue: workers.bareTaskQueue, log };
    return await benchOverhead(ctx, steps, reps);
  } finally {
    await connection.close();
    await workers.stop();
  }
}

async function main(): Promise<void> {
  const steps = 12;
  const reps = arg('reps', 8);
  const tasks = arg('tasks', 1000);
  const outIdx = process.argv.indexOf('--out');
  const out = outIdx > 0 ? process.argv[outIdx + 1] : path.join(ROOT, 'bench', 'cluster-results.json');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mas2-cluster-bench-'));
  installBenchRuntime();
  const started = new Date();
  const loadStart = os.loadavg();

  log(`dev server: ${steps}-agent chain × ${reps}`);
  const devTmp = path.join(tmp, 'dev');
  fs.mkdirSync(devTmp);
  const dev = await startBenchServer(devTmp);
  let devOverhead: OverheadResult;
  try {
    delete process.env.MAS2_BLOB_STORE; // the embedded default: the folder store
    devOverhead = await overheadOn(dev.address, dev.pid, devTmp, steps, reps);
  } finally {
    await dev.stop();
  }

  log(`cluster: ${steps}-agent chain × ${reps}`);
  const cluster = await startCluster({ dir: path.join(tmp, 'cluster'), log });
  let clusterOverhead: OverheadResult;
  let concurrency: ConcurrencyResult | undefined;
  try {
    if (process.argv.includes('--folder-blobs')) delete process.env.MAS2_BLOB_STORE;
    else process.env.MAS2_BLOB_STORE = cluster.blobStoreUrl;
    clusterOverhead = await overheadOn(cluster.address, cluster.temporal.child.pid!, path.join(tmp, 'cluster'), steps, reps);
    if (tasks > 0) {
      log(`cluster: concurrency, ${tasks} tasks × 6 agents at 250 ms on two worker processes`);
      const connection = await Connection.connect({ address: cluster.address });
      try {
        const ctx: BenchContext = { client: new Client({ connection }), address: cluster.address, serverPid: cluster.temporal.child.pid!, tmp: path.join(tmp, 'cluster'), taskQueue: 'unused', bareTaskQueue: 'unused', log };
        concurrency = await benchConcurrency(ctx, tasks, 6, 250, undefined, 2);
      } finally {
        await connection.close();
      }
    }
  } finally {
    await cluster.stop();
  }
  const result = {
    startedAt: started.toISOString(),
    durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
    machine: { nproc: os.availableParallelism?.() ?? os.cpus().length, loadAverageAtStart: loadStart, loadAverageAtEnd: os.loadavg() },
    steps,
    repetitions: reps,
    clusterBlobStore: process.argv.includes('--folder-blobs') ? 'folder' : 'postgres',
    dev: { mas2MsPerStep: devOverhead.mas2MsPerStep, bareMsPerStep: devOverhead.bareMsPerStep, overheadRatio: devOverhead.overheadRatio },
    cluster: { mas2MsPerStep: clusterOverhead.mas2MsPerStep, bareMsPerStep: clusterOverhead.bareMsPerStep, overheadRatio: clusterOverhead.overheadRatio },
    /** mas2 ms/step on the cluster over mas2 ms/step on the dev server: what the production server costs per step. */
    clusterVsDevPerStep: Math.round((clusterOverhead.mas2MsPerStep / devOverhead.mas2MsPerStep) * 1000) / 1000,
    bareClusterVsDevPerStep: Math.round((clusterOverhead.bareMsPerStep / devOverhead.bareMsPerStep) * 1000) / 1000,
    concurrency,
  };
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((e) => {
  process.stderr.write(`cluster-bench: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
