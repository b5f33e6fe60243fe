/**
 * Own tools: `defineTool({ name, description, parameters, execute })`, the
 * shape of @openai/agents' `tool()`. An own tool runs like a built-in: one
 * runTool activity per call, arguments validated against its zod schema, its
 * description offered to the Generator and the agents.
 *
 * Outcomes of a call:
 *   - `execute` returns a value → the agent sees it (strings as they are, anything else as JSON);
 *   - `execute` throws a ToolError → the agent sees the message and may try again (a tool error);
 *   - anything else it throws → the tool crashed: a ToolCrashed failure, a Rectifier trigger.
 */
import { z } from 'zod';
import type { ToolResult } from '../../mas/messages';
import type { ToolSpec } from '../../mas/tools';
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

export interface ToolDefinitionInput<S extends z.ZodType> {
  name: string;
  description: string;
  parameters: S;
  execute: (input: z.output<S>, ctx: OwnToolContext) => unknown | Promise<unknown>;
  /** Upper bound on one call (default: 3 minutes, like the built-ins). */
  timeoutMs?: number;
}

export interface OwnTool<S extends z.ZodType = z.ZodType> extends ToolDefinitionInput<S> {
  readonly kind: 'mas2.tool';
}

/** A failure to report to the agent (bad input it can fix, nothing found...), not a crash. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

function isToolError(e: unknown): e is Error {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'ToolError';
}

export function defineTool<S extends z.ZodType>(def: ToolDefinitionInput<S>): OwnTool<S> {
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

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}

/** Runs one call of an own tool on already-parsed JSON arguments. Throws ToolCrashError when the tool broke. */
export async function runOwnTool(t: OwnTool, args: unknown, ctx: OwnToolContext): Promise<ToolResult> {
  const parsed = t.parameters.safeParse(args);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `- ${i.path.length ? i.path.join('.') : '(arguments)'}: ${i.message}`).join('\n');
    const msg = `the arguments for tool "${t.name}" do not match its parameters:\n${issues}\nExpected parameters (JSON schema): ${JSON.stringify(jsonSchemaOf(t.parameters))}`;
    return { ok: false, output: msg, error: 'invalid arguments' };
  }
  try {
    const value = await t.execute(parsed.data, ctx);
    return { ok: true, output: render(value) };
  } catch (e) {
    if (isToolError(e)) return { ok: false, output: e.message, error: e.message };
    if (isToolCrashError(e)) throw e;
    const err = e as Error;
    throw new ToolCrashError(t.name, `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`, { cause: e });
  }
}
