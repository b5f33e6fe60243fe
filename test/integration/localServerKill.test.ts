/**
 * A local llama-server killed in the middle of a batch: its in-flight calls
 * fail with a connection error, the activity retry calls again, the worker's
 * local client starts a new server (the old pid is gone), and every run ends
 * with its answer — none lost. On the real 0.5B model (kept short: four runs
 * of one agent each, all four calls in one batch on a batching server).
 *
 * Needs the provisioned local models (MAS2_LOCAL_MODELS_DIR, default
 * ~/.cache/mas2/local-models); fails with one line when they are missing,
 * never passes without a real model.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { TaskInputSchema, type Result } from '../../mas/schemas';
import { localPool } from '../../client/localModel/pool';
import { provisioned } from '../../client/localModel/provision';
import { ensureServer, readState, stopServer } from '../../client/localModel/server';
import { pidAlive } from '../../client/devServer';
import { LocalModelClient } from '../../activities/models/local';
import { OpenAIClient } from '../../activities/models/openai';
import { SimulatorClient } from '../../activities/models/sim';
import { startTestWorker, tempHome, testClient, uniqueQueue, type TestWorker } from './harness';
import type { Client } from '@temporalio/client';

const cacheDir = process.env.MAS2_LOCAL_MODELS_DIR || path.join(os.homedir(), '.cache', 'mas2', 'local-models');
const home = tempHome('mas2-kill-');
const env: NodeJS.ProcessEnv = { ...process.env, MAS2_HOME: home, MAS2_LOCAL_MODELS_DIR: cacheDir, MAS2_LOCAL_IDLE_SECONDS: '0', MAS2_LOCAL_SERVING: 'batched', OPENAI_API_KEY: '' };
const MODEL = 'qwen-0.5b';
const RUNS = 4;

let client: Client;
let worker: TestWorker;

beforeAll(async () => {
  if (!provisioned(cacheDir, [MODEL], { ...env, MAS2_LOCAL_BUILD: 'portable' })) throw new Error(`the local model ${MODEL} is not provisioned in ${cacheDir}: run \`mas2 local-model provision\` first`);
  client = await testClient();
  const openai = new OpenAIClient({ env });
  worker = await startTestWorker({ taskQueue: uniqueQueue('kill'), home, runtime: { clients: { sim: new SimulatorClient(), openai, local: new LocalModelClient(openai, home, env) } } });
});

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await stopServer(home, MODEL);
});

/** llama-server's own count of requests it is computing now. */
async function processing(baseURL: string): Promise<number> {
  try {
    const text = await (await fetch(`${baseURL.replace(/\/v1$/, '')}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    return Number(/^llamacpp:requests_processing\s+(\S+)/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

test('a server killed mid-batch is restarted and its calls retried; every run ends with its answer', async () => {
  const first = await ensureServer({ home, cacheDir, id: MODEL, env });
  const input = (i: number) =>
    TaskInputSchema.parse({
      task: `Write the whole numbers from ${i * 100 + 1} to ${i * 100 + 40}, separated by commas.`,
      budgetUsd: 1,
      pool: localPool(),
      options: {
        template: { name: 'one', agents: [{ id: 'writer', role: 'Writer', instructions: 'Do exactly what the task says.' }], edges: [], loops: [], finalAgent: 'writer' },
        assignment: { writer: MODEL },
        rectifier: false,
      },
    });
  const handles = await Promise.all(
    Array.from({ length: RUNS }, (_, i) => client.workflow.start('mas2Task', { taskQueue: worker.taskQueue, workflowId: uniqueQueue(`kill-${i}`), args: [input(i)] })),
  );

  // Kill it once at least two of the calls compute in one batch.
  const until = Date.now() + 120_000;
  while ((await processing(first.baseURL)) < 2) {
    if (Date.now() > until) throw new Error('the four calls never reached the server together');
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(first.pid, 'SIGKILL');

  const results = (await Promise.all(handles.map((h) => h.result()))) as Result[];
  expect(results.map((r) => r.status)).toEqual(Array(RUNS).fill('completed'));
  for (const r of results) expect(r.answer ?? '').toMatch(/\d/);
  // The calls that were in the batch failed and were retried by the activity retry.
  const attempts = results.flatMap((r) => r.steps.filter((s) => s.kind === 'llm' && s.status === 'completed').map((s) => s.attempts));
  expect(attempts).toHaveLength(RUNS);
  expect(attempts.filter((a) => a > 1).length).toBeGreaterThanOrEqual(2);
  // A new server serves now; the killed one is gone.
  const now = readState(home, MODEL)!;
  expect(now.pid).not.toBe(first.pid);
  expect(pidAlive(now.pid)).toBe(true);
  expect(pidAlive(first.pid)).toBe(false);
}, 300_000);
