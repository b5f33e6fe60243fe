/**
 * A run as the Temporal Web UI shows it, checked through the API the UI
 * reads: the static summary/details (task, budget), every activity's
 * summary (history events' userMetadata.summary), and the current details
 * (`__temporal_workflow_metadata` query) with the live team; then the UI
 * itself in headless Chromium (timeline labels, current details, the list),
 * with screenshots under test/artifacts/.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { startRun } from '../../client/runs';
import type { Result } from '../../mas/schemas';
import { artifactPath, launchBrowser } from '../helpers/browser';
import { simPool, taskInput, useTestWorker } from './harness';
import { testServerInfo } from './server';

const env = useTestWorker('temporal-ui');

/**
 * A one-expression sum: the Generator chooses one agent with the calculator, whose first call
 * crashes, so the run has a tool call and a rectification to label (a python tool crash does not
 * reach the sandbox runs of the code blueprints).
 */
const TASK = 'What is 12*(13+1)?';
const TOOL = 'calculator';
const text = (p: unknown) => (p ? String(defaultPayloadConverter.fromPayload(p as Parameters<typeof defaultPayloadConverter.fromPayload>[0])) : undefined);

test('static summary and details, a readable summary per activity, current details with the live team', async () => {
  const workflowId = `ui-${Date.now().toString(36)}`;
  const input = taskInput(TASK, { budgetUsd: 0.5, faults: [{ kind: 'tool_crash', tool: TOOL, at: 1 }] });
  const { handle } = await startRun(env.client, input, workflowId, env.worker.taskQueue);
  const result = (await handle.result()) as Result;
  expect(result.rectifications.length).toBeGreaterThanOrEqual(1);

  const desc = await handle.describe();
  expect(await desc.staticSummary()).toBe(`mas2 · ${TASK}`);
  const details = await desc.staticDetails();
  expect(details).toContain(`> ${TASK}`);
  expect(details).toContain('**Budget:** 0.5000 USD');

  // Every scheduled activity carries a summary; they line up with the steps the workflow recorded.
  const history = await handle.fetchHistory();
  const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);
  const summaries = scheduled.map((e) => text(e.userMetadata?.summary));
  expect(summaries.every((s) => typeof s === 'string' && s.length > 0)).toBe(true);
  expect(summaries[0]).toBe('generator · design the team');
  expect(summaries[1]).toMatch(/^implementer · assign backbones to \d+ agents$/);
  // The agent whose tool crashed, in the team the Generator chose.
  expect(result.decisions.find((d) => d.role === 'generator')?.source).not.toBe('fallback');
  const agent = result.rectifications[0].trigger.agent!;
  expect(result.rectifications[0].trigger.tool).toBe(TOOL);
  expect(result.config!.template.agents.map((a) => a.id)).toContain(agent);
  const agentModel = result.steps.find((s) => s.agent === agent && s.kind === 'llm')!;
  expect(summaries).toContain(`${agent} · model call 1 on ${agentModel.backbone}`);
  expect(summaries).toContain(`${agent} · ${TOOL}`);
  expect(summaries).toContain(`rectifier · failure trigger on ${agent} (M1)`);
  expect(summaries.filter((s) => s!.startsWith(`${agent} · model call`)).length).toBe(result.steps.filter((s) => s.agent === agent && s.kind === 'llm').length);

  // Current details: what the UI's "Current details" panel reads (answered by a worker, here after the run ended).
  const q = await env.client.workflowService.queryWorkflow({
    namespace: 'default',
    execution: { workflowId, runId: desc.runId },
    query: { queryType: '__temporal_workflow_metadata' },
  });
  const meta = defaultPayloadConverter.fromPayload(q.queryResult!.payloads![0] as Parameters<typeof defaultPayloadConverter.fromPayload>[0]) as { currentDetails?: string };
  expect(meta.currentDetails).toContain(`**Status:** ${result.status}`);
  expect(meta.currentDetails).toContain(`**Team v${result.config!.version}**`);
  for (const a of result.config!.template.agents) expect(meta.currentDetails).toContain(`- **${a.id}** (${a.role}) on \`${result.config!.assignment[a.id]}\` — done`);
  expect(meta.currentDetails).toContain('**Last rectification:** v1 → v2 on failure trigger');

  const { uiPort } = testServerInfo();
  if (!uiPort) throw new Error('the Temporal UI check needs the Web UI of the test server: let jest start the server (unset TEMPORAL_TEST_ADDRESS)');
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    const ui = `http://127.0.0.1:${uiPort}/namespaces/default/workflows`;
    await page.goto(`${ui}/${workflowId}/${desc.runId}`, { waitUntil: 'domcontentloaded' });
    // The timeline labels each activity with its summary instead of a bare activity type.
    await page.getByText('Timeline', { exact: true }).first().click();
    await page.getByText(`${agent} · ${TOOL}`).first().waitFor({ timeout: 60_000 });
    await page.getByText('generator · design the team').first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: artifactPath('temporal-ui-timeline.png') });
    // Summary, details and current details, which the UI asks a worker for while the run is open: a slow run.
    const slow = await startRun(env.client, taskInput(TASK, { pool: simPool({ latencyMs: 1500 }) }), `${workflowId}-slow`, env.worker.taskQueue);
    try {
      // The UI renders markdown inside an iframe, and asks for current details when the tab opens.
      const until = Date.now() + 90_000;
      const shows = async () => (await Promise.all(page.frames().map((f) => f.content().catch(() => '')))).some((html) => html.includes('Team v1'));
      for (;;) {
        await page.goto(`${ui}/${workflowId}-slow`, { waitUntil: 'domcontentloaded' });
        await page.getByText('User Metadata', { exact: true }).first().click();
        await page.waitForTimeout(2000);
        if (await shows()) break;
        if (Date.now() > until) throw new Error('the UI never showed the current details');
      }
      await page.screenshot({ path: artifactPath('temporal-ui-metadata.png') });
    } finally {
      await slow.handle.cancel();
    }
    await page.goto(`${ui}?query=${encodeURIComponent(`WorkflowType="mas2Task" AND WorkflowId="${workflowId}"`)}`, { waitUntil: 'domcontentloaded' });
    await page.getByText(workflowId).first().waitFor({ timeout: 60_000 });
    await page.screenshot({ path: artifactPath('temporal-ui-list.png') });
  } finally {
    await browser.close();
  }
});
