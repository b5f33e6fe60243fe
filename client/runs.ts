/** Starting, following and steering runs through the Temporal client. */
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Client, WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { TaskInputSchema, type Result, type TaskInput } from '../mas/schemas';
import { mas2Task, stateQuery, rectifySignal, raiseBudgetUpdate } from '../workflows';
import { TASK_QUEUE } from '../workers/worker';
import { UserError } from './errors';
import { runDetails, runSummary } from '../mas/progress';
import { localBlobs, missingNote, resolveResult } from './resolve';
import { zodLine } from './inputs';
import { MAX_REASON_CHARS } from '../mas/handlerInputs';
import { say } from './terminal';
import { checkPayload } from './payload';
import type { BlobStore } from '../activities/blobStore';

export const WORKFLOW_TYPE = 'mas2Task';

/**
 * Starts a workflow, or re-attaches to an existing one with that id when
 * `attachTo(status)` says so; a start racing another caller's start attaches too.
 */
export async function startOrAttach<T extends Workflow>(
  client: Client,
  workflow: T,
  opts: {
    workflowId: string;
    taskQueue: string;
    args: Parameters<T>;
    memo: Record<string, unknown>;
    attachTo: (status: string) => boolean;
    reusePolicy: WorkflowIdReusePolicy;
    /** What the Temporal UI shows for the run (markdown details). */
    staticSummary?: string;
    staticDetails?: string;
  },
): Promise<{ handle: WorkflowHandle<T>; attached: boolean }> {
  checkPayload('the run input', opts.args);
  const existing = client.workflow.getHandle<T>(opts.workflowId);
  const status = await existing.describe().then(
    (d) => d.status.name as string,
    () => null,
  );
  if (status !== null && opts.attachTo(status)) return { handle: existing, attached: true };
  try {
    const handle = await client.workflow.start(workflow, {
      taskQueue: opts.taskQueue,
      workflowId: opts.workflowId,
      args: opts.args,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: opts.reusePolicy,
      memo: opts.memo,
      staticSummary: opts.staticSummary,
      staticDetails: opts.staticDetails,
      // The SDK types `args` by a conditional on Parameters<T>, which TS cannot resolve for a generic T.
    } as unknown as WorkflowStartOptions<T>);
    return { handle, attached: false };
  } catch (e) {
    if ((e as Error).name === 'WorkflowExecutionAlreadyStartedError') return { handle: existing, attached: true };
    throw e;
  }
}

/** `--id` is idempotent: a run with that id, running or finished, is re-attached instead of started again. */
export async function startRun(client: Client, input: TaskInput, workflowId: string, taskQueue = TASK_QUEUE): Promise<{ handle: WorkflowHandle<typeof mas2Task>; attached: boolean }> {
  const checked = TaskInputSchema.safeParse(input);
  if (!checked.success) throw new UserError(`invalid run input: ${zodLine(checked.error)}`);
  const parsed = checked.data;
  return startOrAttach(client, mas2Task, {
    workflowId,
    taskQueue,
    args: [parsed],
    memo: { task: parsed.task.slice(0, 500), budgetUsd: parsed.budgetUsd },
    attachTo: () => true,
    reusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    staticSummary: runSummary(parsed),
    staticDetails: runDetails(parsed),
  });
}

/**
 * The result document: the stored result of a closed run, or the live state of a running one,
 * with output texts read back from the blob store (`resolve: false` leaves the previews: progress polling).
 */
export async function getResult(client: Client, workflowId: string, opts: { queryTimeoutMs?: number; resolve?: boolean; blobs?: BlobStore } = {}): Promise<Result> {
  const raw = await rawResult(client, workflowId, opts);
  if (opts.resolve === false) return raw;
  const blobs = opts.blobs ?? localBlobs();
  const resolved = await resolveResult(raw, blobs);
  const { result } = resolved;
  const note = missingNote(resolved, (blobs as { where?: string }).where ?? 'of this machine');
  if (note) say(note);
  return result;
}

/** The run's handle and description; an id Temporal does not know is one line for the user. */
export async function describeRun(client: Client, workflowId: string) {
  const handle = client.workflow.getHandle<typeof mas2Task>(workflowId);
  try {
    return { handle, desc: await handle.describe() };
  } catch (e) {
    if ((e as Error).name === 'WorkflowNotFoundError') throw new UserError(`no run with id "${workflowId}"; see \`mas2 list\``);
    throw e;
  }
}

