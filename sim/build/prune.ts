/**
 * Keeps the Verilator build cache bounded: least recently used entries go first.
 *
 * Every hit touches the entry's `used` stamp; after each new build, entries
 * beyond `maxEntries` ($SPARSEGRAD_CACHE_MAX_ENTRIES, default 100) are removed,
 * oldest stamp first, but never one used in the last `minAgeMs` (an hour), so
 * a process holding a path it was just given never sees it vanish. Temp folders
 * of builds killed midway (older than six hours) are removed too.
 */
import { closeSync, existsSync, openSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = 'used';
/** No build takes six hours: a temp folder that old lost its builder. */
const ABANDONED_MS = 6 * 3600_000;

export function markUsed(dir: string): void {
  const stamp = join(dir, STAMP);
  const now = new Date();
  try {
    utimesSync(stamp, now, now);
  } catch {
    try {
      closeSync(openSync(stamp, 'a'));
    } catch {
      // A read-only cache still works; it is only never pruned.
    }
  }
}

function lastUse(dir: string): number {
  const stamp = join(dir, STAMP);
  return existsSync(stamp) ? statSync(stamp).mtimeMs : statSync(dir).mtimeMs;
}

export function pruneCache(root: string, opts: { maxEntries?: number; minAgeMs?: number } = {}): string[] {
  const envMax = Number(process.env.SPARSEGRAD_CACHE_MAX_ENTRIES);
  const maxEntries = opts.maxEntries ?? (Number.isInteger(envMax) && envMax > 0 ? envMax : 100);
  const minAgeMs = opts.minAgeMs ?? 3600_000;
  let entries: { dir: string; used: number }[];
  try {
    entries = readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && /^[0-9a-f]{32}$/.test(e.name))
      .map((e) => ({ dir: join(root, e.name), used: lastUse(join(root, e.name)) }));
  } catch {
    return [];
  }
  const removed: string[] = [];
  const now = Date.now();
  // Half-built folders of builders that were killed: nobody will rename them into place.
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (name.startsWith('.tmp-') && now - statSync(path).mtimeMs > ABANDONED_MS) {
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    }
  }
  if (entries.length <= maxEntries) return removed;
  entries.sort((a, b) => a.used - b.used);
  for (const e of entries.slice(0, entries.length - maxEntries)) {
    if (now - e.used < minAgeMs) break;
    rmSync(e.dir, { recursive: true, force: true });
    removed.push(e.dir);
  }
  return removed;
}
