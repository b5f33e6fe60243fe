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
import { startTelemetry, telemetryBundle } from './telemetry';
import type { TargetConnection } from '../client/connect';

export const TASK_QUEUE = process.env.MAS2_TASK_QUEUE || 'mas2';

/** Workflow interceptors every bundle carries (UI summaries and progress); scripts/bundle-workflows.js and the test bundles list the same. */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/interceptors')];

/**
 * `npm run build` pre-bundles the workflow code (webpack takes seconds); a
 * worker started from a source checkout bundles on start instead.
 */
const PREBUILT_BUNDLE = path.join(__dirname, '..', 'workflow-bundle.js');

export function workflowSource(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'interceptors'> {
  const prebuilt = PREBUILT_BUNDLE;
  if (fs.existsSync(prebuilt)) return { workflowBundle: { codePath: prebuilt } };
  return { workflowsPath: require.resolve('../workflows'), interceptors: { workflowModules: WORKFLOW_INTERCEPTOR_MODULES } };
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
  let source = setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : workflowSource();
  // OTEL_EXPORTER_OTLP_ENDPOINT set: spans (workers/telemetry.ts). Unset: nothing of it loads.
  const telemetry = startTelemetry()?.worker;
  if (telemetry) {
    const prebuilt = !setup.workflowBundle && fs.existsSync(PREBUILT_BUNDLE) ? PREBUILT_BUNDLE : undefined;
    source = { workflowBundle: await telemetryBundle(prebuilt, [...WORKFLOW_INTERCEPTOR_MODULES, ...telemetry.workflowInterceptorModules]) };
  }
  const worker = await Worker.create({
    connection,
    namespace: setup.namespace ?? 'default',
    taskQueue: setup.taskQueue ?? TASK_QUEUE,
    ...source,
    ...(telemetry ? { interceptors: telemetry.interceptors, sinks: telemetry.sinks } : {}),
    activities: createActivities(createRuntime(setup.home, setup.runtime)),
    maxConcurrentActivityTaskExecutions: setup.maxConcurrentActivityTaskExecutions ?? 100,
    maxConcurrentWorkflowTaskExecutions: setup.maxConcurrentWorkflowTaskExecutions ?? 40,
    shutdownGraceTime: '10 seconds',
  });
  return { worker, connection };
}
