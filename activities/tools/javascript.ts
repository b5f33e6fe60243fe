import * as fs from 'node:fs';
import { z } from 'zod';
import type { ToolResult } from '../../mas/messages';
import { ToolCrashError } from './errors';
import { DEFAULT_SANDBOX_LIMITS, describeLimits, runSandboxed, sandboxContext, worldExecutable, type SandboxOptions } from './sandbox';
import type { Tool, ToolContext } from './types';
import { defineTool, toolResult } from './own';
import { BUILTIN_TOOLS } from '../../mas/prompts';

export const MAX_JS_CODE_CHARS = 100_000;

export const JavascriptInput = z
  .object({
    code: z
      .string()
      .min(1, 'code must not be empty')
      .max(MAX_JS_CODE_CHARS, `code must be at most ${MAX_JS_CODE_CHARS} characters`)
      .describe('A complete Node.js (CommonJS) program. Print with console.log; only stdout/stderr come back.'),
  })
  .strict();
export type JavascriptInput = z.infer<typeof JavascriptInput>;

/** V8 reserves a lot of address space up front: it needs a larger RLIMIT_AS; the heap is capped by V8 instead. */
export const JAVASCRIPT_DEFAULT_LIMITS = { memoryBytes: 2048 * 1024 * 1024 } as const;
const HEAP_MB = 256;
/** Memory of the whole run (cgroup): the heap plus V8's code, stacks and buffers. */
export const JAVASCRIPT_RUN_MEMORY_BYTES = 768 * 1024 * 1024;

/** A node binary the sandbox uid can run: $MAS2_SANDBOX_NODE, this process's node, or /usr/bin/node. */
export function nodeInterpreter(): string | undefined {
  const candidates = [process.env.MAS2_SANDBOX_NODE, process.execPath, '/usr/bin/node', '/usr/local/bin/node'];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  for (const c of candidates) {
    if (!c || !fs.existsSync(c)) continue;
    if (!isRoot || worldExecutable(c)) return c;
  }
  return undefined;
}

export function runJavascript(code: string, ctx: ToolContext, options: SandboxOptions = {}): Promise<ToolResult> {
  const node = nodeInterpreter();
  if (!node) throw new ToolCrashError('javascript', 'no node binary runnable by the sandbox user (set MAS2_SANDBOX_NODE)');
  return runSandboxed(
    {
      tool: 'javascript',
      fileName: 'main.js',
      interpreter: [node, `--max-old-space-size=${HEAP_MB}`],
      code,
      memoryDescription: `${HEAP_MB} MiB V8 heap`,
      runMemoryBytes: JAVASCRIPT_RUN_MEMORY_BYTES,
    },
    sandboxContext(ctx),
    { ...options, limits: { ...JAVASCRIPT_DEFAULT_LIMITS, ...options.limits } },
  );
}

export function createJavascriptTool(options: SandboxOptions = {}): Tool<JavascriptInput> {
  return defineTool({
    name: 'javascript',
    description: BUILTIN_TOOLS.javascript.description(describeLimits({ ...DEFAULT_SANDBOX_LIMITS, ...JAVASCRIPT_DEFAULT_LIMITS, ...options.limits }, `${HEAP_MB} MiB heap`)),
    parameters: JavascriptInput,
    execute: async (input, ctx: ToolContext) => toolResult(await runJavascript(input.code, ctx, options)),
  });
}

export const javascriptTool: Tool<JavascriptInput> = createJavascriptTool();
