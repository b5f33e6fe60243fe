/**
 * `mas2 cto` as a library: read and check TASKS.jsonl, start (or re-attach to)
 * one ctoCollect workflow per query, and export the trees as preference data
 * (docs/cto.md). The prompts are loaded here, from the blob store, after the
 * workflows return: workflow histories carry prompt references only.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { z } from 'zod';
import { preferenceLines, type CtoInput, type CtoParams, type CtoTaskLine, type CtoTree, type PreferenceLine } from '../mas/cto';
import { CtoInputSchema, CtoTaskLineSchema } from '../mas/ctoSchemas';
import type { ChatMessage } from '../mas/messages';
import type { Fault, Pool, TaskOptions } from '../mas/schemas';
import { stableStringify } from '../mas/hash';
import type { BlobStore } from '../activities/blobStore';
import { ctoCollect, ctoProgressQuery, type CtoProgress } from '../workflows/cto';
import { TASK_QUEUE } from '../workers/worker';
import { UserError } from './errors';
import { startOrAttach } from './runs';
import { JsonlError, parseJsonLines } from '../mas/jsonl';

// ---------------------------------------------------------------- TASKS.jsonl
function issues(err: z.ZodError): string {
  return err.issues
    .slice(0, 4)
    .map((i) => `${i.path.length ? i.path.join('.') : '(line)'}: ${i.message}`)
    .join('; ');
}

/** Every non-blank line must be a valid task; the first bad one is reported with its line number. */
export function parseTasksFile(text: string, file = 'TASKS.jsonl'): CtoTaskLine[] {
  try {
    return parseJsonLines(text, {
      file,
      noun: 'tasks',
      jsonHint: '; each line must be one object like {"id": "q1", "task": "...", "expected": "...", "evaluator": "exact"}',
      duplicateHint: '; ids must be unique',
      item: (value, _line, where) => {
        const r = CtoTaskLineSchema.safeParse(value);
        if (!r.success) throw new UserError(`${where} is invalid: ${issues(r.error)}`);
        return r.data;
      },
      id: (t) => t.id,
    });
  } catch (e) {
    if (e instanceof JsonlError) throw new UserError(e.message);
    throw e;
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface CollectSettings {
  pool: Pool;
  budgetUsd: number;
  params: CtoParams;
  options: Partial<TaskOptions>;
  faults: Fault[];
}

/**
 * A query's workflow id: the tasks file's content hash, a fingerprint of the
 * collection settings (K, N, M, pool, budget, ...) and the query id. The same
 * command on the same file always names the same workflows, so re-running it
 * re-attaches to them; changing the file or a setting starts new ones.
 */
export function ctoWorkflowId(fileHash: string, settings: CollectSettings, queryId: string): string {
  const safe = queryId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  const suffix = safe === queryId ? '' : `-${sha256(queryId).slice(0, 6)}`;
  return `cto-${fileHash.slice(0, 12)}-${sha256(stableStringify(settings)).slice(0, 8)}-${safe}${suffix}`;
}

export function ctoInput(line: CtoTaskLine, settings: CollectSettings): CtoInput {
  return CtoInputSchema.parse({
    queryId: line.id,
    task: line.task,
    evaluator: line.evaluator,
    expected: line.expected,
    tests: line.tests,
    tolerance: line.tolerance,
    budgetUsd: settings.budgetUsd,
    pool: settings.pool,
    params: settings.params,
    options: settings.options,
    faults: settings.faults,
  });
}

// ---------------------------------------------------------------- collection
export interface QueryRun {
  queryId: string;
  workflowId: string;
  attached: boolean;
  tree?: CtoTree;
  error?: string;
}

/**
 * Starts the query's workflow, or re-attaches when one with that id is running or completed.
 * A closed but unfinished collection (terminated, failed) starts again; its completed children are reused.
 */
export function startQuery(client: Client, input: CtoInput, workflowId: string, taskQueue = TASK_QUEUE): Promise<{ handle: WorkflowHandle<typeof ctoCollect>; attached: boolean }> {
  return startOrAttach(client, ctoCollect, {
    workflowId,
    taskQueue,
    args: [input],
    memo: { task: input.task.slice(0, 500), cto: input.queryId },
    attachTo: (status) => status === 'RUNNING' || status === 'COMPLETED',
    reusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
  });
}

export interface CollectOptions {
  client: Client;
  tasks: CtoTaskLine[];
  fileHash: string;
  settings: CollectSettings;
  taskQueue?: string;
  /** Queries collected at the same time (each has up to `concurrency` runs in flight). */
  parallel?: number;
  /** Called about twice a second with the progress of every query seen so far. */
  onProgress?: (p: { total: number; done: number; failed: number; queries: CtoProgress[] }) => void;
  /** Called once per query when its workflow is started or re-attached. */
  onStart?: (q: QueryRun) => void;
}

export async function collectTrees(o: CollectOptions): Promise<QueryRun[]> {
  const results: QueryRun[] = o.tasks.map((t) => ({ queryId: t.id, workflowId: ctoWorkflowId(o.fileHash, o.settings, t.id), attached: false }));
  const live = new Map<string, { handle: WorkflowHandle<typeof ctoCollect>; last?: CtoProgress }>();
  const final = new Map<string, CtoProgress>();
  let next = 0;
  let stop = false;
  const report = () => {
    const queries = [...final.values(), ...[...live.values()].map((l) => l.last).filter((p): p is CtoProgress => !!p)];
    o.onProgress?.({ total: results.length, done: results.filter((r) => r.tree || r.error).length, failed: results.filter((r) => r.error).length, queries });
  };
  const poller = (async () => {
    while (!stop) {
      await Promise.all(
        [...live.values()].map(async (l) => {
          try {
            l.last = await l.handle.query(ctoProgressQuery);
          } catch {
            /* no worker answered yet, or the run just closed */
          }
        }),
      );
      report();
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  const lane = async () => {
    while (next < results.length) {
      const i = next++;
      const q = results[i];
      try {
        const { handle, attached } = await startQuery(o.client, ctoInput(o.tasks[i], o.settings), q.workflowId, o.taskQueue);
        q.attached = attached;
        o.onStart?.(q);
        live.set(q.workflowId, { handle });
        q.tree = await handle.result();
        final.set(q.workflowId, progressOf(q.tree));
      } catch (e) {
        q.error = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
      } finally {
        live.delete(q.workflowId);
        report();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.parallel ?? 2, results.length)) }, lane));
  } finally {
    stop = true;
    await poller;
  }
  return results;
}

function progressOf(t: CtoTree): CtoProgress {
  const runs = Object.values(t.nodes).filter((n) => n.run).length;
  return { queryId: t.queryId, metaCalls: Object.values(t.nodes).filter((n) => n.decision).length, runsStarted: runs, runsDone: runs, running: 0, leaves: t.leaves, passed: t.passed, done: true };
}

// ---------------------------------------------------------------- export
export function treePathFor(out: string): string {
  return /\.jsonl$/i.test(out) ? out.replace(/\.jsonl$/i, '.tree.json') : `${out}.tree.json`;
}

/** The chat messages behind every preference's promptRef. */
export async function loadPrompts(blobs: BlobStore, trees: CtoTree[]): Promise<Record<string, ChatMessage[]>> {
  const refs = new Set(trees.flatMap((t) => t.preferences.map((p) => p.promptRef)));
  const out: Record<string, ChatMessage[]> = {};
  for (const ref of refs) {
    try {
      out[ref] = JSON.parse(await blobs.get(ref)) as ChatMessage[];
    } catch (e) {
      throw new UserError(`cannot load a meta-agent prompt: ${(e as Error).message}. Run \`mas2 cto\` where the workers' blob store ($MAS2_HOME/blobs) is readable.`);
    }
  }
  return out;
}

export interface ExportSummary {
  jsonl: string;
  tree: string;
  lines: number;
  perRole: Record<string, number>;
}

export async function exportPreferences(trees: CtoTree[], blobs: BlobStore, out: string, meta: Record<string, unknown> = {}): Promise<ExportSummary> {
  const prompts = await loadPrompts(blobs, trees);
  const lines: PreferenceLine[] = trees.flatMap((t) => preferenceLines(t, prompts));
  const perRole: Record<string, number> = {};
  for (const l of lines) perRole[l.role] = (perRole[l.role] ?? 0) + 1;
  const treeFile = treePathFor(out);
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeAtomic(out, lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : ''));
  writeAtomic(treeFile, JSON.stringify({ format: 'mas2-cto-trees/1', generatedAt: new Date().toISOString(), ...meta, trees }, null, 2) + '\n');
  return { jsonl: out, tree: treeFile, lines: lines.length, perRole };
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
