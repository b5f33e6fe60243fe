/**
 * MCP servers as tool providers (official SDK, stdio and Streamable HTTP).
 * Configured in the de-facto `mcpServers` shape; every tool a server lists is
 * offered as `<server>__<tool>`; each call is one runTool activity.
 *
 * Outcomes of a call:
 *   - the server answers (isError or not) → the agent sees the content;
 *   - the server rejects the arguments or the tool name (JSON-RPC -32602/-32601) → the agent sees why;
 *   - the server dies, the connection drops, the call times out → ToolCrashError (a ToolCrashed
 *     failure, a Rectifier trigger); the next call starts the server again.
 */
import { z } from 'zod';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ToolResult } from '../../mas/messages';
import { mcpToolName, type ToolSpec } from '../../mas/tools';
import { ToolCrashError } from './errors';

export const McpStdioServerSchema = z.object({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
  /** Upper bound on one tool call (default 170 s, under the activity's 3 minutes). */
  timeoutMs: z.number().int().positive().optional(),
});
export const McpHttpServerSchema = z.object({
  url: z.string().url(),
  headers: z.record(z.string(), z.string()).optional(),
  timeoutMs: z.number().int().positive().optional(),
});
export const McpServerSchema = z.union([McpStdioServerSchema.strict(), McpHttpServerSchema.strict()]);
export type McpServerConfig = z.input<typeof McpServerSchema>;
export const McpServersSchema = z.record(z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'server names use letters, digits, "_" or "-"'), McpServerSchema);

const DEFAULT_CALL_TIMEOUT_MS = 170_000;
/** JSON-RPC codes that mean "the request was wrong", which the agent can fix. */
const AGENT_FIXABLE = new Set([-32602, -32601]);

interface Connected {
  client: Client;
  transport: Transport;
  stderrTail: string[];
}

interface ServerState {
  name: string;
  config: z.output<typeof McpServerSchema>;
  connecting?: Promise<Connected>;
  /** How often the server has been (re)started, for the crash message. */
  starts: number;
}

export interface McpToolEntry {
  spec: ToolSpec;
  server: string;
  tool: string;
}

export class McpHub {
  private readonly servers = new Map<string, ServerState>();
  private tools: Map<string, McpToolEntry> | null = null;

  constructor(servers: Record<string, McpServerConfig>) {
    for (const [name, raw] of Object.entries(servers)) {
      this.servers.set(name, { name, config: McpServerSchema.parse(raw), starts: 0 });
    }
  }

  get serverNames(): string[] {
    return [...this.servers.keys()];
  }

  private connect(s: ServerState): Promise<Connected> {
    if (s.connecting) return s.connecting;
    s.starts++;
    const attempt = (async (): Promise<Connected> => {
      const client = new Client({ name: 'mas2', version: '0.1.0' });
      const stderrTail: string[] = [];
      let transport: Transport;
      if ('command' in s.config) {
        const stdio = new StdioClientTransport({
          command: s.config.command,
          args: s.config.args,
          env: { ...getDefaultEnvironment(), ...(s.config.env ?? {}) },
          cwd: s.config.cwd,
          stderr: 'pipe',
        });
        stdio.stderr?.on('data', (chunk: Buffer) => {
          stderrTail.push(...chunk.toString().split('\n').filter(Boolean));
          if (stderrTail.length > 20) stderrTail.splice(0, stderrTail.length - 20);
        });
        transport = stdio;
      } else {
        transport = new StreamableHTTPClientTransport(new URL(s.config.url), { requestInit: { headers: s.config.headers ?? {} } });
      }
      // A closed connection (the server died, the HTTP session ended) is reconnected on the next call.
      client.onclose = () => {
        if (s.connecting === attempt) s.connecting = undefined;
      };
      try {
        await client.connect(transport);
      } catch (e) {
        await client.close().catch(() => undefined);
        const tail = stderrTail.length ? ` (stderr: ${stderrTail.slice(-3).join(' | ')})` : '';
        throw new Error(`MCP server "${s.name}" did not start: ${(e as Error).message}${tail}`);
      }
      return { client, transport, stderrTail };
    })();
    s.connecting = attempt;
    attempt.catch(() => {
      if (s.connecting === attempt) s.connecting = undefined;
    });
    return attempt;
  }

