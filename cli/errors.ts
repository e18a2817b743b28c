/**
 * Errors a user can fix (bad flags, bad files, missing tools). The CLI prints
 * their message as one line and exits non-zero, never with a stack trace.
 * Anything else escaping to the top is a bug in sparsegrad and is reported as such.
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}

/** True for errors whose message is meant for the user as it stands. */
export function isUserError(e: unknown): e is Error & { exitCode?: number } {
  return e instanceof Error && (e.name === 'UserError' || e instanceof UserError || (e as { userFacing?: boolean }).userFacing === true);
}