async function rawResult(client: Client, workflowId: string, opts: { queryTimeoutMs?: number }): Promise<Result> {
  const { handle, desc } = await describeRun(client, workflowId);
  if (desc.status.name === 'COMPLETED') return handle.result();
  if (desc.status.name === 'RUNNING') {
    const timeout = opts.queryTimeoutMs ?? 10_000;
    const result = await Promise.race([
      handle.query(stateQuery),
      new Promise<never>((_, reject) => setTimeout(() => reject(new UserError(`run ${workflowId} is running but no worker answered within ${timeout / 1000}s; start one with \`mas2 worker\``)), timeout).unref()),
    ]);
    return result;
  }
  throw new UserError(`run ${workflowId} ended as ${desc.status.name.toLowerCase()} without a result document (${desc.status.name === 'TERMINATED' ? 'it was terminated' : 'see `mas2 audit`'})`);
}

export async function sendRectify(client: Client, workflowId: string, reason: string): Promise<void> {
  if (!reason.trim()) throw new UserError('--reason is empty: say what the Rectifier should fix');
  if (reason.length > MAX_REASON_CHARS) throw new UserError(`--reason is ${reason.length} characters; at most ${MAX_REASON_CHARS}`);
  const handle = client.workflow.getHandle(workflowId);
  const desc = await handle.describe().catch(() => {
    throw new UserError(`no run with id "${workflowId}"`);
  });
  if (desc.status.name !== 'RUNNING') throw new UserError(`run ${workflowId} is ${desc.status.name.toLowerCase()}; only a running task can be rectified`);
  await handle.signal(rectifySignal, { reason });
}

export async function raiseBudget(client: Client, workflowId: string, budgetUsd: number): Promise<number> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    const r = await handle.executeUpdate(raiseBudgetUpdate, { args: [{ budgetUsd }] });
    return r.budgetUsd;
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause;
    throw new UserError(`budget not raised: ${cause?.message ?? (e as Error).message}`);
  }
}

export async function cancelRun(client: Client, workflowId: string): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  const desc = await handle.describe().catch(() => {
    throw new UserError(`no run with id "${workflowId}"`);
  });
  if (desc.status.name !== 'RUNNING') throw new UserError(`run ${workflowId} is already ${desc.status.name.toLowerCase()}`);
  await handle.cancel();
}

export interface RunListing {
  workflowId: string;
  runId: string;
  status: string;
  temporalStatus: string;
  task: string;
  costUsd: number | null;
  startTime: string;
  closeTime: string | null;
}

export async function listRuns(client: Client, opts: { status?: string; limit?: number; searchAttributes: boolean }): Promise<RunListing[]> {
  const clauses = [`WorkflowType = '${WORKFLOW_TYPE}'`];
  if (opts.status && opts.searchAttributes) clauses.push(`Mas2Status = '${opts.status.replace(/'/g, '')}'`);
  const out: RunListing[] = [];
  const seen = new Set<string>();
  for await (const w of client.workflow.list({ query: clauses.join(' AND ') })) {
    // Continue-as-new leaves one closed execution per run; list each task once, newest run first.
    if (seen.has(w.workflowId)) continue;
    seen.add(w.workflowId);
    const sa = w.searchAttributes as Record<string, unknown[] | undefined>;
    const mas2Status = (sa?.Mas2Status?.[0] as string | undefined) ?? mapStatus(w.status.name);
    if (opts.status && !opts.searchAttributes && mas2Status !== opts.status) continue;
    out.push({
      workflowId: w.workflowId,
      runId: w.runId,
      status: mas2Status,
      temporalStatus: w.status.name,
      task: String((w.memo as { task?: string } | undefined)?.task ?? ''),
      costUsd: (sa?.Mas2CostUsd?.[0] as number | undefined) ?? null,
      startTime: w.startTime.toISOString(),
      closeTime: w.closeTime?.toISOString() ?? null,
    });
    if (out.length >= (opts.limit ?? 50)) break;
  }
  return out;
}

function mapStatus(temporal: string): string {
  switch (temporal) {
    case 'RUNNING':
      return 'running';
    case 'CANCELLED':
      return 'cancelled';
    case 'COMPLETED':
      return 'completed';
    default:
      return 'failed';
  }
}
