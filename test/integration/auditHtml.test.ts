/**
 * `mas2 audit --format html` of a real rectified run, opened in headless
 * Chromium: no console errors, no network, a graph per config version with
 * the rectified agents highlighted, and nothing from the run (task text,
 * rationales, model output) able to inject markup or script.
 */
import * as fs from 'node:fs';
import { fetchAudit, renderAudit, type Audit } from '../../client/audit';
import { artifactPath, launchBrowser } from '../helpers/browser';
import { TEMPLATES_BY_KIND } from '../../mas/templates';
import { runToEnd, taskInput, useTestWorker } from './harness';

const env = useTestWorker('audit-html');

const PAYLOAD = `"><img id="pwn" src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b id="bold">`;
const TASK = `Write a Python function is_prime(n) and test it ${PAYLOAD}`;

/** The real audit, with model-controlled fields replaced by the payload too. */
function poisoned(a: Audit): Audit {
  const b = structuredClone(a);
  b.generator.rationale = `generator says ${PAYLOAD}`;
  b.versions[0].config.template.agents[0].role = `Role ${PAYLOAD}`;
  if (b.rectifications[0]) b.rectifications[0].rationale = `rectifier says ${PAYLOAD}`;
  if (b.result) b.result.answer = `answer ${PAYLOAD}`;
  b.steps[0].error = `error ${PAYLOAD}`;
  return b;
}

// The run pins the built-in code team: a python tool crash does not reach the sandbox runs of the
// Generator's blueprints, and this test needs a rectified run with a changed agent.
test('the HTML audit of a rectified run renders in Chromium: graphs per version, changed agents highlighted, nothing injected', async () => {
  const result = await runToEnd(env.client, env.worker.taskQueue, taskInput(TASK, { faults: [{ kind: 'tool_crash', tool: 'python', at: 1 }], options: { template: TEMPLATES_BY_KIND.code } }), `audit-html-${Date.now().toString(36)}`);
  expect(result.rectifications.length).toBeGreaterThanOrEqual(1);
  const audit = poisoned(await fetchAudit(env.client, result.workflowId));
  expect(audit.versions.length).toBeGreaterThanOrEqual(2);
  const html = renderAudit(audit, 'html');
  expect(html).not.toContain('<script>window.__pwned');
  expect(html).not.toContain('<img id="pwn"');
  expect(html).toContain(`&lt;img id=&quot;pwn&quot; src=x`);
  // Self-contained: no URL to fetch anything from, and a policy that forbids it anyway.
  expect(html).not.toMatch(/<[^>]*\s(src|href)=|url\((?!#)|@import/);
  expect(html).toContain(`default-src 'none'`);
  const file = artifactPath('audit.html');
  fs.writeFileSync(file, html);

  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file://')) requests.push(r.url());
    });
    await page.goto(`file://${file}`, { waitUntil: 'load' });

    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    // Nothing injected: no script, no image, no element from the payload, and the text shown as text.
    expect(await page.evaluate("document.querySelectorAll('script, img, #pwn, #bold').length")).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.textContent('[data-role="task"]')).toBe(TASK);

    // One graph per version, every agent a node.
    const versions = await page.$$eval('section.version', (els) => els.map((e) => ({ v: e.getAttribute('data-version'), nodes: e.querySelectorAll('svg.graph .node').length, changed: [...e.querySelectorAll('svg.graph .node.changed')].map((n) => n.getAttribute('data-agent')) })));
    expect(versions).toEqual(audit.versions.map((v) => ({ v: String(v.version), nodes: v.config.template.agents.length, changed: v.config.template.agents.map((x) => x.id).filter((id) => v.changed.includes(id)) })));
    const rectified = audit.versions.find((v) => v.changed.length)!;
    expect(rectified).toBeDefined();
    // Highlighted means drawn differently, not just a class name.
    const fill = await page.$eval(`section.version[data-version="${rectified.version}"] .node.changed rect`, (r) => (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }).getComputedStyle(r).fill);
    const plain = await page.$eval('section.version[data-version="1"] .node rect', (r) => (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }).getComputedStyle(r).fill);
    expect(fill).not.toBe(plain);
    // The diff M_t → M_{t+1} beside the graph, the timeline with a bar per step, the decisions.
    expect(await page.textContent(`section.version[data-version="${rectified.version}"] pre.diff`)).toContain(rectified.diff[0]);
    expect(await page.$$eval('svg.timeline .step', (els) => els.length)).toBe(audit.steps.length);
    expect(await page.$$eval('svg.timeline .trigger', (els) => els.length)).toBe(audit.rectifications.length);
    expect(await page.$$eval('[data-decision]', (els) => els.map((e) => e.getAttribute('data-decision')))).toEqual(['generator', 'implementer', ...audit.rectifications.map((r) => `rectification-${r.index}`)]);

    await page.screenshot({ path: artifactPath('audit-html.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});

