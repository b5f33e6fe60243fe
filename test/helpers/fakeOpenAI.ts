/**
 * A tiny OpenAI-compatible HTTP server for tests: POST /v1/chat/completions
 * (non-streaming) answered from a script the test enqueues, falling back to a
 * default handler when the script is empty. Every request is recorded (body,
 * headers, path) so tests can assert what was sent.
 *
 *   const fake = new FakeOpenAI();
 *   const { baseURL, close } = await fake.start();      // baseURL ends in /v1
 *   fake.enqueue(reply.json({ answer: 42 }), { status: 429, body: errorBody('slow down') });
 *   ... backbone { provider: 'openai', baseURL, ... } ...
 *   expect(fake.requests[0].body.response_format).toBeDefined();
 *   await close();
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer. `body` objects are sent as JSON; strings are sent verbatim. */
export interface FakeReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (timeouts). The wait ends early if the client disconnects. */
  delayMs?: number;
  /** Destroy the socket without answering (connection reset). */
  hangUp?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. "/v1/chat/completions". */
  path: string;
  /** Lower-cased header names. */
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body (or the raw text when it is not JSON, or undefined when empty). */
  body: any;
  /** 0-based index among all requests this server received. */
  index: number;
}

export type FakeHandler = (body: any, req: RecordedRequest) => FakeReply | Promise<FakeReply>;
export type FakeStep = FakeReply | FakeHandler;

export interface FakeOpenAIOptions {
  /** Answers requests when the queue is empty. Default: a 400 error saying the script ran out. */
  defaultHandler?: FakeStep;
}

export interface FakeServerHandle {
  /** e.g. "http://127.0.0.1:43125/v1" — put it in the backbone's baseURL. */
  baseURL: string;
  port: number;
  close(): Promise<void>;
}

export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  private queue: FakeStep[] = [];
  private defaultHandler: FakeStep | undefined;
  private server: http.Server | undefined;
  private handle: FakeServerHandle | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(opts: FakeOpenAIOptions = {}) {
    this.defaultHandler = opts.defaultHandler;
  }

  /** Append scripted answers; each request to /chat/completions consumes one. */
  enqueue(...steps: FakeStep[]): this {
    this.queue.push(...steps);
    return this;
  }

  /** Replace the answer used when the queue is empty. */
  setDefault(step: FakeStep | undefined): this {
    this.defaultHandler = step;
    return this;
  }

  /** Scripted answers not consumed yet. */
  get pending(): number {
    return this.queue.length;
  }

  /** Recorded requests to /chat/completions only. */
  get chatRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith('/chat/completions'));
  }

  /** Forget recorded requests and any queued answers (keeps the default handler). */
  reset(): this {
    this.requests.length = 0;
    this.queue = [];
    return this;
  }

  async start(): Promise<FakeServerHandle> {
    if (this.handle) return this.handle;
    const server = http.createServer((req, res) => {
      void this.onRequest(req, res);
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    this.handle = { baseURL: `http://127.0.0.1:${port}/v1`, port, close: () => this.close() };
    return this.handle;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.handle = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const text = await readBody(req);
    let body: unknown = undefined;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const path = (req.url ?? '/').split('?')[0]!;
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body, index: this.requests.length };
    this.requests.push(recorded);

    let reply: FakeReply;
    try {
      if (req.method === 'POST' && path.endsWith('/chat/completions')) {
        const step = this.queue.shift() ?? this.defaultHandler;
        if (!step) {
          reply = {
            status: 400,
            body: errorBody(`fake-openai: no scripted response left for request #${recorded.index}`, 'invalid_request_error'),
          };
        } else {
          reply = typeof step === 'function' ? await step(body, recorded) : step;
        }
      } else if (req.method === 'GET' && path.endsWith('/models')) {
        reply = { status: 200, body: { object: 'list', data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake' }] } };
      } else {
        reply = { status: 404, body: errorBody(`fake-openai: no route ${req.method} ${path}`, 'not_found_error') };
      }
    } catch (e) {
      reply = { status: 500, body: errorBody(`fake-openai: handler threw: ${(e as Error).message}`, 'server_error') };
    }
    await this.send(req, res, reply);
  }

  private async send(req: http.IncomingMessage, res: http.ServerResponse, reply: FakeReply): Promise<void> {
    if (reply.delayMs && reply.delayMs > 0) {
      const gone = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          res.off('close', onClose);
          resolve(false);
        }, reply.delayMs);
        this.timers.add(timer);
        const onClose = () => {
          clearTimeout(timer);
          this.timers.delete(timer);
          resolve(true);
        };
        res.once('close', onClose);
      });
      if (gone || res.destroyed) return;
    }
    if (reply.hangUp) {
      req.socket.destroy();
      return;
    }
    const status = reply.status ?? 200;
    const payload = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    const headers: Record<string, string> = {
      'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
      ...(reply.headers ?? {}),
    };
    if (!res.destroyed) {
      res.writeHead(status, headers);
      res.end(payload);
    }
  }
}

