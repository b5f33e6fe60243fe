/**
 * A handle on one mas2 run: follow its progress as events, get its result,
 * steer it (rectify, raise the budget, cancel) and read its audit. Thin over
 * client/runs.ts, which the CLI uses too.
 */
import type { Client } from '@temporalio/client';
import type { Config, Rectification, Result, Step } from '../mas/schemas';
import { cancelRun, getResult, raiseBudget, sendRectify } from '../client/runs';
import { fetchAudit } from '../client/audit';
import type { Audit } from '../client/audit';
import { resumeRun } from '../client/resume';
import { localBlobs } from '../client/resolve';
import type { BlobStore } from '../activities/blobStore';

export type RunEvent =
  /** The team M_t the run executes: after the Generator and Implementer, and after each rectification. */
  | { type: 'team'; config: Config }
  /** A finished model, tool or meta-agent call. */
  | { type: 'step'; step: Step }
  | { type: 'rectification'; rectification: Rectification }
  /** An agent's output (again after a re-run). */
  | { type: 'output'; agent: string; text: string }
  /** The last event: the result document. */
  | { type: 'finished'; result: Result };

export interface FollowOptions {
  /** How often the live state is read (default 300 ms). */
  intervalMs?: number;
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

export class Run {
  constructor(
    readonly client: Client,
    readonly workflowId: string,
  ) {}

  /**
   * Snapshots of the result document until the run closes; the last one is the final result.
   * A snapshot is yielded only when the run moved on.
   */
  async *snapshots(opts: FollowOptions = {}): AsyncGenerator<Result> {
    const handle = this.client.workflow.getHandle(this.workflowId);
    let closed = false;
    const done = handle.result().then(
      () => undefined,
      () => undefined, // the result document says what happened
    );
    void done.then(() => {
      closed = true;
    });
    let last = '';
    while (!closed && !opts.signal?.aborted) {
      try {
        const r = await getResult(this.client, this.workflowId, { queryTimeoutMs: 5000, resolve: false });
        const key = `${r.status}|${r.steps.length}|${r.rectifications.length}|${r.config?.version ?? 0}|${Object.keys(r.outputs).length}`;
        // Progress polls read previews only; the closing snapshot below resolves the texts.
        if (r.status !== 'running') break;
        if (key !== last) {
          last = key;
          yield r;
        }
      } catch {
        /* a query can miss while the run closes or continues as new */
      }
      await Promise.race([sleep(opts.intervalMs ?? 300, opts.signal), done]);
    }
    if (opts.signal?.aborted) return;
    yield await getResult(this.client, this.workflowId);
  }

  /** Progress as events, ending with `finished` (the result). */
  async *follow(opts: FollowOptions = {}): AsyncGenerator<RunEvent> {
    let steps = 0;
    let rects = 0;
    let version = 0;
    const seen = new Set<string>();
    let final: Result | undefined;
    for await (const r of this.snapshots(opts)) {
      if (r.config && r.config.version !== version) {
        version = r.config.version;
        yield { type: 'team', config: r.config };
      }
      for (const step of r.steps.slice(steps)) yield { type: 'step', step };
      steps = r.steps.length;
      for (const rectification of r.rectifications.slice(rects)) yield { type: 'rectification', rectification };
      rects = r.rectifications.length;
      for (const [agent, o] of Object.entries(r.outputs)) {
        const key = `${agent}@${o.inputsKey}`;
        if (seen.has(key)) continue;
        seen.add(key);
        yield { type: 'output', agent, text: o.text };
      }
      final = r;
    }
    if (final && final.status !== 'running') yield { type: 'finished', result: final };
  }

  /** Waits for the run to end and returns its result document. */
  async result(): Promise<Result> {
    try {
      await this.client.workflow.getHandle(this.workflowId).result();
    } catch {
      /* the result document below says what happened */
    }
    return getResult(this.client, this.workflowId);
  }

  /** The result document so far (the live state while it runs; needs a worker then). */
  state(): Promise<Result> {
    return getResult(this.client, this.workflowId);
  }

  /** External trigger: the Rectifier revises the running team for this reason. */
  rectify(reason: string): Promise<void> {
    return sendRectify(this.client, this.workflowId, reason);
  }

  /** Raises the hard budget (rejected at or below what is already spent); returns the new budget. */
  raiseBudget(budgetUsd: number): Promise<number> {
    return raiseBudget(this.client, this.workflowId, budgetUsd);
  }

  /**
   * Goes on with a run that stopped on a storage fault, from its saved state, under the same id
   * (`mas2 resume`): once the content is back, or with `rederive` after dropping what depended on it.
   */
  async resume(opts: { rederive?: boolean; blobs?: BlobStore } = {}): Promise<{ dropped: string[] }> {
    const blobs = opts.blobs ?? localBlobs();
    try {
      const r = await resumeRun(this.client, this.workflowId, { blobs, rederive: opts.rederive });
      return { dropped: r.dropped };
    } finally {
      if (!opts.blobs) await (blobs as { close?: () => Promise<void> }).close?.();
    }
  }

  /** Cancels the run; it ends as `cancelled` with its partial results. */
  cancel(): Promise<void> {
    return cancelRun(this.client, this.workflowId);
  }

  /** Every decision of the run, from its Temporal history (see `mas2 audit`). */
  audit(): Promise<Audit> {
    return fetchAudit(this.client, this.workflowId);
  }
}
