/**
 * A mistake the user can fix: printed as one line with no stack trace, exit
 * code 2. Everything else is a bug or an infrastructure failure and keeps its stack.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return typeof e === 'object' && e !== null && (e as { name?: string }).name === 'UserError';
}
