/**
 * `mas2 gc`: delete blobs that no run can need any more (mark and sweep).
 *
 * Mark: every run the namespace still shows that is open, or closed less than
 * `retention` ago, has its history read, and every `sha256:<hex>` in it (in
 * any payload: activity inputs and results, workflow inputs of children and
 * continued runs, signals, queries are not stored) is live. A run can only
 * ever use a blob whose reference is in its history, because workflow code is
 * a deterministic function of its history.
 *
 * Sweep: a stored blob is deleted only when it is not live AND was not put
 * (or re-put) during the last `grace`. The grace covers what the mark cannot
 * see: an activity that wrote a blob and has not reported its result yet (the
 * reference reaches the history only when it completes, at most its
 * start-to-close timeout later — 10 minutes in mas2), and runs that start
 * while gc runs. So grace must exceed the longest activity timeout plus the
 * clock skew between the gc host and the blob store; the default is 1 hour.
 *
 * Before anything else, the server must be this store's (client/serverIdentity.ts):
 * another home's histories refer to none of this home's blobs. Histories are
 * read a page at a time, smaller pages when one is too large for a gRPC message;
 * a history that still cannot be read is skipped with a warning, and since what
 * it refers to is unknown, nothing written since that run started is deleted.
 */
import type { Client } from '@temporalio/client';
import type { CollectableBlobStore } from '../activities/blobStore';
import { UserError, describeError } from './errors';
import { notOursLine, ownership } from './serverIdentity';

export interface GcOptions {
  client: Client;
  store: CollectableBlobStore;
  /** Where the client is connected, for messages. */
  address?: string;
  /** Closed runs younger than this keep their blobs. */
  retentionMs: number;
  /** Blobs put within this window are kept whatever the mark says. */
  graceMs: number;
  dryRun?: boolean;
  now?: Date;
  log?: (line: string) => void;
}

export interface GcReport {
  runsScanned: number;
  openRuns: number;
  liveRefs: number;
  stored: number;
  storedBytes: number;
  keptLive: number;
  keptRecent: number;
  deleted: number;
  deletedBytes: number;
  dryRun: boolean;
  /** Runs whose history could not be read (skipped with a warning). */
  skippedRuns: number;
  /** Blobs kept because a skipped run started before they were written. */
  keptUnread: number;
}

/** gRPC status RESOURCE_EXHAUSTED: e.g. a history page larger than the 4 MiB message limit. */
const RESOURCE_EXHAUSTED = 8;

/** Marks every reference in one run's history, a page at a time (smaller pages when one is too large). */
async function markHistory(client: Client, workflowId: string, runId: string, live: Set<string>): Promise<void> {
  let pageSize = 256;
  let nextPageToken: Uint8Array | undefined;
  for (;;) {
    let page;
    try {
      page = await client.workflowService.getWorkflowExecutionHistory({ namespace: client.options.namespace, execution: { workflowId, runId }, maximumPageSize: pageSize, nextPageToken });
    } catch (e) {
      if ((e as { code?: unknown }).code === RESOURCE_EXHAUSTED && pageSize > 1) {
        pageSize = Math.max(1, Math.floor(pageSize / 8));
        continue;
      }
      throw e;
    }
    refsIn(page.history, live);
    if (!page.nextPageToken?.length) return;
    nextPageToken = page.nextPageToken;
  }
}

export const MIN_GRACE_MS = 15 * 60 * 1000;

const REF_RE = /sha256:[0-9a-f]{64}/g;

/** Every blob reference anywhere in a decoded history (payload bytes and strings alike). */
export function refsIn(value: unknown, out: Set<string> = new Set()): Set<string> {
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (v === null || v === undefined) return;
    if (typeof v === 'string') {
      for (const m of v.match(REF_RE) ?? []) out.add(m);
      return;
    }
    if (v instanceof Uint8Array) {
      for (const m of Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1').match(REF_RE) ?? []) out.add(m);
      return;
    }
    if (typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) for (const x of v) walk(x);
    else for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k]);
  };
  walk(value);
  return out;
}

export async function collectGarbage(o: GcOptions): Promise<GcReport> {
  const now = o.now ?? new Date();
  const log = o.log ?? (() => undefined);
  const namespace = o.client.options.namespace;
  const identity = await o.store.identity();
  const owner = await ownership(o.client.connection, namespace, identity);
  if (owner.owner !== 'this') {
    const claim = owner.owner === 'nobody' ? `; if its runs really write to ${o.store.where}, claim it once with \`mas2 gc --claim\`` : '';
    throw new UserError(`refusing to collect garbage: ${notOursLine(owner, { address: o.address ?? 'the configured address', namespace, identity, where: o.store.where })}; nothing was deleted${claim}`);
  }
  const notTouchedSince = new Date(now.getTime() - o.graceMs);
  const cutoff = new Date(now.getTime() - o.retentionMs);
  const live = new Set<string>();
  let runsScanned = 0;
  let openRuns = 0;
  let skippedRuns = 0;
  let keepSince = notTouchedSince;
  for await (const wf of o.client.workflow.list()) {
    const open = wf.status.name === 'RUNNING';
    if (!open && (!wf.closeTime || wf.closeTime < cutoff)) continue;
    if (open) openRuns++;
    try {
      await markHistory(o.client, wf.workflowId, wf.runId, live);
    } catch (e) {
      // What it refers to is unknown: everything written since it started stays (at worst, too much is kept).
      skippedRuns++;
      if (wf.startTime < keepSince) keepSince = wf.startTime;
      log(`warning: skipped the history of ${wf.workflowId} (run ${wf.runId}), which could not be read: ${describeError(e)}; blobs written since ${wf.startTime.toISOString()} are kept`);
      continue;
    }
    runsScanned++;
  }
  log(`marked ${live.size} live blobs in ${runsScanned} runs (${openRuns} open${skippedRuns ? `, ${skippedRuns} skipped` : ''})`);
  const report: GcReport = { runsScanned, openRuns, liveRefs: live.size, stored: 0, storedBytes: 0, keptLive: 0, keptRecent: 0, deleted: 0, deletedBytes: 0, dryRun: Boolean(o.dryRun), skippedRuns, keptUnread: 0 };
  const doomed: { ref: string; bytes: number }[] = [];
  for await (const b of o.store.list()) {
    report.stored++;
    report.storedBytes += b.bytes;
    if (live.has(b.ref)) report.keptLive++;
    else if (b.touchedAt >= notTouchedSince) report.keptRecent++;
    else if (b.touchedAt >= keepSince) report.keptUnread++;
    else doomed.push(b);
  }
  if (o.dryRun) {
    report.deleted = doomed.length;
    report.deletedBytes = doomed.reduce((s, b) => s + b.bytes, 0);
    return report;
  }
  report.deleted = await o.store.delete(
    doomed.map((b) => b.ref),
    keepSince,
  );
  // Exact unless a blob was re-put between the listing and the delete (then it was kept, and this is an upper bound).
  report.deletedBytes = doomed.reduce((s, b) => s + b.bytes, 0);
  log(`deleted ${report.deleted} of ${report.stored} blobs`);
  return report;
}

/** "30d", "12h", "90m", "45s" → milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
