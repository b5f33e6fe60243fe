import { z } from 'zod';
import type { ToolResult } from '../../mas/messages';
import { DEFAULT_SANDBOX_LIMITS, describeLimits, runSandboxed, sandboxContext, type SandboxOptions } from './sandbox';
import type { Tool, ToolContext } from './types';
import { defineTool, toolResult } from './own';
import { BUILTIN_TOOLS } from '../../mas/prompts';

export const MAX_CODE_CHARS = 100_000;

export const PythonInput = z
  .object({
    code: z
      .string()
      .min(1, 'code must not be empty')
      .max(MAX_CODE_CHARS, `code must be at most ${MAX_CODE_CHARS} characters`)
      .describe('A complete Python 3 program. Print what you want to see; only stdout/stderr come back.'),
  })
  .strict();
export type PythonInput = z.infer<typeof PythonInput>;

/** The interpreter used inside the sandbox (must be runnable by uid 65534 when the worker is root). */
export function pythonInterpreter(): string {
  return process.env.MAS2_SANDBOX_PYTHON || '/usr/bin/python3';
}

export function runPython(code: string, ctx: ToolContext, options: SandboxOptions = {}): Promise<ToolResult> {
  return runSandboxed(
    { tool: 'python', fileName: 'main.py', interpreter: [pythonInterpreter(), '-I', '-B', '-u'], code, extraEnv: { PYTHONDONTWRITEBYTECODE: '1' } },
    sandboxContext(ctx),
    options,
  );
}

/** Builds a python tool with non-default sandbox options (limits, uid...). */
export function createPythonTool(options: SandboxOptions = {}): Tool<PythonInput> {
  return defineTool({
    name: 'python',
    description: BUILTIN_TOOLS.python.description(describeLimits({ ...DEFAULT_SANDBOX_LIMITS, ...options.limits })),
    parameters: PythonInput,
    execute: async (input, ctx: ToolContext) => toolResult(await runPython(input.code, ctx, options)),
  });
}

export const pythonTool: Tool<PythonInput> = createPythonTool();
