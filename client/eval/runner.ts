/**
 * `mas2 eval` runs: one durable mas2Task per problem × variant, with a
 * workflow id derived from what the run computes, started or re-attached
 * through startRun (client/runs.ts), at most `concurrency` at a time.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { TaskOptionsSchema, type MetaExemplars, type MetaPolicyRef, type Pool, type TaskInput } from '../../mas/schemas';
import { stableStringify } from '../../mas/hash';
import { TASK_TEXT_VERSION, type EvalProblem, type Suite } from '../../mas/eval/datasets';
import { variantOptions, type Variant } from '../../mas/eval/variants';
import { expectedOf } from '../../mas/eval/score';
import { errorRow, rowOf, type EvalRow } from '../../mas/eval/summary';
import { getResult, startRun } from '../runs';
import { openBlobStore, type BlobStore } from '../../activities/blobStore';
import { scoreAnswer } from './score';

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface EvalSettings {
  suite: Suite;
  dataSha256: string;
  pool: Pool;
  budgetUsd: number;
  seed: number;
  /** k of the cot-sc variant (absent: its default). */
  scK?: number;
  /** The trained meta policy every run uses, if any (`--meta-policy`). */
  metaPolicy?: MetaPolicyRef;
  /** A prior policy's advice for a task (client/metaPolicy.ts); covered by the policy's digest in the workflow id. */
  exemplarsFor?: (task: string) => MetaExemplars | undefined;
}

export interface EvalJob {
  problem: EvalProblem;
  variant: Variant;
  input: TaskInput;
  workflowId: string;
}

/**
 * suite, data file hash, problem id and variant in clear; a hash of
 * everything else the run depends on (task text, pool, budget, seed, the
 * variant's options). The same command names the same workflows, so a
 * re-run re-attaches; changing any of these starts new ones.
 */
export function evalWorkflowId(s: EvalSettings, problem: EvalProblem, variant: Variant, options: Record<string, unknown>): string {
  const safe = problem.id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60);
  const key = sha256(stableStringify({ v: TASK_TEXT_VERSION, task: problem.task, pool: s.pool, budgetUsd: s.budgetUsd, seed: s.seed, variant, options, ...(s.metaPolicy ? { metaPolicy: s.metaPolicy } : {}) }));
  return `eval-${s.suite}-${s.dataSha256.slice(0, 10)}-${safe}-${variant}-${key.slice(0, 10)}`;
}

export function evalJobs(problems: EvalProblem[], variants: readonly Variant[], s: EvalSettings, searchAttributes: boolean): EvalJob[] {
  return problems.flatMap((problem) =>
    variants.map((variant) => {
      const options = variantOptions(variant, s.suite, s.pool, { k: s.scK });
      const input: TaskInput = {
        task: problem.task,
        budgetUsd: s.budgetUsd,
        pool: s.pool,
        faults: [],
        options: TaskOptionsSchema.parse({ ...options, seed: s.seed, searchAttributes }),
        ...(s.metaPolicy ? { metaPolicy: s.metaPolicy } : {}),
      };
      const advice = s.exemplarsFor?.(problem.task);
      if (advice) input.metaExemplars = advice;
      return { problem, variant, input, workflowId: evalWorkflowId(s, problem, variant, options) };
    }),
  );
}

export interface RunJobsOptions {
  client: Client;
  jobs: EvalJob[];
  concurrency: number;
  home: string;
  taskQueue?: string;
  onStart?: (job: EvalJob, attached: boolean) => void;
  onDone?: (row: EvalRow) => void;
}

async function runOne(o: RunJobsOptions, job: EvalJob, blobs: BlobStore): Promise<EvalRow> {
  const base = { problemId: job.problem.id, line: job.problem.line, variant: job.variant, workflowId: job.workflowId, attached: false, expected: expectedOf(job.problem.scoring) };
  try {
    const { handle, attached } = await startRun(o.client, job.input, job.workflowId, o.taskQueue);
    base.attached = attached;
    o.onStart?.(job, attached);
    try {
      await handle.result();
    } catch {
      /* the result document says what happened */
    }
    const result = await getResult(o.client, job.workflowId, { blobs });
    const score = await scoreAnswer(job.problem, result.answer, { home: o.home, workflowId: job.workflowId });
    return rowOf(base, result, score);
  } catch (e) {
    return errorRow(base, (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message);
  }
}

/** Runs every job (in order, `concurrency` lanes); a failing job becomes an `error` row, never a lost one. */
export async function runJobs(o: RunJobsOptions): Promise<EvalRow[]> {
  const rows: EvalRow[] = new Array(o.jobs.length);
  // The texts are in the blob store of the home the runs ran under (a bench's scratch home too).
  const blobs = openBlobStore(o.home);
  let next = 0;
  const lane = async () => {
    while (next < o.jobs.length) {
      const i = next++;
      rows[i] = await runOne(o, o.jobs[i], blobs);
      o.onDone?.(rows[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, o.jobs.length)) }, lane));
  return rows;
}
