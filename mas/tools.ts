/**
 * Names of the built-in tools and the shape of a tool as a run sees it. The
 * set of tools a run may use travels in its TaskInput (names, descriptions and
 * JSON schemas computed where the tools live), so the workflow and the
 * template/patch validation stay deterministic and need no zod or tool code.
 */
import type { ToolSpec } from './schemas';

export const KNOWN_TOOLS = ['python', 'javascript', 'calculator', 'search', 'workspace'] as const;
export type KnownTool = (typeof KNOWN_TOOLS)[number];

export type { ToolSpec };

/** An MCP tool's name as mas2 offers it: `<server>__<tool>`, other characters replaced by "_", at most 64. */
export function mcpToolName(server: string, tool: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');
  return `${clean(server)}__${clean(tool)}`.slice(0, 64);
}

/** The names a run may use: its catalogue when it carries one, else the built-ins (runs started before catalogues). */
export function toolNamesOf(catalogue: readonly ToolSpec[] | undefined): readonly string[] {
  return catalogue ? catalogue.map((t) => t.name) : KNOWN_TOOLS;
}

/** The function-calling definitions of the given names, in that order; names not in the catalogue are skipped. */
export function toolDefinitionsFrom(catalogue: readonly ToolSpec[], names: readonly string[]): { name: string; description: string; parameters: Record<string, unknown> }[] {
  const byName = new Map(catalogue.map((t) => [t.name, t]));
  return names.flatMap((n) => {
    const t = byName.get(n);
    return t ? [{ name: t.name, description: t.description, parameters: t.parameters }] : [];
  });
}
