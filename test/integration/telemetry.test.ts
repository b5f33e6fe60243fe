/**
 * OpenTelemetry end to end: a loopback OTLP/HTTP receiver (JSON, as the
 * exporter posts it), a worker started with OTEL_EXPORTER_OTLP_ENDPOINT
 * pointing at it, one rectified run. The run is one trace, with a GenAI span
 * per model call, tool call and meta-agent decision carrying token usage,
 * cost and mas2's agent, role and config version.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Result } from '../../mas/schemas';
import { stopTelemetry } from '../../workers/telemetry';
import { runToEnd, startTestWorker, taskInput, tempHome, testClient, uniqueQueue } from './harness';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values: OtlpValue[] };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: OtlpValue }[];
  status?: { code?: number };
}

const value = (v: OtlpValue): unknown =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue ?? v.arrayValue?.values.map(value);
const attrs = (s: OtlpSpan) => Object.fromEntries(s.attributes.map((a) => [a.key, value(a.value)])) as Record<string, unknown>;

const spans: OtlpSpan[] = [];
const contentTypes = new Set<string>();
let receiver: http.Server;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        contentTypes.add(String(req.headers['content-type']));
        const doc = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  await stopTelemetry();
  await new Promise((resolve) => receiver.close(resolve));
});

test('one run is one trace with a GenAI span per model call, tool call and meta-agent decision', async () => {
  // A one-expression sum: the Generator chooses one agent with the calculator, whose first call
  // crashes (an injected tool crash is a runTool span); the Rectifier then patches the team.
  const client = await testClient();
  const worker = await startTestWorker({ taskQueue: uniqueQueue('otel'), home: tempHome() });
  let result: Result;
  try {
    result = await runToEnd(client, worker.taskQueue, taskInput('What is 12*(13+1)?', { faults: [{ kind: 'tool_crash', tool: 'calculator', at: 1 }] }), `otel-${Date.now().toString(36)}`);
  } finally {
    await worker.stop();
    await client.connection.close();
  }
  await stopTelemetry(); // flushes
  expect([...contentTypes]).toEqual(['application/json']);

  const run = spans.filter((s) => attrs(s)['mas2.workflow_id'] === result.workflowId);
  const traceIds = new Set(run.map((s) => s.traceId));
  expect(traceIds.size).toBe(1);
  const [traceId] = traceIds;
  const trace = spans.filter((s) => s.traceId === traceId);
  // Temporal's own spans are in the same trace: the workflow run is the root of the activities' spans.
  expect(trace.map((s) => s.name)).toEqual(expect.arrayContaining(['RunWorkflow:mas2Task', 'StartActivity:callModel', 'RunActivity:callModel', 'RunActivity:runTool']));
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  for (const s of run) expect(byId.get(s.parentSpanId!)?.name).toMatch(/^RunActivity:/);

  const chat = run.filter((s) => attrs(s)['gen_ai.operation.name'] === 'chat');
  // A verifier's executable check with no code to run executes nothing and records no step.
  const tools = run.filter((s) => attrs(s)['gen_ai.operation.name'] === 'execute_tool' && attrs(s)['mas2.code_check.executed'] !== false);
  const meta = run.filter((s) => attrs(s)['gen_ai.operation.name'] === 'invoke_agent');
  // One span per activity attempt; the simulator's calls succeed first time, the injected crash is not retried.
  expect(chat.length).toBe(result.steps.filter((s) => s.kind === 'llm').length);
  expect(tools.length).toBe(result.steps.filter((s) => s.kind === 'tool').length);
  expect(meta.length).toBe(result.steps.filter((s) => s.kind === 'meta').length);

  for (const s of chat) {
    const a = attrs(s);
    expect(s.name).toBe(`chat ${a['gen_ai.request.model']}`);
    expect(a).toMatchObject({ 'gen_ai.provider.name': 'sim', 'gen_ai.system': 'sim' });
    expect(a['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(a['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(a['mas2.cost_usd']).toBeGreaterThan(0);
    expect(typeof a['mas2.agent']).toBe('string');
    expect(typeof a['mas2.role']).toBe('string');
    expect([1, 2]).toContain(a['mas2.config_version']);
  }
  // Tokens and cost add up to what the result document accounts.
  const sum = (list: OtlpSpan[], key: string) => list.reduce((n, s) => n + Number(attrs(s)[key] ?? 0), 0);
  expect(sum([...chat, ...meta], 'gen_ai.usage.input_tokens')).toBe(result.cost.inputTokens);
  expect(sum([...chat, ...meta], 'gen_ai.usage.output_tokens')).toBe(result.cost.outputTokens);
  expect(sum([...chat, ...meta], 'mas2.cost_usd')).toBeCloseTo(result.cost.usd, 9);
  // The crashed tool call is an error span; after the rectification the calls run under config v2.
  expect(tools.some((s) => s.status?.code === 2 && attrs(s)['gen_ai.tool.name'] === 'calculator')).toBe(true);
  expect(chat.some((s) => attrs(s)['mas2.config_version'] === 2)).toBe(true);
  expect(meta.map((s) => attrs(s)['mas2.role']).sort()).toEqual(['generator', 'implementer', 'rectifier']);
});

test('off: without an OTLP endpoint a worker module loads no OpenTelemetry SDK (needs `npm run build`)', () => {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const dist = require('node:path').join(__dirname, '..', '..', 'dist', 'workers');
  const script = `
    require(${JSON.stringify(dist + '/worker.js')});
    const t = require(${JSON.stringify(dist + '/telemetry.js')});
    const started = t.startTelemetry() !== undefined;
    const loaded = Object.keys(require.cache).filter((k) => /@opentelemetry\\/(sdk|exporter|resources|context)|interceptors-opentelemetry/.test(k));
    process.stdout.write(JSON.stringify({ started, loaded }));`;
  const env = { ...process.env };
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  expect(JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }))).toEqual({ started: false, loaded: [] });
  // The same script with the variable set does load it: the check can fail.
  const on = JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }, encoding: 'utf8' })) as { started: boolean; loaded: string[] };
  expect(on.started).toBe(true);
  expect(on.loaded.length).toBeGreaterThan(0);
});

test('recorded histories replay on the OpenTelemetry bundle too (spans change headers and metadata, not commands)', async () => {
  const { Worker } = await import('@temporalio/worker');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { WORKFLOW_INTERCEPTOR_MODULES } = await import('../../workers/worker');
  const { telemetryBundle, startTelemetry } = await import('../../workers/telemetry');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { historyFromJson } = require('../../scripts/record-histories') as { historyFromJson(json: unknown): import('@temporalio/common/lib/proto-utils').History };
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const telemetry = startTelemetry()!.worker;
  const bundle = await telemetryBundle(undefined, [...WORKFLOW_INTERCEPTOR_MODULES, ...telemetry.workflowInterceptorModules]);
  const dir = path.join(__dirname, '..', 'histories');
  for (const file of ['plain.json', 'rectified-tool-crash.json', 'continued-as-new.run1.json', 'cancelled.json']) {
    const history = historyFromJson(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle: bundle, sinks: telemetry.sinks, replayName: `otel-replay-${file}` }, history);
  }
});
