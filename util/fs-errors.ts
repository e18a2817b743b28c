/**
 * File-system errors as one line that says what to do. Node's own messages
 * ("ENOSPC: no space left on device, write") name neither the output nor a fix,
 * and they name staging paths the user never asked for.
 */
import { EXIT, UserError } from './errors.ts';

const CODES = ['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENOENT'] as const;

/** The path the user knows: staging names (`.out.partial-<pid>-<x>`, `.f.tmp-…`) become the output they stand for. */
export function userPath(path: string): string {
  return path.replace(/(^|\/)\.([^/]+?)\.(partial|previous|tmp)-[^/]*/g, '$1$2');
}

/** The one-line message for a file-system error, or undefined when `e` is not one. */
export function fsErrorMessage(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException & { dest?: string };
  if (!(e instanceof Error) || typeof err.code !== 'string' || !(CODES as readonly string[]).includes(err.code)) return undefined;
  const raw = err.code === 'EEXIST' || err.code === 'ENOTDIR' ? err.dest ?? err.path : err.path;
  const path = raw ? userPath(raw) : 'a file';
  switch (err.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `no space left on the device writing ${path}: free some space or write elsewhere (earlier outputs are unchanged)`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied on ${path}: choose a folder you can write (e.g. --out) or fix its permissions`;
    case 'EROFS':
      return `${path} is on a read-only file system: write the output to a writable folder (e.g. --out)`;
    case 'EEXIST':
      return `${path} already exists and is not a folder: give a new folder name or an existing folder`;
    case 'ENOTDIR':
      return `${path}: a part of this path is a file, not a folder: fix the path`;
    case 'EISDIR':
      return `${path} is a folder where a file was expected: pass a file`;
    case 'ENOENT':
      return `${path} not found: check the path`;
  }
  return undefined;
}

/** `e` as a UserError when it is a file-system error, else `e` unchanged. */
export function asUserError(e: unknown): unknown {
  const msg = fsErrorMessage(e);
  return msg === undefined ? e : new UserError(msg, EXIT.input);
}
