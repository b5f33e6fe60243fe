/**
 * The tools a worker (or `mas2 tool`) can run: the built-ins, own tools
 * (defineTool) and MCP servers' tools, behind one `execute`. Its `catalogue()`
 * is what a run carries in its TaskInput (names, descriptions, JSON schemas).
 */
import type { ToolResult } from '../../mas/messages';
import type { ToolSpec } from '../../mas/tools';
import { KNOWN_TOOLS } from '../../mas/tools';
import { executeTool, getTool, toolParameters } from './registry';
import { McpHub, McpServersSchema, type McpServerConfig, type McpToolEntry } from './mcp';
import { isOwnTool, ownToolSpec, parseArguments, runOwnTool, type OwnTool } from './own';
import { TOOL_CALL_ERRORS } from '../../mas/prompts';
import type { ToolContext } from './types';

export interface ToolSetOptions {
  tools?: OwnTool[];
  mcpServers?: Record<string, McpServerConfig>;
}

export interface ToolCallContext extends ToolContext {
  workflowId?: string;
  agent?: string;
}

export class ToolSet {
  private readonly own = new Map<string, OwnTool>();
  readonly mcp: McpHub | null;

  constructor(opts: ToolSetOptions = {}) {
    for (const t of opts.tools ?? []) {
      if (!isOwnTool(t)) throw new Error('tools must be made with defineTool({ name, description, parameters, execute })');
      if ((KNOWN_TOOLS as readonly string[]).includes(t.name)) throw new Error(`tool "${t.name}" has the name of a built-in tool; choose another name`);
      if (this.own.has(t.name)) throw new Error(`tool "${t.name}" is defined twice`);
      this.own.set(t.name, t);
    }
    const servers = opts.mcpServers && Object.keys(opts.mcpServers).length ? McpServersSchema.parse(opts.mcpServers) : null;
    this.mcp = servers ? new McpHub(servers) : null;
  }

  /** Every tool, built-ins first; starts the MCP servers to list theirs. Names must be unique across sources. */
  async catalogue(): Promise<ToolSpec[]> {
    const builtins: ToolSpec[] = KNOWN_TOOLS.map((n) => {
      const t = getTool(n)!;
      return { name: t.name, description: t.description, parameters: toolParameters(t), source: 'builtin' };
    });
    const own = [...this.own.values()].map(ownToolSpec);
    const mcp = this.mcp ? (await this.mcp.listTools()).map((e) => e.spec) : [];
    const all = [...builtins, ...own, ...mcp];
    const seen = new Set<string>();
    for (const t of all) {
      if (seen.has(t.name)) throw new Error(`two tools are named "${t.name}" (${all.filter((x) => x.name === t.name).map((x) => x.source).join(', ')}); rename one`);
      seen.add(t.name);
    }
    return all;
  }

  /** Whether `name` is a tool here; MCP names are resolved by listing the servers. */
  async has(name: string): Promise<boolean> {
    return getTool(name) !== undefined || this.own.has(name) || (this.mcp !== null && (await this.mcp.resolve(name)) !== undefined);
  }

  /**
   * Runs one call (arguments as the model wrote them). Returns what the agent should see;
   * throws ToolCrashError when the tool itself broke.
   */
  async execute(name: string, rawArguments: string, ctx: ToolCallContext): Promise<ToolResult> {
    if (getTool(name)) return executeTool(name, rawArguments, ctx);
    const own = this.own.get(name);
    const mcp: McpToolEntry | undefined = own || !this.mcp ? undefined : await this.mcp.resolve(name);
    if (!own && !mcp) {
      const msg = TOOL_CALL_ERRORS.unknownTool(name);
      return { ok: false, output: msg, error: msg };
    }
    const parsed = parseArguments(name, rawArguments);
    if (!parsed.ok) return parsed.result;
    const args = parsed.value;
    const heartbeat = ctx.heartbeat ?? (() => undefined);
    if (own) return runOwnTool(own, args, { signal: ctx.signal, heartbeat, workspaceDir: ctx.workspaceDir, workflowId: ctx.workflowId, agent: ctx.agent });
    // An MCP server's tool is described by its own JSON schema, not by defineTool: the server checks the arguments.
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      const msg = TOOL_CALL_ERRORS.notAnObject(name, mcp!.spec.parameters);
      return { ok: false, output: msg, error: 'invalid arguments' };
    }
    return this.mcp!.call(mcp!, args as Record<string, unknown>, { signal: ctx.signal, onProgress: heartbeat });
  }

  async close(): Promise<void> {
    await this.mcp?.close();
  }
}
