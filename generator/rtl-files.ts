/**
 * The files `sparsegrad generate` owns: for each preset a folder with one
 * sub-folder per engine top (`sparse_bwd_engine/`, `dense_bwd_engine/`), each
 * holding one Verilog file per module and the manifest. Writing replaces the
 * folder whole (stale modules disappear); checking compares byte for byte.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFolderAtomicSync } from '../util/atomic.ts';
import { dirname, join, relative, sep } from 'node:path';
import type { EngineConfig } from '../engine/config.ts';
import { emitPresetFiles } from './designs/index.ts';

export interface FolderDiff {
  changed: string[];
  missing: string[];
  extra: string[];
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** What differs between `dir` and the files the generator emits now. */
export function diffFolder(dir: string, files: ReadonlyMap<string, string>): FolderDiff {
  const have = new Set(listFiles(dir));
  const diff: FolderDiff = { changed: [], missing: [], extra: [] };
  for (const [f, text] of files) {
    if (!have.has(f)) diff.missing.push(f);
    else if (readFileSync(join(dir, f), 'utf8') !== text) diff.changed.push(f);
    have.delete(f);
  }
  diff.extra = [...have].sort();
  return diff;
}

export function diffCount(d: FolderDiff): number {
  return d.changed.length + d.missing.length + d.extra.length;
}

/**
 * Writes a preset folder through a sibling staging folder that replaces it
 * whole (util/atomic.ts), so a failure never leaves a half-written folder behind.
 */
export function writeFolder(dir: string, files: ReadonlyMap<string, string>): void {
  writeFolderAtomicSync(dir, files, { replaceWhole: true });
}

export function presetFiles(cfg: EngineConfig): Map<string, string> {
  return emitPresetFiles(cfg);
}
