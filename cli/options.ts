/**
 * Argument parsers for commander options, shared by every command so that a
 * bad value always reads the same way: `--flag expects …, got '…'`.
 */
import { UsageError } from '../util/errors.ts';

/** A finite number. */
export const numberArg = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} expects a number, got '${v}'`);
  return n;
};

/** An integer, at least `min` when given. */
export const intArg = (flag: string, min?: number) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || (min !== undefined && n < min)) {
    throw new UsageError(`${flag} expects an integer${min !== undefined ? ` ≥ ${min}` : ''}, got '${v}'`);
  }
  return n;
};

/** Comma-separated numbers; empty items are ignored. */
export const numberListArg = (flag: string) => (v: string): number[] =>
  v.split(',').filter((s) => s.trim() !== '').map(numberArg(flag));