  /** Lists every server's tools (starting the servers). A server that cannot start or list is an error: the config is wrong. */
  async listTools(): Promise<McpToolEntry[]> {
    const entries = new Map<string, McpToolEntry>();
    await Promise.all(
      [...this.servers.values()].map(async (s) => {
        const { client } = await this.connect(s);
        let cursor: string | undefined;
        do {
          const page = await client.listTools(cursor ? { cursor } : {});
          for (const t of page.tools) {
            const name = mcpToolName(s.name, t.name);
            const parameters = { ...(t.inputSchema as Record<string, unknown>) };
            delete parameters.$schema;
            entries.set(name, { server: s.name, tool: t.name, spec: { name, description: t.description ?? t.title ?? t.name, parameters, source: `mcp:${s.name}`, ...(s.config.timeoutMs ? { timeoutMs: s.config.timeoutMs + 10_000 } : {}) } });
          }
          cursor = page.nextCursor;
        } while (cursor);
      }),
    );
    this.tools = entries;
    return [...entries.values()].sort((a, b) => a.spec.name.localeCompare(b.spec.name));
  }

  async resolve(name: string): Promise<McpToolEntry | undefined> {
    if (!this.tools) await this.listTools();
    return this.tools!.get(name);
  }

  /** One tool call; throws ToolCrashError when the server broke (not when the tool reported an error). */
  async call(entry: McpToolEntry, args: Record<string, unknown>, opts: { signal?: AbortSignal; onProgress?: () => void } = {}): Promise<ToolResult> {
    const s = this.servers.get(entry.server)!;
    let conn: Connected;
    try {
      conn = await this.connect(s);
    } catch (e) {
      throw new ToolCrashError(entry.spec.name, (e as Error).message, { cause: e });
    }
    try {
      const r = await conn.client.callTool({ name: entry.tool, arguments: args }, undefined, {
        signal: opts.signal,
        timeout: s.config.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
        onprogress: opts.onProgress ? () => opts.onProgress!() : undefined,
        resetTimeoutOnProgress: true,
      });
      const output = renderContent(r as { content?: unknown[]; structuredContent?: unknown; toolResult?: unknown });
      return r.isError ? { ok: false, output, error: output.slice(0, 500) || 'the tool reported an error' } : { ok: true, output };
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'number' && AGENT_FIXABLE.has(code)) {
        const msg = `${(e as Error).message}. Expected parameters (JSON schema): ${JSON.stringify(entry.spec.parameters)}`;
        return { ok: false, output: msg, error: (e as Error).message };
      }
      if (opts.signal?.aborted) return { ok: false, output: 'the tool call was cancelled', error: 'cancelled' };
      const tail = conn.stderrTail.length ? ` (server stderr: ${conn.stderrTail.slice(-3).join(' | ')})` : '';
      // Whatever broke, the next call gets a fresh server.
      if (s.connecting) {
        const stale = s.connecting;
        s.connecting = undefined;
        void stale.then((c) => c.client.close()).catch(() => undefined);
      }
      throw new ToolCrashError(entry.spec.name, `MCP server "${entry.server}" failed: ${(e as Error).message}${tail}`, { cause: e });
    }
  }

  /** The process id of a running stdio server (null when not running or over HTTP); for tests and diagnostics. */
  async pidOf(server: string): Promise<number | null> {
    const c = this.servers.get(server)?.connecting;
    if (!c) return null;
    const t = (await c.catch(() => null))?.transport;
    return t instanceof StdioClientTransport ? t.pid : null;
  }

  /** How many times a server has been started (1 = never restarted). */
  startsOf(server: string): number {
    return this.servers.get(server)?.starts ?? 0;
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.servers.values()].map(async (s) => {
        const c = s.connecting;
        s.connecting = undefined;
        if (c) await c.then((x) => x.client.close()).catch(() => undefined);
      }),
    );
  }
}

/** An MCP result as text the agent reads: text blocks as they are, structured content as JSON, other blocks named. */
export function renderContent(r: { content?: unknown[]; structuredContent?: unknown; toolResult?: unknown }): string {
  const parts: string[] = [];
  for (const block of r.content ?? []) {
    const b = block as { type?: string; text?: string; mimeType?: string; uri?: string; resource?: { uri?: string; text?: string } };
    if (b.type === 'text') parts.push(b.text ?? '');
    else if (b.type === 'resource') parts.push(b.resource?.text ?? `[resource ${b.resource?.uri ?? ''}]`);
    else if (b.type === 'resource_link') parts.push(`[resource link ${b.uri ?? ''}]`);
    else parts.push(`[${b.type ?? 'content'}${b.mimeType ? ` ${b.mimeType}` : ''}]`);
  }
  if (!parts.length && r.structuredContent !== undefined) parts.push(JSON.stringify(r.structuredContent));
  if (!parts.length && r.toolResult !== undefined) parts.push(JSON.stringify(r.toolResult));
  return parts.join('\n');
}
