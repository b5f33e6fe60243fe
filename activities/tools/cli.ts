/**
 * Backing for `mas2 tool NAME --input JSON`: run one tool by hand, outside a
 * workflow (debugging a tool, checking the sandbox on a new machine).
 */
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ToolResult } from '../../mas/messages';
import { isToolCrashError } from './errors';
import { prepareToolCall, executeTool, getTool } from './registry';
import type { ToolSet } from './toolset';

export interface RunToolCommandOptions {
  /** Workspace for the `workspace` tool; a temporary folder (deleted afterwards) when omitted. */
  workspaceDir?: string;
  docsDir?: string;
  signal?: AbortSignal;
  /** Own tools and MCP servers besides the built-ins (`--config`). */
  toolset?: ToolSet;
}

/**
 * Exit codes: 0 the tool succeeded; 1 the tool ran and failed (or crashed: then
 * `result.error` starts with `tool "x" crashed:`); 2 unknown tool or the input is not JSON.
 */
export async function runToolCommand(name: string, inputJson: string, opts: RunToolCommandOptions = {}): Promise<{ result: ToolResult; exitCode: number }> {
  const toolset = opts.toolset;
  if (toolset && !getTool(name)) {
    if (!(await toolset.has(name))) {
      const msg = `unknown tool "${name}"; see \`mas2 tools --config FILE\` for the tools there are`;
      return { result: { ok: false, output: msg, error: msg }, exitCode: 2 };
    }
    try {
      JSON.parse(inputJson);
    } catch (e) {
      const msg = `--input is not valid JSON (${(e as Error).message})`;
      return { result: { ok: false, output: msg, error: msg }, exitCode: 2 };
    }
  } else {
    const prepared = prepareToolCall(name, inputJson);
    if (prepared.kind === 'unknown_tool' || prepared.kind === 'bad_json') return { result: prepared.result, exitCode: 2 };
    if (prepared.kind === 'invalid_input') return { result: prepared.result, exitCode: 1 };
  }
  let tempDir: string | undefined;
  const workspaceDir = opts.workspaceDir ?? (tempDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mas2-tool-')));
  try {
    const ctx = { workspaceDir, docsDir: opts.docsDir, signal: opts.signal };
    const result = toolset ? await toolset.execute(name, inputJson, ctx) : await executeTool(name, inputJson, ctx);
    return { result, exitCode: result.ok ? 0 : 1 };
  } catch (e) {
    if (!isToolCrashError(e)) throw e;
    return { result: { ok: false, output: '', error: e.message }, exitCode: 1 };
  } finally {
    if (tempDir) await fsp.rm(tempDir, { recursive: true, force: true }).catch(() => undefined);
  }
}
