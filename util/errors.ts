/**
 * Errors a user can fix (bad flags, bad files, missing tools). The CLI prints
 * their message as one line and exits non-zero, never with a stack trace.
 * Anything else escaping to the top is a bug in sparsegrad and is reported as such.
 */

/** Exit codes of every command (README.md, "Exit codes"). */
export const EXIT = {
  ok: 0,
  /** The design failed a check: a mismatch with the model, a protocol violation, a synthesis that failed, stale RTL. */
  designFailure: 1,
  /** Bad command line: unknown command or option, a bad or missing value, flags that exclude each other. */
  usage: 2,
  /** Bad input or environment: a file, folder, config, corpus or tensor; a read-only folder; a full disk. */
  input: 3,
  /** A tool sparsegrad runs (Verilator, Yosys, …) is not installed. */
  missingTool: 4,
  /** A bug in sparsegrad. */
  internal: 70,
} as const;

export class UserError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.input) {
    super(message);
    this.name = 'UserError';
  }
}

/** A bad command line (exit code EXIT.usage). */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** True for errors whose message is meant for the user as it stands. */
export function isUserError(e: unknown): e is Error & { exitCode?: number } {
  return e instanceof Error && (e.name === 'UserError' || e instanceof UserError || (e as { userFacing?: boolean }).userFacing === true);
}
