import { z } from 'zod';
import { OpenAIClient, buildChatParams } from '../../../activities/models/openai';
import { completeStructured } from '../../../activities/models/structured';
import { isModelError, ModelError, type ModelRequest } from '../../../activities/models/types';
import { BackboneSchema, type Backbone } from '../../../mas/schemas';
import { FakeOpenAI, closedPort, completionBody, reply, type FakeServerHandle } from '../../helpers/fakeOpenAI';

const KEY_VAR = 'MAS2_TEST_FAKE_KEY';
const SECRET = 'sk-test-123';

let fake: FakeOpenAI;
let server: FakeServerHandle;

beforeAll(async () => {
  fake = new FakeOpenAI();
  server = await fake.start();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  fake.reset();
  fake.setDefault(undefined);
});

function backbone(over: Partial<Backbone> & { structuredOutputs?: boolean } = {}): Backbone {
  const { structuredOutputs, ...rest } = over;
  return BackboneSchema.parse({
    id: 'fake',
    provider: 'openai',
    model: 'fake-model',
    baseURL: server.baseURL,
    apiKeyEnv: KEY_VAR,
    pricing: { inputPerM: 1, outputPerM: 2 },
    hints: { strengths: [], structuredOutputs: structuredOutputs ?? true },
    ...rest,
  });
}

function client(env: NodeJS.ProcessEnv = { [KEY_VAR]: SECRET }): OpenAIClient {
  return new OpenAIClient({ env });
}

function request(over: Partial<ModelRequest> = {}): ModelRequest {
  return {
    backbone: backbone(),
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Plan the work.' },
    ],
    ...over,
  };
}

async function catchError(p: Promise<unknown>): Promise<ModelError> {
  try {
    await p;
  } catch (e) {
    if (!isModelError(e)) throw new Error(`expected a ModelError, got ${String(e)}`);
    return e;
  }
  throw new Error('expected the call to fail');
}

const PlanSchema = z.object({
  steps: z.array(z.string()).min(1),
  confidence: z.number().min(0).max(1),
  note: z.string().default(''),
});

