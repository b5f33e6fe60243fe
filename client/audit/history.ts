/**
 * Reading raw Temporal history events: payload decoding, timestamps and
 * failures, and `gather`, which folds one chain of runs into activities,
 * signals, updates and cancel requests — one small handler per event kind.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import { signalProblem } from '../../mas/handlerInputs';
import type { CancelRequestAudit, RunEnd, SignalAudit, UpdateAudit } from './schemas';

/** The signals mas2Task handles; any other name is recorded and ignored by the run. */
const TASK_SIGNALS = ['rectify'];

export type HistoryEvent = NonNullable<History['events']>[number];
export interface RunHistory {
  runId: string;
  events: HistoryEvent[];
}

type Payloads = { payloads?: Parameters<typeof defaultPayloadConverter.fromPayload>[0][] | null } | null | undefined;

/** protobuf int64 (Long), string (proto JSON), number or bigint → number. */
export function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' || typeof v === 'bigint') return Number(v);
  if (typeof v === 'object') {
    const o = v as { toNumber?: () => number; low?: number; high?: number };
    if (typeof o.toNumber === 'function') return o.toNumber();
    if (typeof o.low === 'number' && typeof o.high === 'number') return o.high * 2 ** 32 + (o.low >>> 0);
  }
  return Number(v);
}

