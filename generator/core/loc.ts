/**
 * Source locations of hardware constructs: the user's TypeScript file:line:col,
 * captured from the stack at construction so that every check and every emitted
 * `(* src *)` attribute points at the line that made the signal or statement.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SourceLoc {
  /** Path relative to the repository root (forward slashes), or absolute outside it. */
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Frames inside these folders are the DSL itself, never the user's line. */
const internalDirs = ['generator/core/', 'generator/checks/', 'generator/backend/', 'generator/index.ts']
  .map((d) => path.join(repoRoot, d));
/** Library helpers (lib/) are skipped too, so a FIFO's signals point at the caller's line. */
const libraryDirs: string[] = [path.join(repoRoot, 'generator/lib/')];

export const unknownLoc: SourceLoc = Object.freeze({ file: '<unknown>', line: 0, col: 0 });

const frameRe = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?$/;

function isInternal(file: string, skipLibrary: boolean): boolean {
  if (internalDirs.some((d) => file.startsWith(d))) return true;
  if (skipLibrary && libraryDirs.some((d) => file.startsWith(d))) return true;
  return file.startsWith('node:') || file.includes('/node_modules/');
}

/**
 * The first stack frame outside the DSL. Library frames (generator/lib/) are skipped
 * unless the library itself is being tested, so that errors land on user code.
 */
export function captureLoc(): SourceLoc {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = saved;
  let fallback: SourceLoc | undefined;
  for (const raw of stack.split('\n').slice(1)) {
    const m = frameRe.exec(raw.trim());
    if (!m) continue;
    let file = m[1]!;
    if (file.startsWith('file://')) file = fileURLToPath(file);
    if (isInternal(file, false)) continue;
    const loc = { file: relativeToRepo(file), line: Number(m[2]), col: Number(m[3]) };
    if (libraryDirs.some((d) => file.startsWith(d))) {
      fallback ??= loc;
      continue;
    }
    return loc;
  }
  return fallback ?? unknownLoc;
}

function relativeToRepo(file: string): string {
  const rel = path.relative(repoRoot, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/');
}

/** `generator/examples/counter.ts:12:5` — the form used in messages. */
export function formatLoc(loc: SourceLoc): string {
  return `${loc.file}:${loc.line}:${loc.col}`;
}

/** `generator/examples/counter.ts:12.5` — Yosys' own `src` attribute form. */
export function srcAttr(loc: SourceLoc): string {
  return `${loc.file}:${loc.line}.${loc.col}`;
}
