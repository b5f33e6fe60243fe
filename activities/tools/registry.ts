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
 * Every built-in is made with defineTool and runs as an own tool does (./own.ts).
 */
import type { ToolDefinition, ToolResult } from '../../mas/messages';
import { TOOL_CALL_ERRORS } from '../../mas/prompts';
import { calculatorTool } from './calculator';
import { javascriptTool } from './javascript';
import { checkArguments, invokeTool, jsonSchemaOf, parseArguments } from './own';
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
  return jsonSchemaOf(tool.parameters);
}

/** Function-calling definitions for the given tool names; unknown names throw (a config bug, not an agent error). */
export function toolDefinitions(names: readonly string[]): ToolDefinition[] {
  return names.map((name) => {
    const tool = getTool(name);
    if (!tool) throw new Error(TOOL_CALL_ERRORS.unknownTool(name, TOOL_NAMES));
    return { name: tool.name, description: tool.description, parameters: toolParameters(tool) };
  });
}

export type PreparedCall =
  | { kind: 'ok'; tool: Tool<unknown>; input: unknown }
  | { kind: 'unknown_tool' | 'bad_json' | 'invalid_input'; result: ToolResult };

/** Looks the tool up, parses and validates the raw JSON arguments (the checks every tool's call goes through). Never throws. */
export function prepareToolCall(name: string, rawArguments: string): PreparedCall {
  const tool = getTool(name);
  if (!tool) {
    const msg = TOOL_CALL_ERRORS.unknownTool(name, TOOL_NAMES);
    return { kind: 'unknown_tool', result: { ok: false, output: msg, error: msg } };
  }
  const parsed = parseArguments(name, rawArguments);
  if (!parsed.ok) return { kind: 'bad_json', result: parsed.result };
  const checked = checkArguments(tool, parsed.value);
  if (!checked.ok) return { kind: 'invalid_input', result: checked.result };
  return { kind: 'ok', tool, input: checked.value };
}

/**
 * Runs one tool call. Returns the result (ok or not) the agent should see;
 * throws ToolCrashError when the tool itself broke. When `ctx.signal` is
 * aborted the tool stops and its result says so.
 */
export async function executeTool(name: string, rawArguments: string, ctx: ToolContext): Promise<ToolResult> {
  const prepared = prepareToolCall(name, rawArguments);
  if (prepared.kind !== 'ok') return prepared.result;
  return invokeTool(prepared.tool, prepared.input, ctx);
}
