/**
 * Character corpus: vocabulary, 90/10 train/validation split, and the batcher
 * for truncated BPTT. The batcher cuts the split into B contiguous streams, so
 * consecutive batches continue the same text in every row and the LSTM state can
 * be carried from one batch to the next.
 */
import { readFileSync, statSync } from 'node:fs';
import { UserError } from '../util/errors.ts';

export interface Corpus {
  path: string;
  vocab: string[];
  train: Int32Array;
  valid: Int32Array;
}

export function loadCorpus(path: string, validFraction = 0.1): Corpus {
  let text: string;
  try {
    if (!statSync(path).isFile()) throw new UserError(`corpus ${path} is not a file; pass a text file with --corpus`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`corpus ${path} not found; pass a text file with --corpus (default data/tinyshakespeare/input.txt)`);
  }
  const chars = Array.from(text);
  if (chars.length === 0) throw new UserError(`corpus ${path} is empty; pass a non-empty text file with --corpus`);
  checkText(path, chars);
  const vocab = [...new Set(chars)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(vocab.map((c, i) => [c, i]));
  const ids = Int32Array.from(chars, (c) => index.get(c)!);
  const nTrain = Math.floor(ids.length * (1 - validFraction));
  return { path, vocab, train: ids.subarray(0, nTrain), valid: ids.subarray(nTrain) };
}

/** Above this share of non-text characters a corpus is refused; below it (but above 0) it gets a warning. */
export const MAX_NON_TEXT = 0.05;

/**
 * Bytes that are not UTF-8 (decoded as U+FFFD) and control characters other
 * than tab, newline, carriage return and form feed: a binary file has many,
 * and training on one silently gives a vocabulary of hundreds of byte values.
 */
export function nonTextCount(chars: readonly string[]): number {
  let n = 0;
  for (const c of chars) {
    const u = c.codePointAt(0)!;
    if (u === 0xfffd || (u < 0x20 && u !== 0x09 && u !== 0x0a && u !== 0x0d && u !== 0x0c) || (u >= 0x7f && u < 0xa0)) n++;
  }
  return n;
}

function checkText(path: string, chars: readonly string[]): void {
  const bad = nonTextCount(chars);
  if (bad === 0) return;
  const pct = ((100 * bad) / chars.length).toFixed(bad / chars.length < 0.001 ? 3 : 1);
  if (bad / chars.length > MAX_NON_TEXT) {
    throw new UserError(`corpus ${path} is not text (${pct}% of its characters are binary bytes or control characters); pass a UTF-8 text file with --corpus`);
  }
  process.stderr.write(`sparsegrad: warning: corpus ${path}: ${bad} characters (${pct}%) are binary bytes or control characters; they are trained on as symbols\n`);
}

/** B contiguous streams over a split; batch k covers positions [k·T, k·T+T) of each stream. */
export class StreamBatcher {
  readonly streamLen: number;
  readonly batchesPerEpoch: number;
  private cursor = 0;

  constructor(private readonly ids: Int32Array, readonly B: number, readonly T: number, what: string) {
    // Each batch needs T inputs plus the next character as the last target.
    this.streamLen = Math.floor(ids.length / B);
    this.batchesPerEpoch = Math.floor((this.streamLen - 1) / T);
    if (this.batchesPerEpoch < 1) {
      throw new UserError(`${what} split has ${ids.length} characters, too few for --batch ${B} × --seq ${T}; use a longer corpus or smaller --batch/--seq`);
    }
  }

  /** The index of the next batch within the pass (saved and restored by a resumable run). */
  get position(): number {
    return this.cursor;
  }

  set position(k: number) {
    if (!(Number.isInteger(k) && k >= 0 && k < this.batchesPerEpoch)) throw new UserError(`batch position ${k} is outside this split's ${this.batchesPerEpoch} batches per pass`);
    this.cursor = k;
  }

  /** True when the next batch starts a new pass, i.e. the carried state must be reset. */
  get atEpochStart(): boolean {
    return this.cursor === 0;
  }

  /** Fills inputs/targets laid out [T, B] (time-major) and advances. */
  next(inputs: Int32Array, targets: Int32Array): void {
    const { B, T, streamLen } = this;
    const base = this.cursor * T;
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const p = b * streamLen + base + t;
        inputs[t * B + b] = this.ids[p];
        targets[t * B + b] = this.ids[p + 1];
      }
    }
    this.cursor = (this.cursor + 1) % this.batchesPerEpoch;
  }

  reset(): void {
    this.cursor = 0;
  }
}

/** The unknown-word token of the word model: every word outside its vocabulary. */
export const UNKNOWN_WORD = '<unk>';

/**
 * Word tokens of a text: lower-cased runs of letters (with inner apostrophes,
 * "o'er"), each other non-space character alone (punctuation), and the line
 * break as a token of its own (verse lines and speaker turns carry meaning).
 */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[a-z]+(?:'[a-z]+)*|\n|[^\sa-z]/g) ?? [];
}

/**
 * The word-level corpus: the same text and 90/10 split (by tokens) as the
 * character model, a vocabulary of the `words` most frequent tokens of the
 * training split (ties by code order) plus `<unk>` (id = words), so V = words + 1.
 */
export function loadWordCorpus(path: string, words: number, validFraction = 0.1): Corpus {
  const chars = loadCorpus(path, validFraction);
  const text = readFileSync(path, 'utf8');
  const tokens = wordTokens(text);
  if (tokens.length < 2) throw new UserError(`corpus ${chars.path} has ${tokens.length} word(s); the word model needs a text of many words`);
  const nTrain = Math.floor(tokens.length * (1 - validFraction));
  const freq = new Map<string, number>();
  for (let i = 0; i < nTrain; i++) freq.set(tokens[i]!, (freq.get(tokens[i]!) ?? 0) + 1);
  const vocab = [...freq.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, words).map(([w]) => w);
  vocab.push(UNKNOWN_WORD);
  const index = new Map(vocab.map((w, i) => [w, i]));
  const unk = vocab.length - 1;
  const ids = Int32Array.from(tokens, (w) => index.get(w) ?? unk);
  return { path, vocab, train: ids.subarray(0, nTrain), valid: ids.subarray(nTrain) };
}
