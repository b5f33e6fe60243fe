/**
 * A tool that broke (as opposed to a tool that ran and reported a failure to
 * the agent): the sandbox could not start, an interpreter is missing, the tool
 * returned a malformed result... Upstream this becomes a non-retryable
 * activity failure and a Rectifier trigger.
 *
 * Check with `isToolCrashError` (by `name`), never `instanceof`: Jest and
 * Temporal may load this module in more than one realm.
 */
export class ToolCrashError extends Error {
  override readonly name = 'ToolCrashError';
  readonly tool: string;
  /**
   * True when trying again later may help (e.g. the HTTP search service
   * answered 503). Default false: a crashed sandbox does not heal by retrying.
   */
  readonly retryable: boolean;

  constructor(tool: string, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(`tool "${tool}" crashed: ${message}`);
    this.tool = tool;
    this.retryable = options?.retryable ?? false;
    if (options && 'cause' in options) (this as { cause?: unknown }).cause = options.cause;
  }
}

export function isToolCrashError(e: unknown): e is ToolCrashError {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { name?: unknown }).name === 'ToolCrashError' &&
    typeof (e as { tool?: unknown }).tool === 'string' &&
    typeof (e as { message?: unknown }).message === 'string'
  );
}
