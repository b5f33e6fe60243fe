/**
 * `mas2 audit` against the real dev server: runs with a fault, an external
 * rectify signal, a cancellation and continue-as-new, each audited from its
 * Temporal history and checked against the workflow's own result document.
 */
import { AuditSchema, fetchAudit, renderAudit, type Audit } from '../../client/audit';
import type { Result } from '../../mas/schemas';
import { blobsOf, runToEnd, taskInput, useTestWorker } from './harness';
import { answerSource } from '../../mas/answer';
import { TEMPLATES_BY_KIND } from '../../mas/templates';

const env = useTestWorker('audit');

let n = 0;

const TASK = 'Write a Python function is_prime(n) and test it';
/**
 * The tool-crash run pins the built-in code team: the Generator's blueprints run code through the
 * sandbox activity, which a python tool crash does not reach. The Generator's own decision is
 * audited in the external-signal run, whose team the Generator chooses.
 */
const CODE_TEAM = { template: TEMPLATES_BY_KIND.code };
const newId = (name: string) => `audit-${name}-${Date.now().toString(36)}-${n++}`;

const sequence = (steps: { agent: string; kind: string; status: string }[]) => steps.map((s) => `${s.agent}/${s.kind}/${s.status}`);

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a run with a tool crash: the rectification, its diff and every step, in md, json and mermaid', async () => {
  const result = await runToEnd(env.client, env.worker.taskQueue, taskInput(TASK, { faults: [{ kind: 'tool_crash', tool: 'python', at: 1 }], options: CODE_TEAM }), newId('fault'));
  expect(result.rectifications.length).toBeGreaterThanOrEqual(1);
  const audit = await fetchAudit(env.client, result.workflowId, { blobs: blobsOf(env.worker.home) });

  // json: the audit document
  const json = JSON.parse(renderAudit(audit, 'json')) as Audit;
  expect(AuditSchema.parse(json)).toBeTruthy();
  expect(json.status).toBe(result.status);
  expect(json.task).toBe(TASK);
  // A pinned team is no meta-agent's decision, and the audit says so; it shows the team the run used.
  expect(json.generator.fromMetaAgent).toBe(false);
  expect(json.generator.template!.name).toBe(TEMPLATES_BY_KIND.code.name);
  expect(json.generator.template!.agents.map((a) => a.id)).toEqual(TEMPLATES_BY_KIND.code.agents.map((a) => a.id));
  expect(json.implementer.rows.length).toBe(json.generator.template!.agents.length);
  expect(json.implementer.rows.every((r) => r.inputPerM !== null && r.outputPerM !== null)).toBe(true);
  const failures = json.rectifications.filter((r) => r.trigger.kind === 'failure');
  expect(failures.length).toBeGreaterThanOrEqual(1);
  expect(failures[0].trigger.tool).toBe('python');
  expect(failures[0].status).toBe('applied');
  expect(failures[0].diff.length).toBeGreaterThanOrEqual(1);
  expect(failures[0].state).not.toBeNull();
  expect(json.steps).toHaveLength(result.steps.length);
  expect(sequence(json.steps)).toEqual(sequence(result.steps));
  expect(json.steps.map((s) => s.configVersion)).toEqual(result.steps.map((s) => s.configVersion));
  expect(json.steps.map((s) => s.attempts)).toEqual(result.steps.map((s) => s.attempts));
  expect(json.totals.costUsd).toBeCloseTo(result.cost.usd, 9);
  // The run keeps its answer by reference; the audit shows the full text, as the result document does.
  expect(json.result!.answerRef).toMatch(/^sha256:/);
  expect(json.result!.answer).toBe(result.answer);
  // The answer is the output of its source agent (the verified producer when the final agent is a verifier), in full.
  const source = answerSource(result.config!.template, result.outputs)!;
  expect(result.answer!.length).toBe(result.outputs[source.agent].chars);
  expect(json.totals.metaUsd).toBeCloseTo(result.cost.meta, 9);
  expect(json.totals.inputTokens).toBe(result.cost.inputTokens);
  for (const [b, c] of Object.entries(result.cost.perBackbone)) expect(json.totals.perBackbone[b]).toMatchObject({ calls: c.calls, inputTokens: c.inputTokens });
  // The versions the audit rebuilds end where the workflow ended.
  expect(json.versions[json.versions.length - 1].config).toEqual(result.config);

  // md: the readable report
  const md = renderAudit(audit, 'md');
  for (const h of ['## Task', '## Generator', '## Implementer', '## Rectifications', '## Steps', '## Totals']) expect(md).toContain(h);
  expect(md).toContain('| agent | backbone | $/M in | $/M out |');
  expect(md).toContain('failure trigger');
  expect(md).toContain(`\`${failures[0].patch!.ops[0].op}(`);
  expect(md).toContain(failures[0].diff[0]);
  expect(md).toContain('python');

  // mermaid: one subgraph per config version, the template's edges, changed nodes marked
  const mermaid = renderAudit(audit, 'mermaid');
  expect(mermaid.startsWith('flowchart TD')).toBe(true);
  expect(json.versions).toHaveLength(1 + result.rectifications.length);
  expect(mermaid).toContain('subgraph v1[');
  expect(mermaid).toContain('subgraph v2[');
  for (const e of result.config!.template.edges) expect(mermaid).toContain(`v2_${e.from} --> v2_${e.to}`);
  const agent = result.config!.template.agents[0];
  expect(mermaid).toContain(`v1_${agent.id}["${agent.id}<br/>${agent.role}<br/>`);
  expect(mermaid).toContain('classDef changed');
  expect(mermaid).toMatch(/class v2_\w+(,v2_\w+)* changed/);
});

