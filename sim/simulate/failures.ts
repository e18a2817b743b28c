/** How a simulation fails: misuse at the caller's line, and a run that broke a rule, hung or differs from the model. */
import { UserError } from '../../util/errors.ts';
import type { Violation } from '../harness/rules.ts';

export const replayHint = (seed: number): string => `seed ${seed} (replay with SPARSEGRAD_SEED=${seed})`;

/** An error at the caller's line, one line. */
export function misuse(where: string, message: string): UserError {
  return new UserError(`${where}: ${message}`);
}

/** A run that broke a protocol rule, made no progress, or differs from the model. Its message ends with the replay line. */
export class SimFailure extends Error {
  constructor(
    message: string,
    readonly seed: number,
    readonly kind: 'violation' | 'timeout' | 'mismatch',
    readonly violations: readonly Violation[] = [],
    /** The cycle to look at (first violation or mismatch). */
    readonly cycle?: number,
    private readonly traceRun?: (cycle: number, file: string, before: number, after: number) => Promise<string>,
  ) {
    super(`${message}; ${replayHint(seed)}`);
    this.name = 'SimFailure';
  }

  /** Run the same job again with a VCD of the cycles around the failure written to `file` (a --trace build, made on first use); returns its path. */
  async writeVcd(file: string, before = 50, after = 50): Promise<string> {
    if (!this.traceRun || this.cycle === undefined) throw new Error('this failure has no run to trace');
    return this.traceRun(this.cycle, file, before, after);
  }
}
