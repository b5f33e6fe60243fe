import type { z } from 'zod';
import type { ToolResult } from '../../mas/messages';

export interface ToolContext {
  /** The run's own folder (the `workspace` tool is confined to it; hidden from sandboxed code). */
  workspaceDir: string;
  /** Abort = kill whatever the tool started (activity cancellation). */
  signal?: AbortSignal;
  /** Called about once a second by long-running tools (Temporal activity heartbeat). */
  heartbeat?: () => void;
  /** Folder of documents for the `search` tool (overrides MAS2_DOCS_DIR). */
  docsDir?: string;
  /**
   * Where the runtime keeps its data (activities/dataPaths.ts for its home): hidden from
   * sandboxed code, besides the data paths of the process's own configuration.
   */
  dataPaths?: string[];
}

export interface Tool<I> {
  name: string;
  description: string;
  input: z.ZodType<I>;
  run(input: I, ctx: ToolContext): Promise<ToolResult>;
}