export function timeMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  if (!ts) return undefined;
  return num(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

export const iso = (ms: number | undefined): string => (ms === undefined ? '' : new Date(ms).toISOString());

export function decode(p: Payloads): unknown[] {
  return (p?.payloads ?? []).map((x) => {
    try {
      return defaultPayloadConverter.fromPayload(x);
    } catch (e) {
      return `<payload not decodable: ${(e as Error).message}>`;
    }
  });
}

const RETRY_STATES = ['UNSPECIFIED', 'IN_PROGRESS', 'NON_RETRYABLE_FAILURE', 'TIMEOUT', 'MAXIMUM_ATTEMPTS_REACHED', 'RETRY_POLICY_NOT_SET', 'INTERNAL_SERVER_ERROR', 'CANCEL_REQUESTED'];
function retryStateName(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v.replace(/^RETRY_STATE_/, '');
  const n = num(v);
  return n ? RETRY_STATES[n] ?? String(n) : undefined;
}

interface FailureLike {
  message?: string | null;
  applicationFailureInfo?: { type?: string | null } | null;
  timeoutFailureInfo?: { timeoutType?: unknown } | null;
  cause?: FailureLike | null;
}

/** The innermost useful message and type of a Temporal failure. */
export function failureText(f: FailureLike | null | undefined): { message: string; type?: string } {
  if (!f) return { message: 'unknown failure' };
  const type = f.applicationFailureInfo?.type ?? undefined;
  if (!type && f.cause) {
    const inner = failureText(f.cause);
    return { message: f.message ? `${f.message}: ${inner.message}` : inner.message, type: inner.type };
  }
  return { message: f.message || (f.timeoutFailureInfo ? 'activity timed out' : 'failure without a message'), type: type || undefined };
}

/** One activity as the history tells it: scheduled, maybe started, maybe closed. */
export interface Activity {
  run: number;
  scheduledId: number;
  type: string;
  input: unknown;
  scheduledAt: number | undefined;
  startedAt?: number;
  attempt?: number;
  closeId?: number;
  closedAt?: number;
  outcome?: 'completed' | 'failed' | 'timed_out' | 'cancelled';
  result?: unknown;
  failure?: { message: string; type?: string; retryState?: string };
  cancelRequested?: boolean;
}

export interface RunRecord {
  runId: string;
  args: unknown[];
  startedAt?: number;
  closedAt?: number;
  end: RunEnd;
  reason?: string;
  result?: unknown;
  events: number;
  continuedFrom?: string;
}

export interface Gathered {
  runs: RunRecord[];
  activities: Activity[];
  signals: SignalAudit[];
  updates: UpdateAudit[];
  cancels: CancelRequestAudit[];
}

/** What an event handler sees: the event's id and time, its run, and the run's open activities and updates. */
interface EventContext {
  id: number;
  at: number | undefined;
  run: number;
  rec: RunRecord;
  acts: Map<number, Activity>;
  updates: Map<string, UpdateAudit>;
  out: Gathered;
}

type Attrs<K extends keyof HistoryEvent> = NonNullable<HistoryEvent[K]>;
type Handlers = { [K in keyof HistoryEvent]?: (a: Attrs<K>, c: EventContext) => void };

const closeActivity = (c: EventContext, scheduledEventId: unknown, fields: Partial<Activity>) => {
  const act = c.acts.get(num(scheduledEventId));
  if (act) Object.assign(act, { closeId: c.id, closedAt: c.at }, fields);
};

const activityFailure = (a: { failure?: unknown; retryState?: unknown }) => ({ ...failureText(a.failure as FailureLike), retryState: retryStateName(a.retryState) });

/** One handler per history event kind mas2's audit reads; other events are counted, not decoded. */
const HANDLERS: Handlers = {
  workflowExecutionStartedEventAttributes(a, c) {
    c.rec.args = decode(a.input);
    c.rec.startedAt = c.at;
    c.rec.continuedFrom = a.continuedExecutionRunId || undefined;
  },
  activityTaskScheduledEventAttributes(a, c) {
    const act: Activity = { run: c.run, scheduledId: c.id, type: a.activityType?.name ?? '?', input: decode(a.input)[0], scheduledAt: c.at };
    c.acts.set(c.id, act);
    c.out.activities.push(act);
  },
  activityTaskStartedEventAttributes(a, c) {
    const act = c.acts.get(num(a.scheduledEventId));
    if (act) {
      act.startedAt = c.at;
      act.attempt = a.attempt ?? undefined;
    }
  },
  activityTaskCompletedEventAttributes(a, c) {
    closeActivity(c, a.scheduledEventId, { outcome: 'completed', result: decode(a.result)[0] });
  },
  activityTaskFailedEventAttributes(a, c) {
    closeActivity(c, a.scheduledEventId, { outcome: 'failed', failure: activityFailure(a) });
  },
  activityTaskTimedOutEventAttributes(a, c) {
    closeActivity(c, a.scheduledEventId, { outcome: 'timed_out', failure: activityFailure(a) });
  },
  activityTaskCancelRequestedEventAttributes(a, c) {
    const act = c.acts.get(num(a.scheduledEventId));
    if (act) act.cancelRequested = true;
  },
  activityTaskCanceledEventAttributes(a, c) {
    closeActivity(c, a.scheduledEventId, { outcome: 'cancelled' });
  },
  workflowExecutionSignaledEventAttributes(a, c) {
    const args = decode(a.input);
    const first = args[0] as { reason?: unknown } | undefined;
    c.out.signals.push({
      run: c.run,
      at: iso(c.at),
      name: a.signalName ?? '?',
      reason: a.signalName === 'rectify' && typeof first?.reason === 'string' ? first.reason : undefined,
      args,
      identity: a.identity || undefined,
      rejected: signalProblem(a.signalName ?? '?', args, TASK_SIGNALS),
    });
  },
  workflowExecutionUpdateAcceptedEventAttributes(a, c) {
    const updateId = a.acceptedRequest?.meta?.updateId ?? a.protocolInstanceId ?? undefined;
    const u = { run: c.run, at: iso(c.at), name: a.acceptedRequest?.input?.name ?? '?', updateId: updateId ?? undefined, args: decode(a.acceptedRequest?.input?.args), outcome: 'accepted' as const };
    c.updates.set(updateId ?? `#${c.id}`, u);
    c.out.updates.push(u);
  },
  workflowExecutionUpdateCompletedEventAttributes(a, c) {
    const u = c.updates.get(a.meta?.updateId ?? '');
    if (!u) return;
    u.completedAt = iso(c.at);
    if (a.outcome?.failure) Object.assign(u, { outcome: 'failed', error: failureText(a.outcome.failure as FailureLike).message });
    else Object.assign(u, { outcome: 'completed', result: decode(a.outcome?.success)[0] });
  },
  workflowExecutionCancelRequestedEventAttributes(a, c) {
    c.out.cancels.push({ run: c.run, at: iso(c.at), identity: a.identity || undefined, cause: a.cause || undefined });
  },
  workflowExecutionCompletedEventAttributes(a, c) {
    Object.assign(c.rec, { end: 'completed', closedAt: c.at, result: decode(a.result)[0] });
  },
  workflowExecutionContinuedAsNewEventAttributes(_a, c) {
    Object.assign(c.rec, { end: 'continued_as_new', closedAt: c.at });
  },
  workflowExecutionFailedEventAttributes(a, c) {
    Object.assign(c.rec, { end: 'failed', closedAt: c.at, reason: failureText(a.failure as FailureLike).message });
  },
  workflowExecutionCanceledEventAttributes(_a, c) {
    Object.assign(c.rec, { end: 'cancelled', closedAt: c.at, reason: 'cancelled (the workflow ended on the cancellation itself, without a result document)' });
  },
  workflowExecutionTerminatedEventAttributes(a, c) {
    Object.assign(c.rec, { end: 'terminated', closedAt: c.at, reason: `terminated${a.reason ? `: ${a.reason}` : ''}${a.identity ? ` (by ${a.identity})` : ''}` });
  },
  workflowExecutionTimedOutEventAttributes(_a, c) {
    Object.assign(c.rec, { end: 'timed_out', closedAt: c.at, reason: 'the workflow execution timed out' });
  },
};
const HANDLED = Object.keys(HANDLERS) as (keyof Handlers)[];

export function gather(runs: RunHistory[]): Gathered {
  const out: Gathered = { runs: [], activities: [], signals: [], updates: [], cancels: [] };
  runs.forEach((r, run) => {
    const rec: RunRecord = { runId: r.runId, args: [], end: 'running', events: r.events.length };
    const acts = new Map<number, Activity>();
    const updates = new Map<string, UpdateAudit>();
    for (const e of r.events) {
      // An event carries exactly one *EventAttributes field.
      const key = HANDLED.find((k) => e[k]);
      if (!key) continue;
      const handler = HANDLERS[key] as (a: unknown, c: EventContext) => void;
      handler(e[key], { id: num(e.eventId), at: timeMs(e.eventTime), run, rec, acts, updates, out });
    }
    out.runs.push(rec);
  });
  return out;
}
