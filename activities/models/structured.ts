/**
 * Structured outputs: ask for JSON matching a zod schema (response_format
 * json_schema where the endpoint supports it), then parse, validate, and if
 * needed run ONE repair round before giving up with a non-retryable
 * `ModelError(kind 'schema')` — a Rectifier/fallback matter, not a retry one.
 */
import { z } from 'zod';
import type { ChatMessage } from '../../mas/messages';
import type { Usage } from '../../mas/schemas';
import { addUsage } from '../../mas/cost';
import { ModelError, type ModelClient, type ModelRequest } from './types';
import { zodToJsonSchema, schemaName } from './jsonSchema';
import { repairPrompt } from '../../mas/prompts/repair';
import { isBudgetRefusal } from './budgetGuard';

export interface StructuredResult<T> {
  value: T;
  /** Summed over the first call and the repair call, if any. */
  usage: Usage;
  /** True when the first answer was invalid and the repair round fixed it. */
  repaired: boolean;
  /** The model text the value was parsed from. */
  raw: string;
}

export async function completeStructured<T>(
  client: ModelClient,
  req: ModelRequest,
  schema: z.ZodType<T>,
  name: string,
): Promise<StructuredResult<T>> {
  try {
    return await askWithRepair(client, req, schema, name);
  } finally {
    // The call and its repair round were the whole conversation.
    if (req.conversation !== undefined) client.endConversation?.(req.conversation);
  }
}

async function askWithRepair<T>(client: ModelClient, req: ModelRequest, schema: z.ZodType<T>, name: string): Promise<StructuredResult<T>> {
  const responseFormat = { name: schemaName(name), schema: zodToJsonSchema(schema) };
  const first = await client.complete({ ...req, responseFormat });
  let usage: Usage = { ...first.usage };
  const firstText = answerText(first);
  const attempt1 = tryParse(firstText, schema);
  if (attempt1.ok) return { value: attempt1.value, usage, repaired: false, raw: firstText };

  const repairMessages: ChatMessage[] = [
    ...req.messages,
    { role: 'assistant', content: firstText || '(empty answer)' },
    {
      role: 'user',
      content: repairPrompt(attempt1.issues),
    },
  ];
  let second;
  try {
    second = await client.complete({ ...req, messages: repairMessages, responseFormat });
  } catch (e) {
    if (!isBudgetRefusal(e)) throw e;
    // The first call is paid for; the repair round is not started when the budget cannot pay for it.
    throw withUsage(new ModelError(`${name}: the model's answer did not match the schema and the budget leaves no room for the repair round: ${attempt1.issues}`, 'schema', false), usage);
  }
  usage = addUsage(usage, second.usage);
  const secondText = answerText(second);
  const attempt2 = tryParse(secondText, schema);
  if (attempt2.ok) return { value: attempt2.value, usage, repaired: true, raw: secondText };

  throw withUsage(new ModelError(`${name}: the model's answer did not match the schema after one repair round: ${attempt2.issues}`, 'schema', false), usage);
}

/** Callers that bill failed calls need the tokens spent anyway. */
function withUsage(err: ModelError, usage: Usage): ModelError {
  (err as ModelError & { usage?: Usage }).usage = usage;
  return err;
}

/** The text to parse: the content, or the arguments of a (forced) tool call if there is no content. */
function answerText(res: { content: string | null; toolCalls: { arguments: string }[] }): string {
  if (res.content && res.content.trim()) return res.content;
  if (res.toolCalls.length > 0) return res.toolCalls[0]!.arguments;
  return res.content ?? '';
}

type ParseOutcome<T> = { ok: true; value: T } | { ok: false; issues: string };

function tryParse<T>(text: string, schema: z.ZodType<T>): ParseOutcome<T> {
  let data: unknown;
  try {
    data = extractJson(text);
  } catch (e) {
    return { ok: false, issues: (e as Error).message };
  }
  const r = schema.safeParse(data);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, issues: formatZodIssues(r.error) };
}

/**
 * The JSON value in a model's answer. Tolerates ```json fences, leading and
 * trailing prose, and picks the first balanced {...} (or [...]) block that
 * parses. Throws when there is none.
 */
export function extractJson(text: string): unknown {
  const trimmed = (text ?? '').trim();
  if (!trimmed) throw new Error('the answer is empty, expected a JSON object');
  // 1. The whole text.
  const whole = tryJson(trimmed);
  if (whole.ok) return whole.value;
  // 2. Fenced blocks (```json ... ``` or ``` ... ```), in order.
  const fence = /```[a-zA-Z0-9_-]*[ \t]*\r?\n?([\s\S]*?)```/g;
  for (let m = fence.exec(trimmed); m; m = fence.exec(trimmed)) {
    const inner = m[1]!.trim();
    const r = tryJson(inner);
    if (r.ok) return r.value;
    const block = firstBalancedBlock(inner);
    if (block !== undefined) return block;
  }
  // 3. The first balanced {...} / [...] block anywhere that parses.
  const block = firstBalancedBlock(trimmed);
  if (block !== undefined) return block;
  throw new Error('no JSON object found in the answer');
}

function tryJson(s: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(s) };
  } catch {
    return { ok: false };
  }
}

/**
 * The first balanced {...} block (brackets matched outside strings) that parses.
 * Arrays are only considered when the text has no '{' at all, so a truncated
 * object never yields one of its inner arrays.
 */
function firstBalancedBlock(text: string): unknown {
  const open = text.includes('{') ? '{' : '[';
  const close = open === '{' ? '}' : ']';
  for (let start = text.indexOf(open); start !== -1; start = text.indexOf(open, start + 1)) {
    const end = matchingClose(text, start, open, close);
    if (end === -1) continue;
    const r = tryJson(text.slice(start, end + 1));
    if (r.ok) return r.value;
  }
  return undefined;
}

function matchingClose(text: string, start: number, open: string, close: string): number {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === open) depth++;
    else if (ch === close) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * A concise one-line summary of zod issues: `path: message; path: message`,
 * at most `max` issues (union branches are summarised by their first issue).
 */
export function formatZodIssues(err: unknown, max = 8): string {
  const issues = (err as { issues?: unknown })?.issues;
  if (!Array.isArray(issues)) return oneLine(String((err as Error)?.message ?? err));
  const parts: string[] = [];
  for (const raw of issues as z.core.$ZodIssue[]) {
    const path = raw.path && raw.path.length > 0 ? raw.path.map((p) => String(p)).join('.') : '(root)';
    parts.push(`${path}: ${oneLine(raw.message)}`);
  }
  const shown = parts.slice(0, max);
  if (parts.length > max) shown.push(`… and ${parts.length - max} more`);
  return shown.join('; ');
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
