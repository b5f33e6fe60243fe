/** `mas2 tools [--config FILE]`: every tool a run can use, with its source and JSON schema. */
import type { Command } from 'commander';
import { ToolSet } from '../../activities/tools/toolset';
import { loadToolConfig } from '../../lib/config';
import { UserError } from '../errors';
import { jsonText, oneLine, out, printJson } from '../terminal';

/** The ToolSet of a `--config` file (undefined without one). Bad config, or an MCP server that does not start, is one line. */
export async function toolsetFromConfig(file: string | undefined): Promise<ToolSet | undefined> {
  if (!file) return undefined;
  const opts = await loadToolConfig(file);
  let set: ToolSet;
  try {
    set = new ToolSet(opts);
  } catch (e) {
    throw new UserError(`config ${file}: ${(e as Error).message}`);
  }
  try {
    await set.catalogue();
  } catch (e) {
    await set.close();
    throw new UserError(`config ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  return set;
}

export function registerTools(program: Command): void {
  program
    .command('tools')
    .description('list every tool a run can use (built-ins, own tools and MCP servers from --config) with its source and JSON schema')
    .option('--config <file>', 'own tools and MCP servers')
    .option('--json', 'as JSON (name, description, source, parameters)')
    .action(async (o: { config?: string; json?: boolean }) => {
      const set = (await toolsetFromConfig(o.config)) ?? new ToolSet();
      try {
        const tools = await set.catalogue();
        if (o.json) printJson(tools);
        else {
          for (const t of tools) {
            out(`${oneLine(t.name)}  [${oneLine(t.source)}]  ${oneLine(t.description.split('\n')[0].slice(0, 120))}\n  parameters: ${jsonText(t.parameters, 0)}\n`);
          }
        }
      } finally {
        await set.close();
      }
    });
}
