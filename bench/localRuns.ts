/**
 * Whole MAS² runs (`full`, the evaluation's variant) on the same GSM8K
 * problems under one way of serving the local models: a scratch home of its
 * own, its servers started before the clock starts (loading weights is not
 * serving), an in-process mas2 worker whose local client serves that way, the
 * runs `concurrency` at a time through the evaluation's own runner. Measured:
 * wall time from the first start to the last result, tokens, and the prompt
 * tokens the servers' caches served (by the servers' own counts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOCAL_MODELS } from '../client/localModel/catalog';
import { localPool } from '../client/localModel/pool';
import { ensureServer, stopServer } from '../client/localModel/server';
import { serving, type ServingMode } from '../client/localModel/serving';
import { evalJobs, runJobs, sha256 } from '../client/eval/runner';
import { getResult } from '../client/runs';
import { parseDataset } from '../mas/eval/datasets';
import { LocalModelClient } from '../activities/models/local';
import { OpenAIClient } from '../activities/models/openai';
import { SimulatorClient } from '../activities/models/sim';
import { createWorker } from '../workers/worker';
import { promptCacheHitRate } from '../mas/cost';
import type { BenchContext } from './context';
import { round } from './stats';

export interface ServingRuns {
  mode: ServingMode;
  /** Build and slots of each server, as started. */
  servers: { id: string; build: string; slots: number }[];
  concurrency: number;
  wallSeconds: number;
  passed: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  promptCacheHitRate: number | null;
  runs: {
    problemId: string;
    status: string;
    pass: boolean;
    wallSeconds: number | null;
    inputTokens: number;
    cachedInputTokens: number | null;
    outputTokens: number;
    workflowId: string;
    /** Every model call in order: kind, agent (or meta role), backbone, tokens in / cached / out, seconds (queueing included). */
    calls: [string, string, string, number, number | null, number, number][];
  }[];
}

export function gsm8kProblems(file: string, n: number) {
  const text = fs.readFileSync(file, 'utf8');
  return { problems: parseDataset('gsm8k', text, path.basename(file)).slice(0, n), sha: sha256(text) };
}

export async function runUnderServing(
  ctx: BenchContext,
  o: { mode: ServingMode; concurrency: number; data: string; problems: number; cacheDir: string; env: NodeJS.ProcessEnv },
): Promise<ServingRuns> {
  const home = path.join(ctx.tmp, `local-${o.mode}`);
  const env: NodeJS.ProcessEnv = { ...o.env, MAS2_HOME: home, MAS2_LOCAL_MODELS_DIR: o.cacheDir, MAS2_LOCAL_SERVING: o.mode, MAS2_LOCAL_IDLE_SECONDS: '0' };
  const servers = [];
  const taskQueue = `bench-local-${o.mode}-${process.pid}`;
  try {
    for (const m of LOCAL_MODELS) {
      const s = await ensureServer({ home, cacheDir: o.cacheDir, id: m.id, env, log: ctx.log });
      servers.push({ id: m.id, build: s.build ?? 'unknown', slots: s.slots ?? 2 });
    }
    const openai = new OpenAIClient({ env });
    const { worker, connection } = await createWorker({
      address: ctx.address,
      home,
      taskQueue,
      runtime: { ledgerFile: undefined, clients: { sim: new SimulatorClient(), openai, local: new LocalModelClient(openai, home, env) } },
    });
    const { problems, sha } = gsm8kProblems(o.data, o.problems);
    const jobs = evalJobs(problems, ['full'], { suite: 'gsm8k', dataSha256: sha, pool: localPool(), budgetUsd: 1, seed: 1 }, false).map((j) => ({ ...j, workflowId: `bench-local-${o.mode}-${process.pid}-${j.problem.id}` }));
    const t0 = performance.now();
    const rows = await worker.runUntil(runJobs({ client: ctx.client, jobs, concurrency: o.concurrency, home, taskQueue }));
    const wallSeconds = (performance.now() - t0) / 1000;
    const calls = await Promise.all(rows.map((r) => callsOf(ctx, r.workflowId)));
    await connection.close();
    const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((n, r) => n + f(r), 0);
    const inputTokens = sum((r) => r.inputTokens);
    const cachedInputTokens = sum((r) => r.cachedInputTokens ?? 0);
    return {
      mode: o.mode,
      servers,
      concurrency: o.concurrency,
      wallSeconds: round(wallSeconds, 1),
      passed: rows.filter((r) => r.pass).length,
      inputTokens,
      cachedInputTokens,
      outputTokens: sum((r) => r.outputTokens),
      promptCacheHitRate: promptCacheHitRate({ inputTokens, cachedInputTokens }),
      runs: rows.map((r, i) => ({
        problemId: r.problemId,
        status: r.status,
        pass: r.pass,
        wallSeconds: r.wallMs === null ? null : round(r.wallMs / 1000, 1),
        inputTokens: r.inputTokens,
        cachedInputTokens: r.cachedInputTokens ?? null,
        outputTokens: r.outputTokens,
        workflowId: r.workflowId,
        calls: calls[i]!,
      })),
    };
  } finally {
    for (const m of LOCAL_MODELS) await stopServer(home, m.id);
  }
}

async function callsOf(ctx: BenchContext, workflowId: string): Promise<ServingRuns['runs'][number]['calls']> {
  try {
    const r = await getResult(ctx.client, workflowId, { resolve: false });
    return r.steps
      .filter((s) => s.kind !== 'tool' && s.usage)
      .map((s) => [s.kind, s.agent, s.backbone ?? '', s.usage!.inputTokens, s.usage!.cachedInputTokens ?? null, s.usage!.outputTokens, round(s.durationMs / 1000, 1)]);
  } catch {
    return [];
  }
}

/** The serving a mode means here, for the log line. */
export function describeServing(mode: ServingMode, env: NodeJS.ProcessEnv): string {
  const s = serving({ ...env, MAS2_LOCAL_SERVING: mode });
  return `${mode}: ${s.build} build, ${s.slots} slots, ${s.pinSlots ? 'pinned slots' : "the server's own slot choice"}, ${s.batch ? 'one batch per server' : 'one call at a time'}`;
}
