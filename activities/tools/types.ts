import type { z } from 'zod';
import type { ToolResult } from '../../mas/messages';
import type { OwnTool } from './own';

/** What a built-in tool's `execute` gets besides its arguments. */
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

/** A built-in tool: made with defineTool like an own tool; given the built-ins' context, it returns a complete result (toolResult). */
export type Tool<I> = OwnTool<z.ZodType<I>, ToolContext, ToolResult>;
