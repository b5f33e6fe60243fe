/**
 * The tools config file for the CLI (`--config FILE`) and for library users
 * who prefer a file: own tools as modules exporting defineTool tools, MCP
 * servers in the de-facto `mcpServers` shape.
 *
 *   { "tools": ["./my-tools.js"],
 *     "mcpServers": { "everything": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-everything"] },
 *                     "remote": { "url": "https://example.com/mcp", "headers": { "Authorization": "Bearer ..." } } } }
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { McpServersSchema } from '../activities/tools/mcp';
import { isOwnTool, type OwnTool } from '../activities/tools/own';
import type { ToolSetOptions } from '../activities/tools/toolset';
import { UserError } from '../client/errors';

const ToolConfigSchema = z
  .object({
    /** Modules (paths relative to the config file) whose exports are defineTool tools. */
    tools: z.array(z.string().min(1)).default([]),
    mcpServers: McpServersSchema.default({}),
  })
  .strict();

// tsc (module commonjs) would turn import() into require(), which cannot load ES modules on Node 20.
const importModule = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<Record<string, unknown>>;

/** Every defineTool tool a module exports: the default export (one tool or an array) and named exports. */
export function toolsExportedBy(mod: Record<string, unknown>): OwnTool[] {
  const found: OwnTool[] = [];
  const add = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(add);
    else if (isOwnTool(v) && !found.includes(v)) found.push(v);
  };
  for (const v of Object.values(mod)) add(v);
  const def = mod.default as Record<string, unknown> | undefined;
  if (def && typeof def === 'object' && !Array.isArray(def) && !isOwnTool(def)) for (const v of Object.values(def)) add(v);
  return found;
}

async function loadToolModule(file: string, configFile: string): Promise<OwnTool[]> {
  const abs = path.resolve(path.dirname(configFile), file);
  if (!fs.existsSync(abs)) throw new UserError(`config ${configFile}: tool module ${file} does not exist (paths are relative to the config file)`);
  if (/\.(c|m)?tsx?$/.test(abs)) throw new UserError(`config ${configFile}: tool module ${file} is TypeScript; compile it to JavaScript (Node 20 cannot load .ts) and list the .js file`);
  let mod: Record<string, unknown>;
  try {
    mod = /\.mjs$/.test(abs) ? await importModule(pathToFileURL(abs).href) : (require(abs) as Record<string, unknown>);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    if ((e as { code?: string }).code === 'ERR_REQUIRE_ESM') mod = await importModule(pathToFileURL(abs).href);
    else throw new UserError(`config ${configFile}: tool module ${file} failed to load: ${msg}`);
  }
  const tools = toolsExportedBy(mod);
  if (!tools.length) throw new UserError(`config ${configFile}: tool module ${file} exports no defineTool tools`);
  return tools;
}

/** Reads and checks a tools config file; every problem is one UserError line. */
export async function loadToolConfig(file: string): Promise<ToolSetOptions> {
  const abs = path.resolve(file);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(abs, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code ? `cannot read config ${file}: ${code}` : `config ${file} is not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const parsed = ToolConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new UserError(`config ${file} is invalid: ${issues.join('; ')} (expected {"tools": [...modules], "mcpServers": {"name": {"command", "args", "env"} | {"url", "headers"}}})`);
  }
  const tools: OwnTool[] = [];
  for (const m of parsed.data.tools) tools.push(...(await loadToolModule(m, abs)));
  return { tools, mcpServers: parsed.data.mcpServers };
}
