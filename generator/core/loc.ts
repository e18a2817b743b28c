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
  /** For locations inside generator/lib/: the user line that called the library. */
  readonly caller?: SourceLoc;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Frames inside these folders are the DSL itself, never the user's line. */
const internalDirs = ['generator/core/', 'generator/checks/', 'generator/backend/', 'generator/index.ts']
  .map((d) => path.join(repoRoot, d));
/** Library helpers: their lines are kept, together with the user line that called them. */
const libraryDirs: string[] = [path.join(repoRoot, 'generator/lib/')];

export const unknownLoc: SourceLoc = Object.freeze({ file: '<unknown>', line: 0, col: 0 });

const frameRe = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?$/;

function isInternal(file: string): boolean {
  if (internalDirs.some((d) => file.startsWith(d))) return true;
  return file.startsWith('node:') || file.includes('/node_modules/');
}

/**
 * The first stack frame outside the DSL core. When that frame is in the standard
 * library (generator/lib/), the first user frame that called into it is kept as
 * `caller`, so messages can name both the library line and the user's line.
 */
export function captureLoc(): SourceLoc {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = saved;
  let primary: SourceLoc | undefined;
  for (const raw of stack.split('\n').slice(1)) {
    const m = frameRe.exec(raw.trim());
    if (!m) continue;
    let file = m[1]!;
    if (file.startsWith('file://')) file = fileURLToPath(file);
    if (isInternal(file)) continue;
    const loc = { file: relativeToRepo(file), line: Number(m[2]), col: Number(m[3]) };
    const inLibrary = libraryDirs.some((d) => file.startsWith(d));
    if (!primary) {
      if (!inLibrary) return loc;
      primary = loc;
    } else if (!inLibrary) {
      return { ...primary, caller: loc };
    }
  }
  return primary ?? unknownLoc;
}

function relativeToRepo(file: string): string {
  const rel = path.relative(repoRoot, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/');
}

/** `generator/examples/counter.ts:12:5` — the form used in messages. */
export function formatLoc(loc: SourceLoc): string {
  return `${loc.file}:${loc.line}:${loc.col}`;
}

/** The location and, for library code, the user line that called it. */
export function describeLoc(loc: SourceLoc): string {
  return loc.caller ? `${formatLoc(loc)} (called from ${formatLoc(loc.caller)})` : formatLoc(loc);
}

/** `generator/examples/counter.ts:12.5` — Yosys' own `src` attribute form. */
export function srcAttr(loc: SourceLoc): string {
  return `${loc.file}:${loc.line}.${loc.col}`;
}
