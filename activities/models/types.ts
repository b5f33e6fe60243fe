import type { Backbone } from '../../mas/schemas';
import type { ChatMessage, ModelResponse, SimContext, ToolDefinition } from '../../mas/messages';

export interface ModelRequest {
  backbone: Backbone;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  /** When set, ask for JSON matching this JSON schema (response_format json_schema where supported). */
  responseFormat?: { name: string; schema: Record<string, unknown> };
  maxOutputTokens?: number;
  sim?: SimContext;
  signal?: AbortSignal;
  /** Timeout of one HTTP request in ms; the activity's own timeout bounds it too. */
  timeoutMs?: number;
  /**
   * Names the conversation this call continues (an agent's turn loop, a meta-agent call and
   * its repair round): a server that keeps prompt caches per slot sends it back to the same one.
   */
  conversation?: string;
  /** This call's own temperature and seed (an ensemble's sample), instead of the backbone's. */
  sampling?: { temperature: number; seed: number };
  /** Provider-specific fields merged into the request body (llama-server's `id_slot`). */
  extraBody?: Record<string, unknown>;
}

export interface ModelClient {
  complete(req: ModelRequest): Promise<ModelResponse>;
  /**
   * The conversation will send nothing more (an agent's final answer, a structured call
   * after its repair round): a client that keeps a server slot for it may give it to others,
   * whose prompts can still reuse the prefix it holds.
   */
  endConversation?(conversation: string): void;
}

export type ModelErrorKind = 'rate_limit' | 'timeout' | 'server' | 'connection' | 'auth' | 'bad_request' | 'not_found' | 'schema' | 'config' | 'other';

/**
 * A provider error, classified once so the activity layer can decide between
 * a Temporal retry (transient) and a non-retryable failure (a Rectifier trigger).
 */
export class ModelError extends Error {
  constructor(
    message: string,
    readonly kind: ModelErrorKind,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

export function isModelError(e: unknown): e is ModelError {
  return typeof e === 'object' && e !== null && (e as { name?: string }).name === 'ModelError' && typeof (e as ModelError).retryable === 'boolean';
}
