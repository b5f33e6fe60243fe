/**
 * A long job with large outputs: 1,000 model calls writing over 20 MB of agent
 * output (simulator, forced chain, `sim.outputChars`) completes, no payload in
 * its history comes near Temporal's 2 MB limit, and the result document and
 * the audit the user reads are complete (every output's full text, every step).
 */
import type { Result } from '../../mas/schemas';
import { chainTemplate, forcedInput } from '../../bench/tasks';
import { maxPayload, historyBytes } from '../../bench/history';
import { fetchAudit, fetchRunHistories } from '../../client/audit';
import { blobsOf, resolved, useTestWorker } from '../integration/harness';

const env = useTestWorker('large', { homePrefix: 'mas2-large-' });

/** Minutes of work: not part of `npm test`; `npm run test:large` runs it. */
const CALLS = 1000;
const OUTPUT_CHARS = 21_000;

test(`${CALLS} model calls and ${(CALLS * OUTPUT_CHARS) / 1e6} MB of agent output: the run completes and nothing is lost`, async () => {
  const input = forcedInput(chainTemplate(CALLS), 0, { budgetUsd: 100_000 });
  input.pool.backbones = input.pool.backbones.map((b) => ({ ...b, sim: { ...b.sim!, outputChars: OUTPUT_CHARS } }));
  const workflowId = `large-${Date.now().toString(36)}`;
  const started = Date.now();
  const handle = await env.client.workflow.start('mas2Task', { taskQueue: env.worker.taskQueue, workflowId, args: [input] });
  const raw = (await handle.result()) as Result;
  const wallS = (Date.now() - started) / 1000;

  expect(raw.status).toBe('completed');
  expect(raw.steps.filter((s) => s.kind === 'llm' && s.status === 'completed')).toHaveLength(CALLS);

  // The user's document: every output's full text, read back from the blob store.
  const doc = await resolved(raw, env.worker.taskQueue);
  const texts = Object.values(doc.outputs).map((o) => o.text);
  expect(texts).toHaveLength(CALLS);
  for (const o of Object.values(doc.outputs)) expect(o.text.length).toBe(o.chars);
  const totalChars = texts.reduce((n, t) => n + t.length, 0);
  expect(totalChars).toBeGreaterThanOrEqual(20_000_000);
  expect(doc.answer).toBe(doc.outputs[`a${CALLS}`].text);
  expect(doc.answer!.length).toBe(OUTPUT_CHARS);

  // History: what travels is references and previews, so every payload is small.
  const runs = await fetchRunHistories(env.client, workflowId);
  const events = runs.flatMap((r) => r.events);
  const max = maxPayload(events);
  const bytes = runs.reduce((n, r) => n + historyBytes(r.events), 0);
  process.stderr.write(
    `large run: ${CALLS} calls, ${(totalChars / 1e6).toFixed(1)} MB of output, ${wallS.toFixed(0)} s, ${runs.length} run(s) (continued as new ${raw.continuedAsNew}×), history ${(bytes / 1e6).toFixed(2)} MB, largest payload ${max.bytes} bytes (${max.eventType})\n`,
  );
  expect(max.bytes).toBeLessThan(2 * 1024 * 1024);
  expect(bytes).toBeLessThan(totalChars / 2);

  // The audit: every step, and the full answer.
  const audit = await fetchAudit(env.client, workflowId, { blobs: blobsOf(env.worker.home) });
  expect(audit.status).toBe('completed');
  expect(audit.totals.llmCalls).toBe(CALLS);
  expect(audit.steps.filter((s) => s.kind === 'llm')).toHaveLength(CALLS);
  expect(audit.result!.answer).toBe(doc.answer);
}, 900_000);