test('an external rectify signal shows as a signal and as an external trigger', async () => {
  const workflowId = newId('signal');
  const handle = await env.client.workflow.start('mas2Task', {
    taskQueue: env.worker.taskQueue,
    workflowId,
    args: [taskInput(TASK, { faults: [{ kind: 'model_latency', backbone: '*', ms: 1500 }] })],
  });
  // Signal once the team runs (design done), while an agent's slow model call is in flight.
  await waitFor('the team to start', async () => {
    const s = await handle.query<Result>('state');
    return s.steps.some((x) => x.kind === 'llm') ? s : undefined;
  });
  const reason = 'operator: make the reviewer stricter';
  await handle.signal('rectify', { reason });
  const result = (await handle.result()) as Result;
  expect(result.rectifications.some((r) => r.trigger.kind === 'external')).toBe(true);

  const audit = await fetchAudit(env.client, workflowId, { blobs: blobsOf(env.worker.home) });
  expect(audit.signals).toEqual([expect.objectContaining({ name: 'rectify', reason })]);
  const ext = audit.rectifications.find((r) => r.trigger.kind === 'external');
  expect(ext).toBeDefined();
  expect(ext!.trigger.detail).toBe(reason);
  // The team the Generator chose, from its meta-agent activity.
  expect(audit.generator.fromMetaAgent).toBe(true);
  expect(audit.generator.template!.agents.map((a) => a.id)).toEqual(audit.versions[0].config.template.agents.map((a) => a.id));
  expect(sequence(audit.steps)).toEqual(sequence(result.steps));
  const md = renderAudit(audit, 'md');
  expect(md).toContain('external trigger');
  expect(md).toContain(`signal **rectify**: "${reason}"`);
});

test('a cancelled run: the cancel request, the cancelled status and the steps it got through', async () => {
  const workflowId = newId('cancel');
  const handle = await env.client.workflow.start('mas2Task', {
    taskQueue: env.worker.taskQueue,
    workflowId,
    args: [taskInput(TASK, { faults: [{ kind: 'model_latency', backbone: '*', ms: 3000 }] })],
  });
  await waitFor('the first agent step', async () => {
    const s = await handle.query<Result>('state');
    return s.steps.some((x) => x.kind === 'llm') ? s : undefined;
  });
  await handle.cancel();
  const result = (await handle.result()) as Result;
  expect(result.status).toBe('cancelled');

  const audit = await fetchAudit(env.client, workflowId, { blobs: blobsOf(env.worker.home) });
  expect(audit.status).toBe('cancelled');
  expect(audit.cancelRequests).toHaveLength(1);
  expect(audit.result).toMatchObject({ status: 'cancelled', live: false });
  // Every step the result document recorded is in the audit; the call in flight shows as cancelled.
  const finished = audit.steps.filter((s) => s.status === 'completed' || s.status === 'failed');
  expect(sequence(finished)).toEqual(sequence(result.steps));
  expect(audit.steps.some((s) => s.status === 'cancelled')).toBe(true);
  expect(renderAudit(audit, 'md')).toContain('**cancel requested**');
});

test('a continued-as-new run: the audit has the steps of every run in the chain', async () => {
  const result = await runToEnd(
    env.client,
    env.worker.taskQueue,
    taskInput(TASK, { faults: [{ kind: 'tool_crash', tool: 'python', at: 1 }], options: { continueAsNewAfterSteps: 2 } }),
    newId('can'),
  );
  expect(result.continuedAsNew).toBeGreaterThanOrEqual(1);
  const audit = await fetchAudit(env.client, result.workflowId, { blobs: blobsOf(env.worker.home) });
  expect(audit.runs.length).toBe(result.continuedAsNew + 1);
  expect(audit.runs.slice(0, -1).every((r) => r.end === 'continued_as_new')).toBe(true);
  expect(audit.runs[audit.runs.length - 1].end).toBe('completed');
  expect(new Set(audit.steps.map((s) => s.run)).size).toBeGreaterThan(1);
  expect(sequence(audit.steps)).toEqual(sequence(result.steps));
  expect(audit.steps.map((s) => s.configVersion)).toEqual(result.steps.map((s) => s.configVersion));
  expect(audit.totals.costUsd).toBeCloseTo(result.cost.usd, 9);
  expect(audit.rectifications.length).toBe(result.rectifications.length);
  expect(renderAudit(audit, 'md')).toContain('continue-as-new chain');
});

test('an unknown id is a one-line user error', async () => {
  await expect(fetchAudit(env.client, 'no-such-run-for-audit')).rejects.toMatchObject({ name: 'UserError', message: expect.stringMatching(/^no run with id "no-such-run-for-audit"[^\n]*$/) });
});
