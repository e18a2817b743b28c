/**
 * Source locations of hardware constructs: the user's TypeScript file:line:col,
 * captured from the stack at construction so that every check and every emitted
 * `(* src *)` attribute points at the line that made the signal or statement.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findSourceMap, type SourceMap } from 'node:module';

export interface SourceLoc {
  /** Path relative to the repository root (forward slashes), or absolute outside it. */
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** When the construct was made inside generator/lib/ on the user's behalf: the library line (the location itself is the user's call). */
  readonly library?: SourceLoc;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Frames inside these folders are the DSL itself, never the user's line. */
const internalDirs = ['generator/core/', 'generator/checks/', 'generator/backend/', 'generator/index.ts']
  .map((d) => path.join(repoRoot, d));
/** Library helpers: the user line that called them is the location, their own line is kept beside it. */
const libraryDirs: string[] = [path.join(repoRoot, 'generator/lib/')];

/**
 * Count a folder's files as library code that acts for its caller (as generator/lib/
 * does): locations captured there name the user's line. For helpers outside generator/
 * (sim/'s simulation API) that build hardware or report misuse on the user's behalf;
 * call it when the helper's module loads, before any of its frames are classified.
 */
export function registerLibraryDir(dir: string): void {
  const abs = path.resolve(dir) + path.sep;
  if (!libraryDirs.includes(abs)) libraryDirs.push(abs);
}

export const unknownLoc: SourceLoc = Object.freeze({ file: '<unknown>', line: 0, col: 0 });

type FrameKind = 'internal' | 'library' | 'user';
interface FileInfo {
  kind: FrameKind;
  rel: string;
  map: SourceMap | undefined;
}
const fileInfo = new Map<string, FileInfo>();

function infoFor(fileName: string): FileInfo {
  let info = fileInfo.get(fileName);
  if (!info) {
    const file = fileName.startsWith('file://') ? fileURLToPath(fileName) : fileName;
    const internal = internalDirs.some((d) => file.startsWith(d)) || file.startsWith('node:') || file.includes('/node_modules/') || !path.isAbsolute(file);
    const kind: FrameKind = internal ? 'internal' : libraryDirs.some((d) => file.startsWith(d)) ? 'library' : 'user';
    // tsx registers inline source maps; mapping positions ourselves avoids formatting whole stacks.
    // Only the frame's own map: a process can hold one file twice, as ESM (a file:// frame) and
    // as CommonJS (a path frame, when mocha require()s a test first), each compiled differently;
    // the other instance's map would put every location on the wrong line.
    info = { kind, rel: relativeToRepo(file), map: internal ? undefined : findSourceMap(fileName) };
    fileInfo.set(fileName, info);
  }
  return info;
}

function locOf(site: NodeJS.CallSite, info: FileInfo): SourceLoc {
  const line = site.getLineNumber() ?? 0;
  const col = site.getColumnNumber() ?? 0;
  const entry = info.map?.findEntry(line - 1, col - 1) as { originalLine?: number; originalColumn?: number } | undefined;
  if (entry && entry.originalLine !== undefined && entry.originalColumn !== undefined) {
    return { file: info.rel, line: entry.originalLine + 1, col: entry.originalColumn + 1 };
  }
  return { file: info.rel, line, col };
}

function callSites(): NodeJS.CallSite[] {
  const savedPrepare = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  Error.prepareStackTrace = (_e, sites) => sites;
  Error.stackTraceLimit = 40;
  try {
    const holder = {} as { stack: NodeJS.CallSite[] };
    Error.captureStackTrace(holder, captureLoc);
    // V8 formats lazily: read the stack while our prepareStackTrace is installed.
    return holder.stack;
  } finally {
    Error.prepareStackTrace = savedPrepare;
    Error.stackTraceLimit = savedLimit;
  }
}

/**
 * The first stack frame outside the DSL core. When that frame is in the standard
 * library (generator/lib/), the location is the first user frame that called into it
 * (src attributes and errors point at the user's line), with the library line kept
 * as `library`.
 */
export function captureLoc(): SourceLoc {
  let primary: SourceLoc | undefined;
  for (const site of callSites()) {
    const name = site.getFileName();
    if (!name) continue;
    const info = infoFor(name);
    if (info.kind === 'internal') continue;
    const loc = locOf(site, info);
    if (!primary) {
      if (info.kind === 'user') return loc;
      primary = loc;
    } else if (info.kind === 'user') {
      return { ...loc, library: primary };
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

/** The location and, for library code, the library line that acted for it. */
export function describeLoc(loc: SourceLoc): string {
  return loc.library ? `${formatLoc(loc)} (in ${formatLoc(loc.library)})` : formatLoc(loc);
}

/** `generator/examples/counter.ts:12.5` — Yosys' own `src` attribute form. */
export function srcAttr(loc: SourceLoc): string {
  return `${loc.file}:${loc.line}.${loc.col}`;
}
