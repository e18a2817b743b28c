/**
 * Argument parsers for commander options, shared by every command so that a
 * bad value always reads the same way: `--flag expects …, got '…'`.
 */
import { PRESET_NAMES } from '../engine/config.ts';
import { UsageError } from '../util/errors.ts';
import { nearest } from '../util/suggest.ts';

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

/** One of `choices` (engine presets and the like); a near miss is named. */
export const choiceArg = (flag: string, choices: readonly string[]) => (v: string): string => {
  if (choices.includes(v)) return v;
  const near = nearest(v, choices);
  throw new UsageError(`${flag} expects one of ${choices.join(', ')}, got '${v}'${near ? `; did you mean '${near}'?` : ''}`);
};

/** An engine preset name. */
export const presetArg = (flag: string, extra: readonly string[] = []) => choiceArg(flag, [...PRESET_NAMES, ...extra]);

/** Comma-separated engine presets. */
export const presetListArg = (flag: string) => (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean).map(presetArg(flag));
