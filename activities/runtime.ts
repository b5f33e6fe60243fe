/** What the activities need from the process that hosts them: storage, model clients, a ledger. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Backbone } from '../mas/schemas';
import { FAILURE_TYPES } from '../mas/contract';
import { isBlobFault, type BlobStore } from './blobStore';
import { STORAGE_FAULT_TYPE, type StorageFaultDetails } from '../mas/storageFault';
import { isModelError, type ModelClient } from './models/types';
import { SimulatorClient } from './models/sim';
import { OpenAIClient } from './models/openai';
import type { ToolSet } from './tools/toolset';
import { LocalModelClient } from './models/local';

export interface Runtime {
  home: string;
  blobs: BlobStore;
  clients: { sim: ModelClient; openai: ModelClient; local?: ModelClient };
  /** When set, every finished model and tool call is appended here (chaos tests count repeats). */
  ledgerFile?: string;
  /** Own tools and MCP servers besides the built-ins; absent: the built-ins only. */
  tools?: ToolSet;
}

export function defaultClients(): Runtime['clients'] {
  return { sim: new SimulatorClient(), openai: new OpenAIClient() };
}

export function clientFor(rt: Runtime, backbone: Backbone): ModelClient {
  if (backbone.provider === 'sim') return rt.clients.sim;
  if (backbone.local) return (rt.clients.local ??= new LocalModelClient(rt.clients.openai, rt.home));
  return rt.clients.openai;
}

export async function appendLedger(rt: Runtime, entry: Record<string, unknown>): Promise<void> {
  if (!rt.ledgerFile) return;
  await fs.mkdir(path.dirname(rt.ledgerFile), { recursive: true });
  await fs.appendFile(rt.ledgerFile, JSON.stringify({ ...entry, at: Date.now() }) + '\n');
}

/** Activity context, or a stand-in when an activity function is called directly (unit tests, `mas2 tool`). */
export function activityInfo(): { attempt: number; signal?: AbortSignal; heartbeat: (d?: unknown) => void } {
  try {
    const ctx = Context.current();
    return { attempt: ctx.info.attempt, signal: ctx.cancellationSignal, heartbeat: (d) => ctx.heartbeat(d) };
  } catch {
    return { attempt: 1, heartbeat: () => undefined };
  }
}

/** Heartbeats while `work` runs, so a dead worker's call is retried within seconds, not after the whole timeout. */
export async function withHeartbeat<T>(work: Promise<T>, heartbeat: (d?: unknown) => void, everyMs = 2000): Promise<T> {
  // No heartbeat at t = 0: the heartbeat timeout already runs from the activity's start, and a
  // zero-latency call would pay one more server round trip for nothing.
  const timer = setInterval(() => heartbeat(), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/**
 * A blob-store fault becomes a StorageFault failure that Temporal retries with backoff (the
 * content may come back); the workflow reads it as what it is, never as a model or tool
 * failure (mas/storageFault.ts). Anything else is returned unchanged.
 */
export function storageFailure(e: unknown, input: { workflowId?: string; callKey?: string }): unknown {
  if (!isBlobFault(e)) return e;
  const where = [input.workflowId && `run ${input.workflowId}`, input.callKey && `call ${input.callKey}`].filter(Boolean).join(', ');
  const details: StorageFaultDetails = { kind: e.kind, ref: e.ref, where: e.where };
  return ApplicationFailure.create({ message: `storage fault${where ? ` (${where})` : ''}: ${e.message}`, type: STORAGE_FAULT_TYPE, nonRetryable: false, details: [details] });
}

/**
 * Provider errors become Temporal failures: transient ones are retried by the
 * activity retry policy (visible in history), the rest are typed and final.
 */
export function toFailure(e: unknown, what: string): unknown {
  if (isModelError(e)) {
    const message = `${what}: ${e.message}`;
    if (e.retryable) return ApplicationFailure.create({ message, type: `ModelTransient.${e.kind}`, nonRetryable: false });
    const type = e.kind === 'schema' ? FAILURE_TYPES.schema : e.kind === 'config' ? FAILURE_TYPES.config : FAILURE_TYPES.modelCall;
    return ApplicationFailure.create({ message, type, nonRetryable: true, details: [{ kind: e.kind, status: e.status ?? null }] });
  }
  return e;
}
