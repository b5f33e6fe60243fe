/**
 * A worker for the mas2 task queue: hosts the workflows and the activities.
 * Stateless when the blob store is shared (MAS2_BLOB_STORE=postgres://…), so
 * any number, on any machines, can run against one Temporal cluster
 * (docker-compose.yml, scripts/cluster/).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime as TemporalRuntime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import { createActivities, createRuntime } from '../activities';
import type { Runtime } from '../activities/runtime';
import type { TargetConnection } from '../client/connect';

export const TASK_QUEUE = process.env.MAS2_TASK_QUEUE || 'mas2';

/**
 * `npm run build` pre-bundles the workflow code (webpack takes seconds); a
 * worker started from a source checkout bundles on start instead.
 */
export function workflowSource(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const prebuilt = path.join(__dirname, '..', 'workflow-bundle.js');
  if (fs.existsSync(prebuilt)) return { workflowBundle: { codePath: prebuilt } };
  return { workflowsPath: require.resolve('../workflows') };
}

export interface WorkerSetup {
  address: string;
  namespace?: string;
  /** TLS / mTLS, API key and gRPC metadata, as resolveTarget read them from the environment configuration (`target.connection`). */
  connection?: TargetConnection;
  home: string;
  taskQueue?: string;
  runtime?: Partial<Runtime>;
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
}

let runtimeInstalled = false;

/** The SDK logs every worker state change at INFO; mas2 prints its own progress, and activity failures are in the result document, so default to ERROR. */
function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.MAS2_LOG_LEVEL || 'ERROR').toUpperCase() as LogLevel;
  try {
    TemporalRuntime.install({ logger: new DefaultLogger(level) });
  } catch {
    /* already installed by the host process */
  }
}

export async function createWorker(setup: WorkerSetup): Promise<{ worker: Worker; connection: NativeConnection }> {
  installRuntime();
  const connection = await NativeConnection.connect({ address: setup.address, ...setup.connection });
  const source = setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : workflowSource();
  const worker = await Worker.create({
    connection,
    namespace: setup.namespace ?? 'default',
    taskQueue: setup.taskQueue ?? TASK_QUEUE,
    ...source,
    activities: createActivities(createRuntime(setup.home, setup.runtime)),
    maxConcurrentActivityTaskExecutions: setup.maxConcurrentActivityTaskExecutions ?? 100,
    maxConcurrentWorkflowTaskExecutions: setup.maxConcurrentWorkflowTaskExecutions ?? 40,
    shutdownGraceTime: '10 seconds',
  });
  return { worker, connection };
}
