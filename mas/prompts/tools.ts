/**
 * What models read about tools: the built-ins' descriptions (agents get them with the
 * function-calling definitions), their one-line notes (the Generator's and the Rectifier's tool
 * menu), an example of their arguments, and the messages a tool call gets back when it could
 * not run.
 */
import type { KnownTool, ToolSpec } from '../tools';

interface BuiltinText {
  /** One line for the meta-agents' tool menu. */
  note: string;
  /** The function-calling description agents read; `limits` is the sandbox's, in words. */
  description: (limits: string) => string;
  /** Arguments that work, shown when a call's arguments are not JSON. */
  example: string;
}

export const BUILTIN_TOOLS: Record<KnownTool, BuiltinText> = {
  python: {
    note: 'runs Python 3 code in a sandbox (no network, no secrets) and returns stdout/stderr',
    description: (limits) =>
      'Run a Python 3 program in an isolated sandbox and return its stdout. No network, no access to the host files, ' +
      'a fresh empty working folder (the current directory, also $HOME and $TMPDIR) that is deleted afterwards; ' +
      `limits: ${limits}. ` +
      'Standard library only (plus whatever the host has installed for /usr/bin/python3). Print the results you need.',
    example: '{"code": "print(1 + 1)"}',
  },
  javascript: {
    note: 'runs JavaScript (Node.js) code in the same sandbox',
    description: (limits) =>
      'Run a Node.js program (CommonJS, built-in modules only) in the same isolated sandbox as `python`: no network, ' + `no host files, a fresh empty working folder; limits: ${limits}.`,
    example: '{"code": "console.log(1 + 1)"}',
  },
  calculator: {
    note: 'evaluates a math expression exactly',
    description: () =>
      'Evaluate a math expression exactly with math.js (numbers, big numbers, fractions, complex numbers, units, matrices, ' +
      'statistics). Returns the value as text. Not a programming language: use `python` for programs.',
    example: '{"expression": "2 * (3 + 4)"}',
  },
  search: {
    note: 'searches a local document collection',
    description: () => 'Search the document collection (local documents, or the configured search service) and return the best matching passages with their source ids.',
    example: '{"query": "temporal retries", "limit": 5}',
  },
  workspace: {
    note: "reads, writes and lists files in the run's own folder",
    description: () =>
      "Read, write or list text files in this run's private workspace folder (shared by the agents of the run). " +
      'Paths are relative to the workspace root; absolute paths, ".." and links leading outside are refused. Writes are at most 1 MiB.',
    example: '{"action": "write", "path": "notes.md", "content": "..."}',
  },
};

function builtinText(name: string): BuiltinText | undefined {
  return Object.prototype.hasOwnProperty.call(BUILTIN_TOOLS, name) ? BUILTIN_TOOLS[name as KnownTool] : undefined;
}

/** One entry per tool the agents may be given: a built-in's note, or an own/MCP tool's first description line. */
export function toolMenu(names: readonly string[], specs?: readonly ToolSpec[]): string {
  const byName = new Map((specs ?? []).map((t) => [t.name, t]));
  return names
    .map((n) => {
      const t = byName.get(n);
      const firstLine = t?.description.split('\n')[0].slice(0, 300);
      const note = t && t.source !== 'builtin' ? firstLine : (builtinText(n)?.note ?? firstLine);
      return `${n} (${note || 'no description'})`;
    })
    .join('; ');
}

/** What a tool call gets back when it could not run. */
export const TOOL_CALL_ERRORS = {
  unknownTool: (name: string, known?: readonly string[]) => `unknown tool "${name}"${known ? `; known: ${known.join(', ')}` : ''}`,
  notAllowed: (name: string, agent: string, allowed: readonly string[]) => `tool "${name}" is not available to agent ${agent}; available: ${allowed.join(', ') || 'none'}`,
  badJson: (name: string, problem: string) => {
    const example = builtinText(name)?.example;
    return `the arguments for tool "${name}" are not valid JSON (${problem}). Send one JSON object matching the tool's parameters${example ? `, e.g. ${example}` : ''}.`;
  },
  notAnObject: (name: string, schema: Record<string, unknown>) => `the arguments for tool "${name}" must be a JSON object; expected parameters (JSON schema): ${JSON.stringify(schema)}`,
  invalidArguments: (name: string, issues: readonly string[], schema: Record<string, unknown>) =>
    `the arguments for tool "${name}" do not match its parameters:\n${issues.map((i) => `- ${i}`).join('\n')}\nExpected parameters (JSON schema): ${JSON.stringify(schema)}`,
};
