/**
 * What integration tests share: a client and workers on the real test server,
 * the workflow bundle (built once per Jest run by globalSetup), a fresh
 * $MAS2_HOME per test file, and small task builders.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import type { z } from 'zod';
import { createWorker, WORKFLOW_INTERCEPTOR_MODULES } from '../../workers/worker';
import type { Runtime } from '../../activities/runtime';
import { PoolSchema, TaskInputSchema, type Pool, type Result, type TaskInput } from '../../mas/schemas';
import { SIMULATOR_POOL } from '../../mas/simulatorPool';
import { testServerAddress } from './server';
import { LocalBlobStore } from '../../activities/blobStore';
import { resolveResult } from '../../client/resolve';

export async function workflowBundle(): Promise<NonNullable<WorkerOptions['workflowBundle']>> {
  const prebuilt = process.env.MAS2_TEST_BUNDLE;
  if (prebuilt && fs.existsSync(prebuilt)) return { codePath: prebuilt };
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES });
  return { code };
}

export function tempHome(prefix = 'mas2-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function testClient(): Promise<Client> {
  const connection = await Connection.connect({ address: testServerAddress() });
  return new Client({ connection });
}

let queueCounter = 0;
export function uniqueQueue(name: string): string {
  return `${name}-${process.pid}-${Date.now().toString(36)}-${queueCounter++}`;
}

export interface TestWorker {
  taskQueue: string;
  home: string;
  stop(): Promise<void>;
}

/** Each test worker's home by task queue, so results can be read back with that worker's blob store. */
const homes = new Map<string, string>();

export function blobsOf(home: string): LocalBlobStore {
  return new LocalBlobStore(path.join(home, 'blobs'));
}

/** The result document as the user reads it: previews replaced by the texts in the worker's blob store. */
export async function resolved(result: Result, taskQueueOrHome: string): Promise<Result> {
  const home = homes.get(taskQueueOrHome) ?? taskQueueOrHome;
  const r = await resolveResult(result, blobsOf(home));
  if (r.missing.length) throw new Error(`blobs missing from ${home}: ${r.missing.join(', ')}`);
  return r.result;
}

export async function startTestWorker(opts: { taskQueue: string; home: string; runtime?: Partial<Runtime> }): Promise<TestWorker> {
  homes.set(opts.taskQueue, opts.home);
  const { worker, connection } = await createWorker({
    address: testServerAddress(),
    home: opts.home,
    taskQueue: opts.taskQueue,
    runtime: opts.runtime,
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  return {
    taskQueue: opts.taskQueue,
    home: opts.home,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

export interface TestEnv {
  client: Client;
  worker: TestWorker;
}

/**
 * A client and a worker on its own task queue for one test file: started in
 * beforeAll, stopped in afterAll. Read the fields inside tests (they are set by then).
 */
export function useTestWorker(name: string, opts: { homePrefix?: string; runtime?: Partial<Runtime> } = {}): TestEnv {
  const env = {} as TestEnv;
  beforeAll(async () => {
    env.client = await testClient();
    env.worker = await startTestWorker({ taskQueue: uniqueQueue(name), home: tempHome(opts.homePrefix), runtime: opts.runtime });
  });
  afterAll(async () => {
    await env.worker?.stop();
    await env.client?.connection.close();
  });
  return env;
}

export function simPool(overrides: { latencyMs?: number; failureRate?: number; quality?: number } = {}): Pool {
  return PoolSchema.parse({
    ...SIMULATOR_POOL,
    backbones: SIMULATOR_POOL.backbones.map((b) => ({ ...b, sim: { ...b.sim!, ...overrides } })),
  });
}

export type TaskInputDraft = Omit<Partial<z.input<typeof TaskInputSchema>>, 'options'> & { options?: Partial<z.input<typeof TaskInputSchema>['options']> };

export function taskInput(task: string, extra: TaskInputDraft = {}): TaskInput {
  return TaskInputSchema.parse({ task, budgetUsd: 1, pool: simPool(), ...extra, options: { ...(extra.options ?? {}) } });
}

export async function runToEnd(client: Client, taskQueue: string, input: TaskInput, workflowId = `t-${Date.now().toString(36)}-${queueCounter++}`): Promise<Result> {
  const handle = await client.workflow.start('mas2Task', { taskQueue, workflowId, args: [input] });
  return resolved((await handle.result()) as Result, taskQueue);
}
