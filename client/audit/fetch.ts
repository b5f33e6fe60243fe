/** The I/O side of `mas2 audit`: a workflow id's run chain and histories, and the live state when there is no result yet. */
import type { Client } from '@temporalio/client';
import type { Result } from '../../mas/schemas';
import { UserError } from '../errors';
import type { BlobStore } from '../../activities/blobStore';
import { localBlobs } from '../resolve';
import type { RunHistory } from './history';
import { projectHistory } from './project';
import type { Audit } from './schemas';

/** The runs of a workflow id's latest continue-as-new chain, oldest first, with their histories. */
export async function fetchRunHistories(client: Client, workflowId: string): Promise<RunHistory[]> {
  const listed: { runId: string; start: number }[] = [];
  try {
    for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId.replace(/'/g, "\\'")}'` })) {
      listed.push({ runId: w.runId, start: w.startTime.getTime() });
    }
  } catch {
    /* visibility may be unavailable or restricted; describe() and the run chain below still work */
  }
  listed.sort((a, b) => a.start - b.start);
  // Visibility can lag a just-started run: describe() names the latest run in any case.
  let latest = listed[listed.length - 1]?.runId;
  try {
    latest = (await client.workflow.getHandle(workflowId).describe()).runId;
  } catch (e) {
    if ((e as Error).name === 'WorkflowNotFoundError' && !latest) throw new UserError(`no run with id "${workflowId}"; see \`mas2 list\``);
    if (!latest) throw e;
  }
  const fetchRun = async (runId: string): Promise<RunHistory> => {
    const h = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    return { runId, events: h.events ?? [] };
  };
  // Walk back from the latest run along continuedExecutionRunId: only its chain, not older runs that reused the id.
  const chain: RunHistory[] = [];
  const seen = new Set<string>();
  let runId: string | undefined = latest;
  while (runId && !seen.has(runId) && chain.length < 10_000) {
    seen.add(runId);
    let h: RunHistory;
    try {
      h = await fetchRun(runId);
    } catch (e) {
      if (chain.length === 0) throw e;
      break; // an earlier run is gone (retention): projectHistory notes the gap
    }
    chain.unshift(h);
    const started = h.events.find((e) => e.workflowExecutionStartedEventAttributes)?.workflowExecutionStartedEventAttributes;
    runId = started?.continuedExecutionRunId || undefined;
  }
  return chain;
}

/** The audit of a workflow id: its history projected, plus the live state when the run has no result yet. */
export async function fetchAudit(client: Client, workflowId: string, opts: { queryTimeoutMs?: number; blobs?: BlobStore } = {}): Promise<Audit> {
  const runs = await fetchRunHistories(client, workflowId);
  const last = runs[runs.length - 1];
  const completed = last?.events.some((e) => e.workflowExecutionCompletedEventAttributes);
  let state: Result | undefined;
  if (!completed) {
    // Only for decisions that have no activity (forced, ablation); needs a worker, so it is best effort.
    const timeout = opts.queryTimeoutMs ?? 3000;
    let timer: NodeJS.Timeout | undefined;
    state = await Promise.race([
      client.workflow
        .getHandle(workflowId, last?.runId)
        .query<Result>('state')
        .catch(() => undefined),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeout);
      }),
    ]);
    if (timer) clearTimeout(timer);
  }
  const audit = projectHistory(runs, { workflowId, state });
  if (audit.result?.answerRef) {
    // The run keeps its answer by reference (mas/content.ts): the audit shows the full text when this machine has it.
    const text = await (opts.blobs ?? localBlobs()).get(audit.result.answerRef).catch(() => null);
    if (text !== null) audit.result.answer = text;
    else audit.notes.push(`the answer is shown by its first 240 characters: blob ${audit.result.answerRef} is not in this machine's blob store`);
  }
  if (!completed && !state && (!audit.generator.fromMetaAgent || !audit.implementer.fromMetaAgent)) {
    audit.notes.push('no worker answered the `state` query, so decisions made without a meta-agent activity are reconstructed from the history and the built-in rules');
  }
  return audit;
}