describe('OpenAIClient against a loopback OpenAI-compatible server', () => {
  test('plain completion: messages, max_tokens, usage, finish reason, Authorization', async () => {
    fake.enqueue(reply.text('hello', { prompt_tokens: 17, completion_tokens: 3 }));
    const res = await client().complete(request({ maxOutputTokens: 77 }));
    expect(res).toEqual({ content: 'hello', toolCalls: [], usage: { inputTokens: 17, outputTokens: 3 }, finishReason: 'stop' });

    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(sent.body.model).toBe('fake-model');
    expect(sent.body.max_tokens).toBe(77);
    expect(sent.body.stream).toBeFalsy();
    expect(sent.body.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Plan the work.' },
    ]);
    expect(sent.body.response_format).toBeUndefined();
    expect(sent.body.tools).toBeUndefined();
  });

  test("prompt tokens served from the server's cache: llama-server's timings.prompt_n, OpenAI's cached_tokens; extra body fields reach the server", async () => {
    // llama-server: 500 prompt tokens, 40 of them processed; the slot pinned with id_slot.
    fake.enqueue({ status: 200, body: { ...completionBody({ content: 'a', usage: { prompt_tokens: 500, completion_tokens: 3 } }), timings: { prompt_n: 40, prompt_ms: 900, predicted_n: 3 } } });
    const res = await client().complete(request({ extraBody: { id_slot: 3 } }));
    expect(res.usage).toEqual({ inputTokens: 500, outputTokens: 3, cachedInputTokens: 460 });
    expect(fake.requests[0]!.body.id_slot).toBe(3);
    // OpenAI's own report wins when present.
    const body = completionBody({ content: 'b', usage: { prompt_tokens: 2048, completion_tokens: 1 } });
    fake.enqueue({ status: 200, body: { ...body, usage: { ...(body.usage as object), prompt_tokens_details: { cached_tokens: 1024 } } } });
    expect((await client().complete(request())).usage.cachedInputTokens).toBe(1024);
    expect(fake.requests[1]!.body.id_slot).toBeUndefined();
    // A server that says neither: unknown, not 0.
    fake.enqueue(reply.text('c', { prompt_tokens: 9, completion_tokens: 1 }));
    expect((await client().complete(request())).usage).toEqual({ inputTokens: 9, outputTokens: 1 });
  });

  test('max_tokens falls back to the backbone maxOutputTokens; missing usage is 0', async () => {
    fake.enqueue({ status: 200, body: completionBody({ content: 'x', usage: null }) });
    const res = await client().complete(request({ backbone: backbone({ maxOutputTokens: 321 }) }));
    expect(fake.requests[0]!.body.max_tokens).toBe(321);
    expect(res.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  test('structured output: json_schema response_format sent, value parsed and validated', async () => {
    fake.enqueue(reply.json({ steps: ['a', 'b'], confidence: 0.7 }, { prompt_tokens: 40, completion_tokens: 12 }));
    const out = await completeStructured(client(), request(), PlanSchema, 'plan');
    expect(out.value).toEqual({ steps: ['a', 'b'], confidence: 0.7, note: '' });
    expect(out.repaired).toBe(false);
    expect(out.usage).toEqual({ inputTokens: 40, outputTokens: 12 });
    expect(JSON.parse(out.raw)).toEqual({ steps: ['a', 'b'], confidence: 0.7 });

    const rf = fake.requests[0]!.body.response_format;
    expect(rf.type).toBe('json_schema');
    expect(rf.json_schema.name).toBe('plan');
    expect(rf.json_schema.strict).toBe(false);
    expect(rf.json_schema.schema.$schema).toBeUndefined();
    expect(rf.json_schema.schema.type).toBe('object');
    expect(rf.json_schema.schema.properties.steps.type).toBe('array');
    // `note` has a default: the model may omit it.
    expect(rf.json_schema.schema.required).toEqual(expect.arrayContaining(['steps', 'confidence']));
    expect(rf.json_schema.schema.required).not.toContain('note');
  });

  test('structuredOutputs:false → no response_format, fenced JSON with prose still parses', async () => {
    fake.enqueue(reply.text('Sure! Here is the plan:\n```json\n{"steps": ["x"], "confidence": 1}\n```\nHope that helps.'));
    const out = await completeStructured(client(), request({ backbone: backbone({ structuredOutputs: false }) }), PlanSchema, 'plan');
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.body.response_format).toBeUndefined();
    expect(out.value.steps).toEqual(['x']);
    expect(out.repaired).toBe(false);
  });

  test('repair round succeeds: invalid JSON first, valid second; usage summed; the repair prompt quotes the issues', async () => {
    fake.enqueue(
      reply.text('{"steps": ["a", "b"], "confidence": 0.5', { prompt_tokens: 30, completion_tokens: 10 }),
      reply.json({ steps: ['a'], confidence: 0.5 }, { prompt_tokens: 50, completion_tokens: 8 }),
    );
    const out = await completeStructured(client(), request(), PlanSchema, 'plan');
    expect(out.repaired).toBe(true);
    expect(out.value).toEqual({ steps: ['a'], confidence: 0.5, note: '' });
    expect(out.usage).toEqual({ inputTokens: 80, outputTokens: 18 });

    expect(fake.requests).toHaveLength(2);
    const msgs = fake.requests[1]!.body.messages;
    expect(msgs).toHaveLength(4);
    expect(msgs[2]).toEqual({ role: 'assistant', content: '{"steps": ["a", "b"], "confidence": 0.5' });
    expect(msgs[3].role).toBe('user');
    expect(msgs[3].content).toMatch(/^Your previous answer broke this rule:\n- .*no JSON object found.*\nReply with only the corrected JSON object\.$/);
    expect(fake.requests[1]!.body.response_format.type).toBe('json_schema');
  });

  test('repair round succeeds after a wrong shape; the issues name the bad paths', async () => {
    fake.enqueue(reply.json({ steps: [], confidence: 3 }), reply.json({ steps: ['ok'], confidence: 0.9 }));
    const out = await completeStructured(client(), request(), PlanSchema, 'plan');
    expect(out.repaired).toBe(true);
    const repairPrompt: string = fake.requests[1]!.body.messages.at(-1).content;
    expect(repairPrompt).toContain('steps:');
    expect(repairPrompt).toContain('confidence:');
    // One line per broken rule, so a small model sees each one.
    expect(repairPrompt.split('\n').filter((l) => l.startsWith('- '))).toHaveLength(2);
  });

  test('repair round fails → non-retryable ModelError kind schema', async () => {
    fake.enqueue(reply.json({ steps: 'nope' }), reply.text('still not it'));
    const err = await catchError(completeStructured(client(), request(), PlanSchema, 'plan'));
    expect(err.kind).toBe('schema');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/plan: .*did not match the schema/);
    expect(err.message).not.toContain('\n');
    expect(fake.requests).toHaveLength(2);
  });

  test('tool call round-trip: tools sent, tool_calls mapped, assistant tool_calls and tool results sent back', async () => {
    const tools = [
      {
        name: 'calc',
        description: 'Evaluate an arithmetic expression',
        parameters: { type: 'object', properties: { expr: { type: 'string' } }, required: ['expr'] },
      },
    ];
    fake.enqueue(reply.toolCalls([{ id: 'call_9', name: 'calc', arguments: { expr: '2+2' } }], { prompt_tokens: 20, completion_tokens: 6 }));
    const c = client();
    const first = await c.complete(request({ tools }));
    expect(first.toolCalls).toEqual([{ id: 'call_9', name: 'calc', arguments: '{"expr":"2+2"}' }]);
    expect(first.finishReason).toBe('tool_calls');
    expect(first.content).toBeNull();
    expect(first.usage).toEqual({ inputTokens: 20, outputTokens: 6 });
    expect(fake.requests[0]!.body.tools).toEqual([
      { type: 'function', function: { name: 'calc', description: 'Evaluate an arithmetic expression', parameters: tools[0]!.parameters } },
    ]);

    fake.enqueue(reply.text('4'));
    const second = await c.complete(
      request({
        tools,
        messages: [
          { role: 'user', content: 'what is 2+2' },
          { role: 'assistant', content: null, toolCalls: first.toolCalls },
          { role: 'tool', content: '4', toolCallId: 'call_9' },
        ],
      }),
    );
    expect(second.content).toBe('4');
    expect(fake.requests[1]!.body.messages).toEqual([
      { role: 'user', content: 'what is 2+2' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'calc', arguments: '{"expr":"2+2"}' } }] },
      { role: 'tool', content: '4', tool_call_id: 'call_9' },
    ]);
  });

  test('429 → retryable rate_limit (one request: SDK retries are off); the next call succeeds', async () => {
    fake.enqueue(reply.error(429, 'Rate limit reached for requests', undefined, { 'retry-after': '0' }), reply.text('done'));
    const c = client();
    const err = await catchError(c.complete(request()));
    expect(err.kind).toBe('rate_limit');
    expect(err.retryable).toBe(true);
    expect(err.status).toBe(429);
    expect(err.message).toContain('429');
    expect(err.message).toContain('Rate limit reached');
    expect(fake.requests).toHaveLength(1);

    const ok = await c.complete(request());
    expect(ok.content).toBe('done');
    expect(fake.requests).toHaveLength(2);
  });

  test('401 → non-retryable auth, exactly one request made', async () => {
    fake.enqueue(reply.error(401, 'Incorrect API key provided'));
    const err = await catchError(client().complete(request()));
    expect(err).toMatchObject({ kind: 'auth', retryable: false, status: 401 });
    expect(err.message).toContain('Incorrect API key provided');
    expect(fake.requests).toHaveLength(1);
  });

  test('403 → non-retryable auth', async () => {
    fake.enqueue(reply.error(403, 'forbidden'));
    expect(await catchError(client().complete(request()))).toMatchObject({ kind: 'auth', retryable: false, status: 403 });
  });

  test('500 → retryable server error, one request (x-should-retry is ignored too)', async () => {
    fake.enqueue(reply.error(500, 'The server had an error', undefined, { 'x-should-retry': 'true' }));
    const err = await catchError(client().complete(request()));
    expect(err).toMatchObject({ kind: 'server', retryable: true, status: 500 });
    expect(fake.requests).toHaveLength(1);
  });

  test('503 with a non-JSON body → retryable server error quoting the body', async () => {
    fake.enqueue({ status: 503, body: 'upstream unavailable' });
    const err = await catchError(client().complete(request()));
    expect(err).toMatchObject({ kind: 'server', retryable: true, status: 503 });
    expect(err.message).toContain('upstream unavailable');
  });

  test('404 → non-retryable not_found', async () => {
    fake.enqueue(reply.error(404, 'The model `nope` does not exist', 'invalid_request_error'));
    const err = await catchError(client().complete(request()));
    expect(err).toMatchObject({ kind: 'not_found', retryable: false, status: 404 });
    expect(err.message).toContain('does not exist');
  });

  test('400 and 422 → non-retryable bad_request; 408 and 409 → retryable', async () => {
    fake.enqueue(reply.error(400, 'bad'), reply.error(422, 'unprocessable'), reply.error(408, 'slow'), reply.error(409, 'conflict'));
    const c = client();
    expect(await catchError(c.complete(request()))).toMatchObject({ kind: 'bad_request', retryable: false, status: 400 });
    expect(await catchError(c.complete(request()))).toMatchObject({ kind: 'bad_request', retryable: false, status: 422 });
    expect(await catchError(c.complete(request()))).toMatchObject({ retryable: true, status: 408 });
    expect(await catchError(c.complete(request()))).toMatchObject({ retryable: true, status: 409 });
    expect(fake.requests).toHaveLength(4);
  });

  test('connection refused (closed port) → retryable connection error', async () => {
    const port = await closedPort();
    const err = await catchError(client().complete(request({ backbone: backbone({ baseURL: `http://127.0.0.1:${port}/v1` }) })));
    expect(err.kind).toBe('connection');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('ECONNREFUSED');
  });

  test('server hangs up → retryable connection error', async () => {
    fake.enqueue({ hangUp: true });
    const err = await catchError(client().complete(request()));
    expect(err).toMatchObject({ kind: 'connection', retryable: true });
    expect(fake.requests).toHaveLength(1);
  });

  test('request timeout (server slower than timeoutMs) → retryable timeout, one request', async () => {
    fake.enqueue(reply.delayed(20_000, reply.text('too late')));
    const started = Date.now();
    const err = await catchError(client().complete(request({ timeoutMs: 200 })));
    expect(err).toMatchObject({ kind: 'timeout', retryable: true });
    // Only proves it gave up long before the server answered; generous for a loaded 2-core machine.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(fake.requests).toHaveLength(1);
  });

  test('cancellation through req.signal rethrows the abort reason (not a ModelError)', async () => {
    fake.enqueue(reply.delayed(3000, reply.text('too late')));
    const ac = new AbortController();
    const reason = Object.assign(new Error('Activity cancelled'), { name: 'CancelledFailure' });
    setTimeout(() => ac.abort(reason), 100);
    let caught: unknown;
    try {
      await client().complete(request({ signal: ac.signal, timeoutMs: 10_000 }));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(reason);
  });

  test('cancellation without a reason object → an AbortError', async () => {
    fake.enqueue(reply.delayed(3000, reply.text('too late')));
    const ac = new AbortController();
    setTimeout(() => ac.abort('stop'), 100);
    let caught: unknown;
    try {
      await client().complete(request({ signal: ac.signal }));
    } catch (e) {
      caught = e;
    }
    expect((caught as Error).name).toBe('AbortError');
    expect(isModelError(caught)).toBe(false);
  });

  test('an already-aborted signal → cancellation, nothing answered', async () => {
    const ac = new AbortController();
    const reason = new Error('cancelled before start');
    ac.abort(reason);
    await expect(client().complete(request({ signal: ac.signal }))).rejects.toBe(reason);
  });

  test('missing env key → non-retryable config error, no request made', async () => {
    const err = await catchError(client({}).complete(request()));
    expect(err).toMatchObject({ kind: 'config', retryable: false });
    expect(err.message).toBe(`backbone fake: environment variable ${KEY_VAR} is not set`);
    const empty = await catchError(client({ [KEY_VAR]: '' }).complete(request()));
    expect(empty.kind).toBe('config');
    expect(fake.requests).toHaveLength(0);
  });

  test('no apiKeyEnv (local servers) → a placeholder key is sent', async () => {
    fake.enqueue(reply.text('ok'));
    const res = await client({}).complete(request({ backbone: backbone({ apiKeyEnv: undefined }) }));
    expect(res.content).toBe('ok');
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer not-needed');
  });

  test('the key comes from the variable named by apiKeyEnv; clients are cached per (baseURL, key)', async () => {
    fake.setDefault(reply.text('ok'));
    const env: NodeJS.ProcessEnv = { OTHER_KEY: 'sk-other', [KEY_VAR]: SECRET };
    const c = new OpenAIClient({ env });
    await c.complete(request({ backbone: backbone({ apiKeyEnv: 'OTHER_KEY' }) }));
    await c.complete(request());
    env['OTHER_KEY'] = 'sk-rotated';
    await c.complete(request({ backbone: backbone({ apiKeyEnv: 'OTHER_KEY' }) }));
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-other', `Bearer ${SECRET}`, 'Bearer sk-rotated']);
    expect((c as unknown as { sdkClients: Map<string, unknown> }).sdkClients.size).toBe(3);
  });

  test('OPENAI_ORG_ID / OPENAI_PROJECT_ID in process.env are not forwarded to the endpoint', async () => {
    const saved = { org: process.env['OPENAI_ORG_ID'], proj: process.env['OPENAI_PROJECT_ID'] };
    process.env['OPENAI_ORG_ID'] = 'org-leak';
    process.env['OPENAI_PROJECT_ID'] = 'proj-leak';
    try {
      fake.enqueue(reply.text('ok'));
      await client().complete(request());
      expect(fake.requests[0]!.headers['openai-organization']).toBeUndefined();
      expect(fake.requests[0]!.headers['openai-project']).toBeUndefined();
    } finally {
      if (saved.org === undefined) delete process.env['OPENAI_ORG_ID'];
      else process.env['OPENAI_ORG_ID'] = saved.org;
      if (saved.proj === undefined) delete process.env['OPENAI_PROJECT_ID'];
      else process.env['OPENAI_PROJECT_ID'] = saved.proj;
    }
  });

  test('the default handler answers when the queue is empty; a handler function sees the request body', async () => {
    fake.setDefault((body) => reply.text(`echo:${body.messages.at(-1).content}`));
    const res = await client().complete(request());
    expect(res.content).toBe('echo:Plan the work.');
  });

  test('an empty script without a default handler → a clear 400 from the fake', async () => {
    const err = await catchError(client().complete(request()));
    expect(err.kind).toBe('bad_request');
    expect(err.message).toContain('no scripted response left');
  });
});

describe('buildChatParams', () => {
  test('responseFormat only with structuredOutputs; names are sanitized', () => {
    const base: ModelRequest = {
      backbone: BackboneSchema.parse({ id: 'b', provider: 'openai', model: 'm', pricing: { inputPerM: 0, outputPerM: 0 } }),
      messages: [{ role: 'user', content: 'hi' }],
      responseFormat: { name: 'Generator output!', schema: { type: 'object' } },
    };
    const p = buildChatParams(base);
    expect(p.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'Generator_output', schema: { type: 'object' }, strict: false } });
    expect(p.max_tokens).toBe(1024);
    const off = buildChatParams({ ...base, backbone: { ...base.backbone, hints: { strengths: [], structuredOutputs: false } } });
    expect(off.response_format).toBeUndefined();
  });

  test('a tool message without toolCallId is rejected', () => {
    const base: ModelRequest = {
      backbone: BackboneSchema.parse({ id: 'b', provider: 'openai', model: 'm', pricing: { inputPerM: 0, outputPerM: 0 } }),
      messages: [{ role: 'tool', content: 'x' }],
    };
    expect(() => buildChatParams(base)).toThrow(/toolCallId/);
  });
});
