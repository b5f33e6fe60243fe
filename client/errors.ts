/**
 * A mistake the user can fix: printed as one line with no stack trace, exit
 * code 2. Everything else is a bug or an infrastructure failure.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return field(e, 'name') === 'UserError';
}

/** A field of an unknown thrown value, read without ever throwing (getters, proxies, null). */
function field(e: unknown, key: string): unknown {
  try {
    return typeof e === 'object' && e !== null ? (e as Record<string, unknown>)[key] : undefined;
  } catch {
    return undefined;
  }
}

/** `String(x)` that cannot throw (a Symbol, an object whose toString throws, a hostile proxy). */
function safeString(x: unknown): string {
  try {
    return typeof x === 'string' ? x : String(x);
  } catch {
    try {
      return Object.prototype.toString.call(x);
    } catch {
      return `[unprintable ${typeof x}]`;
    }
  }
}

/** One line for any thrown value: the first line of its message, with its name or gRPC status when it has one. */
export function describeError(e: unknown): string {
  const message = field(e, 'message');
  const text = typeof message === 'string' && message.trim() ? message : field(e, 'details') ?? e;
  const line = safeString(text).split('\n').find((l) => l.trim()) ?? '(no message)';
  const name = field(e, 'name');
  const code = field(e, 'code');
  const prefix = typeof name === 'string' && name && name !== 'Error' && name !== 'UserError' && !line.startsWith(name) ? `${name}: ` : '';
  // gRPC errors carry a numeric status code (8 = RESOURCE_EXHAUSTED: e.g. a message over the 4 MiB limit).
  const status = typeof code === 'number' && !/^\d+ [A-Z_]+:/.test(line) ? ` (gRPC status ${code})` : '';
  return `${prefix}${line.trim()}${status}`.slice(0, 2000);
}

/** The stack of a thrown Error, or its one-line description. */
export function stackOf(e: unknown): string {
  const stack = field(e, 'stack');
  return typeof stack === 'string' ? stack : describeError(e);
}

/** What a command's error means for the exit: code 2 for the user's mistakes, 1 for everything else. */
export function errorOutcome(e: unknown): { line: string; exitCode: number; internal: boolean } {
  const code = field(e, 'code');
  if (typeof code === 'string' && code.startsWith('commander.')) {
    // Commander printed its own message already; help and version are not errors.
    const quiet = code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help';
    return { line: '', exitCode: quiet ? 0 : 2, internal: false };
  }
  if (isUserError(e)) return { line: `error: ${describeError(e)}`, exitCode: 2, internal: false };
  return { line: `internal error: ${describeError(e)}`, exitCode: 1, internal: true };
}
