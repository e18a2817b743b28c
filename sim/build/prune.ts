/**
 * Keeps the Verilator build cache bounded: least recently used entries go first.
 *
 * Every hit touches the entry's `used` stamp; after each new build, entries
 * beyond `maxEntries` ($SPARSEGRAD_CACHE_MAX_ENTRIES, default 100) are removed,
 * oldest stamp first, but never one used in the last `minAgeMs` (an hour), so
 * a process holding a path it was just given never sees it vanish.
 *
 * `reclaimDead` removes what builders killed midway left behind: temp folders
 * (`.tmp-<key>-<pid>-*`, and runtime-object ones) and lock files whose process is
 * gone, and temp folders without a pid older than six hours. Every miss runs it.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../../util/atomic.ts';

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
  const removed = reclaimDead(root);
  const now = Date.now();
  if (entries.length <= maxEntries) return removed;
  entries.sort((a, b) => a.used - b.used);
  for (const e of entries.slice(0, entries.length - maxEntries)) {
    if (now - e.used < minAgeMs) break;
    rmSync(e.dir, { recursive: true, force: true });
    removed.push(e.dir);
  }
  return removed;
}

/** A temp folder named with its builder's pid (`.tmp-<key>-<pid>-<x>`, `<key>.tmp-<pid>-<x>`). */
const TMP_WITH_PID = /^(?:\.tmp-[0-9a-f]+|[0-9a-f]{32}\.tmp)-(\d+)-[A-Za-z0-9]+$/;

function reclaimIn(dir: string, removed: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    const path = join(dir, name);
    try {
      const m = TMP_WITH_PID.exec(name);
      let dead = false;
      if (m) dead = !processAlive(Number(m[1]));
      else if (name.startsWith('.tmp-') || /\.tmp-/.test(name)) dead = now - statSync(path).mtimeMs > ABANDONED_MS;
      else if (name.endsWith('.lock')) {
        const pid = Number(readFileSync(path, 'utf8').trim());
        dead = Number.isInteger(pid) && pid > 0 && !processAlive(pid);
      }
      if (dead) {
        rmSync(path, { recursive: true, force: true });
        removed.push(path);
      }
    } catch {
      // Vanished meanwhile, or not ours to remove: leave it.
    }
  }
}

/** Removes the temp folders and locks of builders that died; returns the paths removed. */
export function reclaimDead(root: string): string[] {
  const removed: string[] = [];
  reclaimIn(root, removed);
  reclaimIn(join(root, 'runtime'), removed);
  return removed;
}
