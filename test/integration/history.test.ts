/**
 * History stays linear (docs/engine.md): content lives in the blob store and the
 * history carries references, so a run's history grows with the number of
 * calls, not with the square of it.
 *
 * Construction: forced templates (no Generator/Implementer calls) of a chain
 * of agents with bounded feedback loops. The simulator starts every agent
 * answer with the agent's role, so an agent whose role is "REVISE ..." always
 * asks for another round: each loop {from, to, maxRounds} re-runs `to` … `from`
 * exactly maxRounds times. That is the engine's real loop machinery (invalidate
 * the target and its descendants, run them again with the feedback), and it is
 * the only way to make the simulator's agents run again without a failure.
 * Agents without tools make 1 model call; agents with the calculator make 2
 * (ask for the tool, then answer) plus 1 tool call.
 */
import { temporal } from '@temporalio/proto';
import type { Result, Template } from '../../mas/schemas';
import { TemplateSchema } from '../../mas/schemas';
import { simPool, taskInput, useTestWorker } from './harness';

const env = useTestWorker('history');

jest.setTimeout(170_000);

interface Loop {
  from: number;
  to: number;
  rounds: number;
}

/** a1 → a2 → … → an; a loop sender's role makes the simulator answer "REVISE …". */
function chain(n: number, loops: Loop[], tools: string[] = []): Template {
  const senders = new Set(loops.map((l) => l.from));
  return TemplateSchema.parse({
    name: `chain-${n}`,
    agents: Array.from({ length: n }, (_, i) => ({
      id: `a${i + 1}`,
      role: senders.has(i + 1) ? 'REVISE-requesting editor' : `Writer ${i + 1}`,
      instructions: 'Improve the text you are given and pass it on.',
      tools,
    })),
    edges: Array.from({ length: n - 1 }, (_, i) => ({ from: `a${i + 1}`, to: `a${i + 2}` })),
    loops: loops.map((l) => ({ from: `a${l.from}`, to: `a${l.to}`, maxRounds: l.rounds })),
    finalAgent: `a${n}`,
  });
}

interface Measured {
  modelCalls: number;
  toolCalls: number;
  runs: number;
  events: number;
  bytes: number;
  /** Largest ActivityTaskScheduled event: what one call carries in (references, not content). */
  maxScheduledBytes: number;
  /** Largest ActivityTaskCompleted event: bounded by one answer's size, not by the run's length. */
  maxCompletedBytes: number;
  result: Result;
}

async function measure(name: string, template: Template): Promise<Measured> {
  const input = taskInput('Compute 17 * 23 + 4 and describe the result', {
    budgetUsd: 50,
    pool: simPool(),
    options: { template, assignment: Object.fromEntries(template.agents.map((a) => [a.id, 'sim-small'])) },
  });
  const workflowId = `history-${name}-${Date.now().toString(36)}`;
  const handle = await env.client.workflow.start('mas2Task', { taskQueue: env.worker.taskQueue, workflowId, args: [input] });
  const result = (await handle.result()) as Result;
  expect(result.status).toBe('completed');
  // every run of the chain, should Temporal have suggested continue-as-new
  let runId: string | undefined = handle.firstExecutionRunId;
  let runs = 0;
  let events = 0;
  let bytes = 0;
  let maxScheduledBytes = 0;
  let maxCompletedBytes = 0;
  while (runId) {
    const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs++;
    events += history.events!.length;
    bytes += temporal.api.history.v1.History.encode(history).finish().length;
    for (const e of history.events!) {
      const size = () => temporal.api.history.v1.HistoryEvent.encode(e).finish().length;
      if (e.activityTaskScheduledEventAttributes) maxScheduledBytes = Math.max(maxScheduledBytes, size());
      if (e.activityTaskCompletedEventAttributes) maxCompletedBytes = Math.max(maxCompletedBytes, size());
    }
    runId = history.events![history.events!.length - 1].workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  const done = result.steps.filter((s) => s.status === 'completed');
  return { modelCalls: done.filter((s) => s.kind === 'llm').length, toolCalls: done.filter((s) => s.kind === 'tool').length, runs, events, bytes, maxScheduledBytes, maxCompletedBytes, result };
}

/** Least-squares slope of log(y) on log(x). */
function logLogSlope(points: { x: number; y: number }[]): number {
  const xs = points.map((p) => Math.log(p.x));
  const ys = points.map((p) => Math.log(p.y));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const num = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0);
  const den = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  return num / den;
}

const report: Record<string, unknown> = {};

afterAll(async () => {
  process.stderr.write(`\n[history] ${JSON.stringify(report, null, 2)}\n`);
});

test('history bytes grow linearly with the number of model calls (log-log slope ≤ 1.2)', async () => {
  const small = await measure('10', chain(10, []));
  const medium = await measure('50', chain(10, [{ from: 10, to: 1, rounds: 4 }]));
  const large = await measure('150', chain(12, [
    { from: 12, to: 1, rounds: 5 },
    { from: 11, to: 2, rounds: 5 },
    { from: 10, to: 3, rounds: 5 },
  ]));
  expect(small.modelCalls).toBe(10);
  expect(medium.modelCalls).toBe(50);
  expect(large.modelCalls).toBe(162);
  const points = [small, medium, large].map((m) => ({ x: m.modelCalls, y: m.bytes }));
  const slope = logLogSlope(points);
  report.linearity = {
    runs: [small, medium, large].map((m) => ({
      modelCalls: m.modelCalls,
      historyBytes: m.bytes,
      events: m.events,
      runs: m.runs,
      bytesPerCall: Math.round(m.bytes / m.modelCalls),
      maxScheduledEventBytes: m.maxScheduledBytes,
      maxCompletedEventBytes: m.maxCompletedBytes,
    })),
    logLogSlope: Number(slope.toFixed(3)),
    // marginal cost per extra call between the two larger runs
    marginalBytesPerCall: Math.round((large.bytes - medium.bytes) / (large.modelCalls - medium.modelCalls)),
  };
  expect(slope).toBeLessThanOrEqual(1.2);
  // What a call carries in does not grow with the run (the quadratic pattern is the
  // conversation so far passed into every call): references, not content.
  expect(large.maxScheduledBytes).toBeLessThanOrEqual(small.maxScheduledBytes * 1.25);
  // What a call brings back is one answer (the simulator's agent answers are capped near 3 KB;
  // they grow along a chain up to that cap, which is why bytes per call rise somewhat with depth).
  expect(large.maxCompletedBytes).toBeLessThan(8 * 1024);
});

test('a 300+ model-call run (plus its tool calls) stays far below the 50 MB history limit', async () => {
  // 12 agents with the calculator (2 model calls + 1 tool call each), three nested loops: 162 agent runs
  const big = await measure('300', chain(12, [
    { from: 12, to: 1, rounds: 5 },
    { from: 11, to: 2, rounds: 5 },
    { from: 10, to: 3, rounds: 5 },
  ], ['calculator']));
  expect(big.modelCalls).toBeGreaterThanOrEqual(300);
  expect(big.toolCalls).toBe(big.modelCalls / 2);
  report.big = {
    modelCalls: big.modelCalls,
    toolCalls: big.toolCalls,
    historyBytes: big.bytes,
    events: big.events,
    runs: big.runs,
    bytesPerActivity: Math.round(big.bytes / (big.modelCalls + big.toolCalls)),
    maxScheduledEventBytes: big.maxScheduledBytes,
    maxCompletedEventBytes: big.maxCompletedBytes,
  };
  expect(big.bytes).toBeLessThan(5 * 1024 * 1024);
});
