/**
 * The tool registry: names → tools with zod input schemas, function-calling
 * definitions derived from those schemas, and `executeTool`, the one entry
 * point the runTool activity uses.
 *
 * Outcomes of `executeTool`:
 *   - unknown tool, arguments that are not JSON, arguments that fail the
 *     schema → `{ok: false, ...}` with a message the agent can act on;
 *   - the tool ran and failed (exception in the user's code, limit hit,
 *     refused path) → `{ok: false, ...}` from the tool itself;
 *   - the tool itself broke (sandbox could not start, malformed result,
 *     unexpected exception) → throws ToolCrashError (a Rectifier trigger).
 */
import { z } from 'zod';
import { ToolResultSchema, type ToolDefinition, type ToolResult } from '../../mas/messages';
import { calculatorTool } from './calculator';
import { ToolCrashError, isToolCrashError } from './errors';
import { javascriptTool } from './javascript';
import { pythonTool } from './python';
import { searchTool } from './search';
import type { Tool, ToolContext } from './types';
import { workspaceTool } from './workspace';

import { KNOWN_TOOLS, type KnownTool } from '../../mas/tools';

export type { Tool, ToolContext } from './types';
export { ToolCrashError, isToolCrashError } from './errors';

/** The names live in mas/ (the template validator needs them); this registry must cover exactly those. */
export const TOOL_NAMES = KNOWN_TOOLS;
export type ToolName = KnownTool;

const TOOLS: Record<ToolName, Tool<unknown>> = {
  python: pythonTool as Tool<unknown>,
  javascript: javascriptTool as Tool<unknown>,
  calculator: calculatorTool as Tool<unknown>,
  search: searchTool as Tool<unknown>,
  workspace: workspaceTool as Tool<unknown>,
};

export function isKnownTool(name: string): name is ToolName {
  return Object.prototype.hasOwnProperty.call(TOOLS, name);
}

export function getTool(name: string): Tool<unknown> | undefined {
  return isKnownTool(name) ? TOOLS[name] : undefined;
}

/** JSON schema (draft 2020-12 subset) of a tool's input, without `$schema`, for function calling. */
export function toolParameters(tool: Tool<unknown>): Record<string, unknown> {
  const schema = z.toJSONSchema(tool.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete schema.$schema;
  return schema;
}

/** Function-calling definitions for the given tool names; unknown names throw (a config bug, not an agent error). */
export function toolDefinitions(names: readonly string[]): ToolDefinition[] {
  return names.map((name) => {
    const tool = getTool(name);
    if (!tool) throw new Error(`unknown tool "${name}"; known: ${TOOL_NAMES.join(', ')}`);
    return { name: tool.name, description: tool.description, parameters: toolParameters(tool) };
  });
}

export type PreparedCall =
  | { kind: 'ok'; tool: Tool<unknown>; input: unknown }
  | { kind: 'unknown_tool' | 'bad_json' | 'invalid_input'; result: ToolResult };

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const where = i.path.length ? i.path.join('.') : '(arguments)';
      return `- ${where}: ${i.message}`;
    })
    .join('\n');
}

/** Looks the tool up, parses and validates the raw JSON arguments. Never throws. */
export function prepareToolCall(name: string, rawArguments: string): PreparedCall {
  const tool = getTool(name);
  if (!tool) {
    const msg = `unknown tool "${name}"; known: ${TOOL_NAMES.join(', ')}`;
    return { kind: 'unknown_tool', result: { ok: false, output: msg, error: msg } };
  }
  let parsed: unknown;
  const raw = rawArguments.trim() === '' ? '{}' : rawArguments;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    const msg =
      `the arguments for tool "${name}" are not valid JSON (${(e as Error).message}). ` +
      `Send one JSON object matching the tool's parameters, e.g. ${exampleFor(tool)}.`;
    return { kind: 'bad_json', result: { ok: false, output: msg, error: 'invalid JSON arguments' } };
  }
  const r = tool.input.safeParse(parsed);
  if (!r.success) {
    const msg =
      `the arguments for tool "${name}" do not match its parameters:\n${describeIssues(r.error)}\n` +
      `Expected parameters (JSON schema): ${JSON.stringify(toolParameters(tool))}`;
    return { kind: 'invalid_input', result: { ok: false, output: msg, error: 'invalid arguments' } };
  }
  return { kind: 'ok', tool, input: r.data };
}

function exampleFor(tool: Tool<unknown>): string {
  switch (tool.name) {
    case 'python':
      return '{"code": "print(1 + 1)"}';
    case 'javascript':
      return '{"code": "console.log(1 + 1)"}';
    case 'calculator':
      return '{"expression": "2 * (3 + 4)"}';
    case 'search':
      return '{"query": "temporal retries", "limit": 5}';
    case 'workspace':
      return '{"action": "write", "path": "notes.md", "content": "..."}';
    default:
      return '{...}';
  }
}

/**
 * Runs one tool call. Returns the result (ok or not) the agent should see;
 * throws ToolCrashError when the tool itself broke. When `ctx.signal` is
 * aborted the tool stops and its result says so.
 */
export async function executeTool(name: string, rawArguments: string, ctx: ToolContext): Promise<ToolResult> {
  const prepared = prepareToolCall(name, rawArguments);
  if (prepared.kind !== 'ok') return prepared.result;
  const { tool, input } = prepared;
  let result: unknown;
  try {
    result = await tool.run(input, ctx);
  } catch (e) {
    if (isToolCrashError(e)) throw e;
    const err = e as Error;
    throw new ToolCrashError(tool.name, `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`, { cause: e });
  }
  const checked = ToolResultSchema.safeParse(result);
  if (!checked.success) throw new ToolCrashError(tool.name, `returned a malformed result: ${z.prettifyError(checked.error)}`);
  return checked.data;
}
