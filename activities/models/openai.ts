/**
 * The one real-model adapter: any OpenAI-compatible chat.completions endpoint
 * (OpenAI, vLLM, Ollama, llama.cpp server, LiteLLM, OpenRouter...).
 *
 * Retries are deliberately OFF in the SDK (`maxRetries: 0`): a transient
 * failure surfaces as a retryable `ModelError` and Temporal's activity retry
 * policy retries it, so every attempt is visible in the workflow history.
 */
import OpenAI from 'openai';
import type { ChatMessage, ModelResponse, ToolCall } from '../../mas/messages';
import type { Backbone } from '../../mas/schemas';
import { ModelError, type ModelClient, type ModelErrorKind, type ModelRequest } from './types';
import { schemaName } from './jsonSchema';

export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** Sent when the backbone names no key variable (local servers ignore it, the SDK insists on one). */
export const PLACEHOLDER_API_KEY = 'not-needed';

type ChatParams = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
type ChatMessageParam = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type ChatCompletion = OpenAI.Chat.Completions.ChatCompletion;

export interface OpenAIClientOptions {
  /** Where API keys (and OPENAI_BASE_URL) are read from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

export class OpenAIClient implements ModelClient {
  private readonly env: NodeJS.ProcessEnv;
  private readonly sdkClients = new Map<string, OpenAI>();

  constructor(opts: OpenAIClientOptions = {}) {
    this.env = opts.env ?? process.env;
  }

  async complete(req: ModelRequest): Promise<ModelResponse> {
    const { backbone } = req;
    const sdk = this.sdkFor(backbone);
    const params = buildChatParams(req);
    const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // Our own deadline rather than only the SDK's `timeout`: under Jest (and any
    // other vm realm) undici's DOMException fails the SDK's `instanceof Error`,
    // so its timeouts surface as a plain "Connection error". A timer we own
    // tells a timeout from a cancellation from a connection failure reliably.
    const deadline = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onCancel = () => deadline.abort(req.signal?.reason);
    if (req.signal) {
      if (req.signal.aborted) onCancel();
      else req.signal.addEventListener('abort', onCancel, { once: true });
    }
    let completion: ChatCompletion;
    try {
      completion = await sdk.chat.completions.create(params, {
        // Backstop only: our deadline fires first.
        timeout: timeoutMs + 1_000,
        signal: deadline.signal,
        maxRetries: 0,
      });
    } catch (err) {
      if (req.signal?.aborted) throw cancellationError(req.signal, err);
      if (timedOut) {
        throw new ModelError(`backbone ${backbone.id} (${backbone.model}): request timed out after ${timeoutMs} ms`, 'timeout', true);
      }
      throw classifyError(err, backbone);
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onCancel);
    }
    return toModelResponse(completion, backbone);
  }

  /** One SDK client per (baseURL, key); the SDK's own fetch keeps connections alive. */
  private sdkFor(backbone: Backbone): OpenAI {
    const baseURL = (backbone.baseURL ?? this.env['OPENAI_BASE_URL'] ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    let apiKey = PLACEHOLDER_API_KEY;
    if (backbone.apiKeyEnv) {
      const value = this.env[backbone.apiKeyEnv];
      if (!value || !value.trim()) {
        throw new ModelError(`backbone ${backbone.id}: environment variable ${backbone.apiKeyEnv} is not set`, 'config', false);
      }
      apiKey = value.trim();
    }
    const cacheKey = `${baseURL}\u0000${apiKey}`;
    let client = this.sdkClients.get(cacheKey);
    if (!client) {
      client = new OpenAI({
        apiKey,
        baseURL,
        maxRetries: 0,
        timeout: DEFAULT_TIMEOUT_MS,
        // The SDK would otherwise pick these up from process.env and send them
        // (as headers) to whatever endpoint the backbone points at.
        organization: null,
        project: null,
        adminAPIKey: null,
        webhookSecret: null,
      });
      this.sdkClients.set(cacheKey, client);
    }
    return client;
  }
}

// ---------------------------------------------------------------- request mapping

export function buildChatParams(req: ModelRequest): ChatParams {
  const { backbone } = req;
  const params: ChatParams = {
    model: backbone.model,
    messages: req.messages.map(toMessageParam),
    max_tokens: req.maxOutputTokens ?? backbone.maxOutputTokens,
  };
  const temperature = req.sampling?.temperature ?? backbone.temperature;
  const seed = req.sampling?.seed ?? backbone.seed;
  if (temperature !== undefined) params.temperature = temperature;
  if (seed !== undefined) params.seed = seed;
  if (req.tools && req.tools.length > 0) {
    params.tools = req.tools.map((t) => ({
      type: 'function' as const,
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
  }
  // llama-server's own request field: apply this backbone's adapter, the server's others stay off.
  if (backbone.lora) (params as ChatParams & { lora?: { id: number; scale: number }[] }).lora = [{ id: backbone.lora.apply, scale: 1 }];
  if (req.responseFormat && backbone.hints?.structuredOutputs !== false) {
    params.response_format = {
      type: 'json_schema',
      json_schema: { name: schemaName(req.responseFormat.name), schema: req.responseFormat.schema, strict: false },
    };
  }
  // The SDK sends the body as given: fields it does not know reach the server.
  return req.extraBody ? { ...params, ...req.extraBody } : params;
}

function toMessageParam(m: ChatMessage): ChatMessageParam {
  switch (m.role) {
    case 'system':
      return { role: 'system', content: m.content ?? '' };
    case 'user':
      return { role: 'user', content: m.content ?? '' };
    case 'assistant': {
      const calls = m.toolCalls ?? [];
      if (calls.length === 0) return { role: 'assistant', content: m.content ?? '' };
      return {
        role: 'assistant',
        content: m.content,
        tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
      };
    }
    case 'tool':
      if (!m.toolCallId) {
        throw new ModelError('a tool message has no toolCallId', 'bad_request', false);
      }
      return { role: 'tool', content: m.content ?? '', tool_call_id: m.toolCallId };
  }
}

// ---------------------------------------------------------------- response mapping

export function toModelResponse(completion: ChatCompletion, backbone: Backbone): ModelResponse {
  const choice = completion?.choices?.[0];
  if (!choice || !choice.message) {
    throw new ModelError(`backbone ${backbone.id}: the response has no choices`, 'server', true);
  }
  const msg = choice.message;
  const toolCalls: ToolCall[] = [];
  for (const call of msg.tool_calls ?? []) {
    if (call.type === 'function' || (call as { function?: unknown }).function) {
      const fn = (call as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall).function;
      toolCalls.push({ id: call.id, name: fn.name, arguments: fn.arguments ?? '' });
    } else if (call.type === 'custom') {
      toolCalls.push({ id: call.id, name: call.custom.name, arguments: call.custom.input });
    }
  }
  const usage = completion.usage;
  const inputTokens = nonNegInt(usage?.prompt_tokens);
  const cached = cachedTokens(completion, inputTokens);
  return {
    content: msg.content ?? (msg.refusal ? msg.refusal : null),
    toolCalls,
    usage: {
      inputTokens,
      outputTokens: nonNegInt(usage?.completion_tokens),
      ...(cached !== undefined ? { cachedInputTokens: cached } : {}),
    },
    finishReason: choice.finish_reason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
  };
}

/**
 * Prompt tokens the server's cache served, by the server's own count: OpenAI's
 * `usage.prompt_tokens_details.cached_tokens`, or llama-server's prompt tokens
 * minus the ones it processed (`timings.prompt_n`). Undefined when it says neither.
 */
export function cachedTokens(completion: ChatCompletion, inputTokens: number): number | undefined {
  const reported = completion.usage?.prompt_tokens_details?.cached_tokens;
  if (typeof reported === 'number' && Number.isFinite(reported)) return Math.min(inputTokens, nonNegInt(reported));
  const processed = (completion as { timings?: { prompt_n?: unknown } }).timings?.prompt_n;
  if (typeof processed !== 'number' || !Number.isFinite(processed)) return undefined;
  return Math.max(0, inputTokens - Math.round(processed));
}

function nonNegInt(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.round(n) : 0;
}

// ---------------------------------------------------------------- error classification

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * Turn whatever the SDK threw into a ModelError, or — when the caller's signal
 * aborted (Temporal activity cancellation) — into the abort reason, so the
 * worker reports the activity as cancelled rather than failed.
 *
 * Classification uses `status` and constructor names, never `instanceof`
 * (Jest module registries and duplicated SDK copies break it).
 */
export function classifyError(err: unknown, backbone: Backbone, signal?: AbortSignal): unknown {
  if (signal?.aborted) return cancellationError(signal, err);
  if (typeof (err as { name?: unknown })?.name === 'string' && (err as Error).name === 'ModelError') return err;
  const e = (err ?? {}) as { status?: unknown; name?: unknown; message?: unknown; constructor?: { name?: string }; error?: unknown };
  const ctor = typeof e.constructor?.name === 'string' ? e.constructor.name : '';
  const name = typeof e.name === 'string' ? e.name : '';
  const where = `backbone ${backbone.id} (${backbone.model})`;
  const status = typeof e.status === 'number' ? e.status : undefined;

  if (status !== undefined) {
    const body = shortBody(err);
    const msg = `${where}: HTTP ${status}${body ? `: ${body}` : ''}`;
    const [kind, retryable] = statusKind(status);
    return new ModelError(msg, kind, retryable, status);
  }

  const codes = causeCodes(err);
  const text = `${String(e.message ?? '')} ${codes.join(' ')}`;
  if (ctor === 'APIUserAbortError') {
    // Aborted without our signal being aborted: treat like a timeout (transient).
    return new ModelError(`${where}: request aborted`, 'timeout', true);
  }
  if (ctor === 'APIConnectionTimeoutError' || name === 'TimeoutError' || codes.some((c) => TIMEOUT_CODES.has(c)) || name === 'AbortError') {
    return new ModelError(`${where}: request timed out`, 'timeout', true);
  }
  if (ctor === 'APIConnectionError' || codes.some((c) => CONNECTION_CODES.has(c)) || /fetch failed|socket hang up|other side closed/i.test(text)) {
    const code = codes.find((c) => CONNECTION_CODES.has(c));
    return new ModelError(`${where}: connection error${code ? ` (${code})` : ''}: ${oneLine(String(e.message ?? 'connection failed'))}`, 'connection', true);
  }
  if (err instanceof SyntaxError || name === 'SyntaxError') {
    // The endpoint answered 2xx with a body that is not JSON (proxies, HTML error pages).
    return new ModelError(`${where}: unparseable response: ${oneLine(String(e.message ?? ''))}`, 'server', true);
  }
  return new ModelError(`${where}: ${oneLine(String(e.message ?? err))}`, 'other', false);
}

function statusKind(status: number): [ModelErrorKind, boolean] {
  if (status === 429) return ['rate_limit', true];
  if (status === 408) return ['timeout', true];
  if (status === 409) return ['server', true];
  if (status >= 500) return ['server', true];
  if (status === 401 || status === 403) return ['auth', false];
  if (status === 404) return ['not_found', false];
  if (status === 400 || status === 422 || status === 413) return ['bad_request', false];
  return ['other', false];
}

function cancellationError(signal: AbortSignal, original: unknown): unknown {
  const reason: unknown = signal.reason;
  // Temporal aborts the activity's cancellationSignal with a CancelledFailure:
  // rethrowing it makes the worker report "cancelled", not "failed".
  if (reason instanceof Error || (typeof reason === 'object' && reason !== null && 'message' in reason)) return reason;
  const abort = new Error(typeof reason === 'string' ? reason : 'The model request was cancelled');
  abort.name = 'AbortError';
  (abort as { cause?: unknown }).cause = original;
  return abort;
}

/** The provider's error message (SDK APIError puts the parsed `error` body on `.error`). */
function shortBody(err: unknown): string {
  const e = err as { error?: unknown; message?: unknown };
  let text = '';
  const body = e.error as { message?: unknown } | string | undefined;
  if (typeof body === 'string') text = body;
  else if (body && typeof body === 'object') text = typeof body.message === 'string' ? body.message : JSON.stringify(body);
  if (!text && typeof e.message === 'string') text = e.message.replace(/^\d{3}\s*/, '');
  text = oneLine(text);
  if (/status code \(no body\)/.test(text)) return '';
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Error codes along the `cause` chain (undici nests the errno two levels deep). */
function causeCodes(err: unknown): string[] {
  const codes: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; depth < 6 && cur && typeof cur === 'object'; depth++) {
    const c = cur as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof c.code === 'string') codes.push(c.code);
    if (Array.isArray(c.errors)) {
      for (const sub of c.errors) if (sub && typeof (sub as { code?: unknown }).code === 'string') codes.push((sub as { code: string }).code);
    }
    cur = c.cause;
  }
  return codes;
}