/** Convenience: construct and start in one call. */
export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<{ fake: FakeOpenAI } & FakeServerHandle> {
  const fake = new FakeOpenAI(opts);
  const handle = await fake.start();
  return { fake, ...handle };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------- body builders

export interface FakeToolCall {
  id?: string;
  name: string;
  /** An object is JSON-stringified; a string is sent as-is (to test malformed arguments). */
  arguments: unknown;
}

export interface CompletionSpec {
  content?: string | null;
  toolCalls?: FakeToolCall[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  finishReason?: string;
  model?: string;
}

let completionCounter = 0;

/** A chat.completion response body. Usage defaults to 10 prompt / 5 completion tokens; pass null to omit it. */
export function completionBody(spec: CompletionSpec = {}): Record<string, unknown> {
  const toolCalls = (spec.toolCalls ?? []).map((c, i) => ({
    id: c.id ?? `call_${i + 1}`,
    type: 'function',
    function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) },
  }));
  const usage =
    spec.usage === null
      ? undefined
      : {
          prompt_tokens: spec.usage?.prompt_tokens ?? 10,
          completion_tokens: spec.usage?.completion_tokens ?? 5,
          total_tokens: (spec.usage?.prompt_tokens ?? 10) + (spec.usage?.completion_tokens ?? 5),
        };
  const body: Record<string, unknown> = {
    id: `chatcmpl-fake-${++completionCounter}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: spec.model ?? 'fake-model',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: spec.content === undefined ? (toolCalls.length > 0 ? null : '') : spec.content,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: spec.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
        logprobs: null,
      },
    ],
  };
  if (usage) body['usage'] = usage;
  return body;
}

/** An OpenAI-style error body: {"error": {"message", "type", "code"}}. */
export function errorBody(message: string, type = 'invalid_request_error', code: string | null = null): Record<string, unknown> {
  return { error: { message, type, param: null, code } };
}

/** Ready-made replies. */
export const reply = {
  text: (content: string, usage?: CompletionSpec['usage']): FakeReply => ({ status: 200, body: completionBody({ content, usage }) }),
  json: (value: unknown, usage?: CompletionSpec['usage']): FakeReply => ({ status: 200, body: completionBody({ content: JSON.stringify(value), usage }) }),
  toolCalls: (calls: FakeToolCall[], usage?: CompletionSpec['usage'], content: string | null = null): FakeReply => ({
    status: 200,
    body: completionBody({ content, toolCalls: calls, usage }),
  }),
  error: (status: number, message = `fake error ${status}`, type?: string, headers?: Record<string, string>): FakeReply => ({
    status,
    body: errorBody(message, type ?? (status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error')),
    headers,
  }),
  delayed: (ms: number, inner: FakeReply): FakeReply => ({ ...inner, delayMs: ms }),
};

/** A port nothing listens on (bound then released): for connection-refused tests. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
