/**
 * The one shape of a tool: `defineTool({ name, description, parameters, execute })`, the
 * shape of @openai/agents' `tool()`. The built-ins (python, calculator, …) are defined with it
 * too, and every tool runs the same way: one runTool activity per call, arguments validated
 * against its zod schema, its description offered to the Generator and the agents.
 *
 * Outcomes of a call:
 *   - `execute` returns a value → the agent sees it (strings as they are, anything else as JSON);
 *   - `execute` returns `toolResult({...})` → that result as it is (ok or not, with stderr, the
 *     limit hit…): how the sandboxed built-ins report a program that ran and failed;
 *   - `execute` throws a ToolError → the agent sees the message and may try again (a tool error);
 *   - anything else it throws → the tool crashed: a ToolCrashed failure, a Rectifier trigger.
 */
import { z } from 'zod';
import { ToolResultSchema, type ToolResult } from '../../mas/messages';
import type { ToolSpec } from '../../mas/tools';
import { TOOL_CALL_ERRORS } from '../../mas/prompts';
import { ToolCrashError, isToolCrashError } from './errors';

/** What `execute` gets besides its arguments. */
export interface OwnToolContext {
  /** Aborted when the activity is cancelled or times out: stop what you started. */
  signal?: AbortSignal;
  /** Call during long work (the activity heartbeats on its own every 2 s too). */
  heartbeat: () => void;
  /** The run's own folder (shared with the built-in workspace tool). */
  workspaceDir: string;
  /** The run (workflow id) and the agent calling the tool. */
  workflowId?: string;
  agent?: string;
}

/**
 * `C`: what `execute` gets besides its arguments (the built-ins also read the documents
 * folder); `R`: what it returns (the built-ins: a toolResult).
 */
export interface ToolDefinitionInput<S extends z.ZodType, C = OwnToolContext, R = unknown> {
  name: string;
  description: string;
  parameters: S;
  execute: (input: z.output<S>, ctx: C) => R | Promise<R>;
  /** Upper bound on one call (default: 3 minutes, like the built-ins). */
  timeoutMs?: number;
}

export interface OwnTool<S extends z.ZodType = z.ZodType, C = OwnToolContext, R = unknown> extends ToolDefinitionInput<S, C, R> {
  readonly kind: 'mas2.tool';
}

/** Found across copies of mas2 (Symbol.for), invisible to JSON and to equality in tests (not enumerable). */
const RESULT = Symbol.for('mas2.toolResult');

/** A complete result, passed to the agent as it is: ok or not, with stderr, exit code and the limit hit. */
export function toolResult(r: ToolResult): ToolResult {
  return Object.defineProperty({ ...r }, RESULT, { value: true, enumerable: false });
}

function isToolResult(v: unknown): v is ToolResult {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[RESULT] === true;
}

/** A failure to report to the agent (bad input it can fix, nothing found...), not a crash. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

function isToolError(e: unknown): e is Error {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'ToolError';
}

export function defineTool<S extends z.ZodType, C = OwnToolContext, R = unknown>(def: ToolDefinitionInput<S, C, R>): OwnTool<S, C, R> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(def.name ?? '')) throw new Error(`defineTool: name "${def.name}" must be 1–64 letters, digits, "_" or "-"`);
  if (typeof def.description !== 'string' || !def.description.trim()) throw new Error(`defineTool "${def.name}": a description is required (the Generator and the agents read it)`);
  if (!def.parameters || typeof (def.parameters as { safeParse?: unknown }).safeParse !== 'function') throw new Error(`defineTool "${def.name}": parameters must be a zod schema, e.g. z.object({ city: z.string() })`);
  if (typeof def.execute !== 'function') throw new Error(`defineTool "${def.name}": execute must be a function`);
  if (def.timeoutMs !== undefined && !(Number.isInteger(def.timeoutMs) && def.timeoutMs > 0)) throw new Error(`defineTool "${def.name}": timeoutMs must be a positive whole number of milliseconds`);
  return { ...def, kind: 'mas2.tool' };
}

/** By shape, not instanceof: the tool may come from another copy of mas2 (a user's node_modules). */
export function isOwnTool(x: unknown): x is OwnTool {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'mas2.tool' && typeof (x as { execute?: unknown }).execute === 'function';
}

export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

export function ownToolSpec(t: OwnTool): ToolSpec {
  return { name: t.name, description: t.description, parameters: jsonSchemaOf(t.parameters), source: 'own', ...(t.timeoutMs ? { timeoutMs: t.timeoutMs } : {}) };
}

/** What the agent sees of a returned value; a malformed toolResult is the tool breaking. */
function render(name: string, value: unknown): ToolResult {
  if (isToolResult(value)) {
    const checked = ToolResultSchema.safeParse(value);
    if (!checked.success) throw new ToolCrashError(name, `returned a malformed result: ${z.prettifyError(checked.error)}`);
    return checked.data;
  }
  if (typeof value === 'string') return { ok: true, output: value };
  return { ok: true, output: value === undefined ? '' : JSON.stringify(value) };
}

/** The JSON arguments a model wrote, parsed; a message for the agent when they are not JSON. */
export function parseArguments(name: string, rawArguments: string): { ok: true; value: unknown } | { ok: false; result: ToolResult } {
  try {
    return { ok: true, value: JSON.parse(rawArguments.trim() === '' ? '{}' : rawArguments) };
  } catch (e) {
    return { ok: false, result: { ok: false, output: TOOL_CALL_ERRORS.badJson(name, (e as Error).message), error: 'invalid JSON arguments' } };
  }
}

/** The arguments checked against the tool's schema; a message for the agent, with the schema, when they do not match. */
export function checkArguments<S extends z.ZodType>(t: ToolDefinitionInput<S, never, unknown>, args: unknown): { ok: true; value: z.output<S> } | { ok: false; result: ToolResult } {
  const parsed = t.parameters.safeParse(args);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(arguments)'}: ${i.message}`);
  return { ok: false, result: { ok: false, output: TOOL_CALL_ERRORS.invalidArguments(t.name, issues, jsonSchemaOf(t.parameters)), error: 'invalid arguments' } };
}

/** Runs one call of a tool on already-parsed JSON arguments. Throws ToolCrashError when the tool broke. */
export async function runOwnTool<C>(t: OwnTool<z.ZodType, C, unknown>, args: unknown, ctx: C): Promise<ToolResult> {
  const checked = checkArguments(t, args);
  return checked.ok ? invokeTool(t, checked.value, ctx) : checked.result;
}

/** Runs one call on arguments that passed the tool's schema. */
export async function invokeTool<C>(t: OwnTool<z.ZodType, C, unknown>, input: unknown, ctx: C): Promise<ToolResult> {
  let value: unknown;
  try {
    value = await t.execute(input, ctx);
  } catch (e) {
    if (isToolError(e)) return { ok: false, output: e.message, error: e.message };
    if (isToolCrashError(e)) throw e;
    const err = e as Error;
    throw new ToolCrashError(t.name, `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`, { cause: e });
  }
  return render(t.name, value);
}
