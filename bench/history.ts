/** Reading workflow histories: serialized size, size by event type, and where a step's time goes. */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

/** Every run of a workflow chain (following continue-as-new), oldest first. */
export async function fetchChain(client: Client, workflowId: string, firstRunId: string): Promise<Event[][]> {
  const runs: Event[][] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const h: temporal.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: Event[] = h.events ?? [];
    runs.push(events);
    const last: Event | undefined = events[events.length - 1];
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

export function historyBytes(events: Event[]): number {
  return temporal.api.history.v1.History.encode({ events }).finish().length;
}

export function eventTypeName(e: Event): string {
  const name = EventType[e.eventType ?? 0] ?? String(e.eventType);
  return name.replace(/^EVENT_TYPE_/, '');
}

/** Serialized bytes per event type, largest first. */
export function bytesByType(events: Event[]): Record<string, { events: number; bytes: number }> {
  const out: Record<string, { events: number; bytes: number }> = {};
  for (const e of events) {
    const t = eventTypeName(e);
    const b = temporal.api.history.v1.HistoryEvent.encode(e).finish().length;
    out[t] ??= { events: 0, bytes: 0 };
    out[t].events++;
    out[t].bytes += b;
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1].bytes - a[1].bytes));
}

function ms(e: Event): number {
  const t = e.eventTime;
  if (!t) return NaN;
  return Number(String(t.seconds ?? 0)) * 1000 + (t.nanos ?? 0) / 1e6;
}

/**
 * Mean milliseconds per activity step, split by what the server recorded:
 * activity dispatch (scheduled → started), activity run (started → completed),
 * workflow-task dispatch (scheduled → started) and workflow-task run (started →
 * completed, i.e. the worker's workflow code plus the round trip).
 */
export function stepProfile(events: Event[]): { steps: number; activityDispatch: number; activityRun: number; wftDispatch: number; wftRun: number; wfts: number } {
  const byId = new Map<string, Event>();
  for (const e of events) byId.set(String(e.eventId), e);
  /** Count, dispatch (scheduled → started) and run (started → closed) summed over one kind of closing event. */
  const phases = (closing: (e: Event) => { scheduledEventId?: unknown; startedEventId?: unknown } | null | undefined) => {
    let n = 0;
    let dispatch = 0;
    let run = 0;
    for (const e of events) {
      const c = closing(e);
      if (!c) continue;
      const sched = byId.get(String(c.scheduledEventId));
      const start = byId.get(String(c.startedEventId));
      if (!sched || !start) continue;
      n++;
      dispatch += ms(start) - ms(sched);
      run += ms(e) - ms(start);
    }
    return { n, dispatch, run };
  };
  const act = phases((e) => e.activityTaskCompletedEventAttributes);
  const wft = phases((e) => e.workflowTaskCompletedEventAttributes);
  const steps = act.n;
  const wfts = wft.n;
  const per = (x: number, n: number) => (n ? Math.round((x / n) * 100) / 100 : 0);
  return { steps, activityDispatch: per(act.dispatch, steps), activityRun: per(act.run, steps), wftDispatch: per(wft.dispatch, wfts), wftRun: per(wft.run, wfts), wfts };
}

/**
 * Where a layered run's wall time goes beyond the model latency, from the
 * server's event times. Activities scheduled by the same workflow task form a
 * layer. Returns, in ms: workflow start → first schedule, the layers' spans
 * beyond `latencyMs` (dispatch, activity overhead, stragglers), the gaps from
 * a layer's last completion to the next layer's schedule (the workflow's
 * reaction: workflow task dispatch + run), and last completion → workflow
 * completed.
 */
export function criticalPathProfile(events: Event[], latencyMs: number): { layers: number; startup: number; layerOverhead: number; gaps: number; finish: number; serverTotal: number } {
  const byId = new Map<string, Event>();
  for (const e of events) byId.set(String(e.eventId), e);
  const groups = new Map<string, { scheduled: number; completed: number }>();
  for (const e of events) {
    const a = e.activityTaskCompletedEventAttributes;
    if (!a) continue;
    const sched = byId.get(String(a.scheduledEventId));
    const key = String(sched?.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId ?? '?');
    const g = groups.get(key) ?? { scheduled: ms(sched!), completed: 0 };
    g.scheduled = Math.min(g.scheduled, ms(sched!));
    g.completed = Math.max(g.completed, ms(e));
    groups.set(key, g);
  }
  const layers = [...groups.values()].sort((a, b) => a.scheduled - b.scheduled);
  const started = ms(events[0]);
  const ended = ms(events[events.length - 1]);
  const r = (x: number) => Math.round(x * 10) / 10;
  let layerOverhead = 0;
  let gaps = 0;
  layers.forEach((l, i) => {
    layerOverhead += l.completed - l.scheduled - latencyMs;
    if (i + 1 < layers.length) gaps += layers[i + 1].scheduled - l.completed;
  });
  return {
    layers: layers.length,
    startup: r(layers.length ? layers[0].scheduled - started : 0),
    layerOverhead: r(layerOverhead),
    gaps: r(gaps),
    finish: r(layers.length ? ended - layers[layers.length - 1].completed : 0),
    serverTotal: r(ended - started),
  };
}

type Payload = temporal.api.common.v1.IPayload;

/** Every payload an event carries (inputs, results, failure details, memo, headers…), wherever it sits. */
export function eventPayloads(e: Event): Payload[] {
  const out: Payload[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown) => {
    if (v === null || typeof v !== 'object' || seen.has(v) || v instanceof Uint8Array) return;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    const o = v as Record<string, unknown>;
    // A Payload is the message with `data` bytes (and metadata); a Payloads wraps a list of them.
    if (o.data instanceof Uint8Array && ('metadata' in o || Object.keys(o).length <= 2)) {
      out.push(o as Payload);
      return;
    }
    for (const x of Object.values(o)) walk(x);
  };
  walk(e);
  return out;
}

/** The largest single payload in these events, in serialized bytes, and the event type it came with. */
export function maxPayload(events: Event[]): { bytes: number; eventType: string } {
  let best = { bytes: 0, eventType: '' };
  for (const e of events) {
    for (const p of eventPayloads(e)) {
      const bytes = temporal.api.common.v1.Payload.encode(p).finish().length;
      if (bytes > best.bytes) best = { bytes, eventType: eventTypeName(e) };
    }
  }
  return best;
}
