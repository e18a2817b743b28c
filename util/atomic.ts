/**
 * Writing outputs so that a failed, interrupted or out-of-space run leaves
 * the previous outputs exactly as they were, and no litter.
 *
 * - `writeFileAtomicSync(path, data)`: a temp file in the same folder,
 *   fsynced, then renamed over `path` (a rename within one file system is atomic).
 * - `StagedDir` / `withStagedDir(out, body)`: a command's output folder is built
 *   in a sibling staging folder and published in one synchronous step at the end.
 *
 * Staging names carry the writer's pid (`.<name>.partial-<pid>-<random>`), so:
 * on SIGINT/SIGTERM (or process.exit) this process removes its own staging
 * folders and temp files before it exits; after a SIGKILL, the next writer into
 * the same folder removes the ones whose process is gone (`reclaimStale`).
 */
import { chmodSync, closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError, EXIT } from './errors.ts';

// ---------------------------------------------------------------------------
// Removal on signals

const live = new Set<string>();
let exitHookInstalled = false;

/** Removes everything still registered; safe to call more than once. */
function removeLive(): void {
  for (const p of live) {
    try {
      // A child tool may still be writing into a staging folder as it is removed: retry briefly.
      rmSync(p, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
    } catch {
      // Exiting anyway; the next run reclaims it (reclaimStale).
    }
  }
  live.clear();
}

/**
 * A handler replaces Node's default exit on these signals, so it exits the way the
 * shell expects (128 + signal number) once the litter is gone. The handlers are
 * installed only while something is registered: a handler runs when the event loop
 * turns, so outside of staging a signal keeps its immediate default effect, and
 * long computations that hold staging open yield now and then (see golden/trainer.ts).
 */
const onSignal = {
  SIGINT: () => {
    removeLive();
    process.exit(128 + 2);
  },
  SIGTERM: () => {
    removeLive();
    process.exit(128 + 15);
  },
};

/**
 * Registers a path to remove if the process ends (signal or exit) before
 * `release()` is called. Used for staging folders, temp files and lock files.
 */
export function removeOnExit(path: string): { release: () => void } {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', removeLive);
  }
  if (live.size === 0) for (const [sig, h] of Object.entries(onSignal)) process.on(sig, h);
  live.add(path);
  return {
    release: () => {
      if (live.delete(path) && live.size === 0) for (const [sig, h] of Object.entries(onSignal)) process.off(sig, h);
    },
  };
}

// ---------------------------------------------------------------------------
// Staging names and stale reclamation

const STAGING = /^\.(.+)\.(partial|previous)-(\d+)-[A-Za-z0-9]+$/;

/** A fresh staging name for `final` (a sibling path), owned by this process. */
export function stagingName(final: string, kind: 'partial' | 'previous' = 'partial'): string {
  return join(dirname(final), `.${basename(final)}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** True when `pid` names a running process (EPERM: running, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the staging folders and temp files in `dir` whose writer has died
 * (SIGKILL, power loss). A `previous` folder is an output moved aside during a
 * publish that never finished: it is put back when its output is missing.
 * Returns the names removed or restored.
 */
export function reclaimStale(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const done: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (isLegacyLitter(path, name)) {
      rmSync(path, { recursive: true, force: true });
      done.push(name);
      continue;
    }
    const m = STAGING.exec(name);
    if (!m || Number(m[3]) === process.pid || processAlive(Number(m[3]))) continue;
    const final = join(dir, m[1]!);
    try {
      if (m[2] === 'previous' && !existsSync(final)) renameSync(path, final);
      else rmSync(path, { recursive: true, force: true });
      done.push(name);
    } catch {
      // Someone else's folder we may not touch: leave it.
    }
  }
  return done;
}

/**
 * Staging names of earlier versions: `.<out>.tmp-<pid>` (fpga bundles) with a
 * dead pid, and `.<out>.partial-XXXXXX` (no pid) untouched for a day.
 */
function isLegacyLitter(path: string, name: string): boolean {
  try {
    const tmp = /^\.(.+)\.tmp-(\d+)$/.exec(name);
    if (tmp) return Number(tmp[2]) !== process.pid && !processAlive(Number(tmp[2]));
    if (/^\.(.+)\.partial-[A-Za-z0-9]{6}$/.test(name)) return Date.now() - statSync(path).mtimeMs > 24 * 3600_000;
  } catch {
    // vanished meanwhile
  }
  return false;
}

// ---------------------------------------------------------------------------
// Files

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync of a folder makes a rename in it durable; some file systems refuse it, which only weakens durability. */
function fsyncDir(dir: string): void {
  try {
    fsyncPath(dir);
  } catch {
    // best effort
  }
}

function writeAndSync(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'wx');
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } catch (e) {
    // Writes through a descriptor report no path; the error message needs it (util/fs-errors.ts).
    (e as NodeJS.ErrnoException).path ??= path;
    throw e;
  } finally {
    closeSync(fd);
  }
}

/** Writes `path` whole or not at all: temp file beside it, fsync, rename. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  reclaimStale(dirname(path));
  const tmp = stagingName(path);
  const guard = removeOnExit(tmp);
  try {
    writeAndSync(tmp, data);
    renameSync(tmp, path);
    fsyncDir(dirname(path));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    guard.release();
  }
}

// ---------------------------------------------------------------------------
// Folders

/** An output folder path must not name a file: say so before any work is done. */
export function checkOutDir(out: string, flag = '--out'): void {
  let st;
  try {
    st = statSync(out);
  } catch {
    return;
  }
  if (!st.isDirectory()) throw new UserError(`${flag} ${out} is a file, not a folder; give ${flag} a new or existing folder`, EXIT.input);
}

function fsyncTree(path: string): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    for (const name of readdirSync(path)) fsyncTree(join(path, name));
  }
  fsyncPath(path);
}

export interface StagedDirOptions {
  /**
   * true: the published folder replaces the old one whole (a bundle must not mix
   * two runs' files). false (default): each staged entry replaces the entry of
   * the same name; other files in the folder are left alone.
   */
  replaceWhole?: boolean;
}

export class StagedDir {
  private constructor(
    readonly final: string,
    readonly staging: string,
    private readonly opts: StagedDirOptions,
    private readonly guard: { release: () => void },
  ) {}

  static async open(out: string, opts: StagedDirOptions = {}): Promise<StagedDir> {
    return StagedDir.openSync(out, opts);
  }

  static openSync(out: string, opts: StagedDirOptions = {}): StagedDir {
    checkOutDir(out);
    const final = resolve(out);
    const parent = dirname(final);
    mkdirSync(parent, { recursive: true });
    reclaimStale(parent);
    const staging = mkdtempSync(join(parent, `.${basename(final)}.partial-${process.pid}-`));
    // mkdtemp makes the folder private (0700); the published folder gets the mode mkdir would give it.
    chmodSync(staging, 0o777 & ~process.umask());
    return new StagedDir(final, staging, opts, removeOnExit(staging));
  }

  path(name: string): string {
    return join(this.staging, name);
  }

  async write(name: string, data: string | Uint8Array): Promise<void> {
    this.writeSync(name, data);
  }

  writeSync(name: string, data: string | Uint8Array): void {
    mkdirSync(dirname(this.path(name)), { recursive: true });
    rmSync(this.path(name), { force: true });
    writeAndSync(this.path(name), data);
  }

  /**
   * Publishes the staged entries. Synchronous on purpose: a SIGINT or SIGTERM
   * handler cannot run between its renames, so only a SIGKILL can interrupt it,
   * and then `reclaimStale` puts a moved-aside folder back.
   */
  async commit(): Promise<void> {
    this.commitSync();
  }

  commitSync(): void {
    // Files written by tools into the staging folder (logs, VCDs) reach the disk before they are published.
    fsyncTree(this.staging);
    const exists = existsSync(this.final);
    if (exists) checkOutDir(this.final);
    if (!exists || this.opts.replaceWhole) {
      const asides: string[] = [];
      // Another writer may publish the same folder between the look and the rename
      // (ENOTEMPTY/EEXIST), or move it aside first (ENOENT): look again; the last writer wins.
      for (let attempt = 0; ; attempt++) {
        const aside = existsSync(this.final) ? stagingName(this.final, 'previous') : undefined;
        try {
          if (aside) {
            renameSync(this.final, aside);
            asides.push(aside);
          }
          renameSync(this.staging, this.final);
          break;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code ?? '';
          if (attempt >= 5 || !['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes(code)) throw e;
        }
      }
      fsyncDir(dirname(this.final));
      for (const aside of asides) rmSync(aside, { recursive: true, force: true });
    } else {
      for (const name of readdirSync(this.staging)) {
        const target = join(this.final, name);
        const from = join(this.staging, name);
        // rename replaces a file atomically; a folder has to be moved aside first (into the staging folder, removed below).
        if (existsSync(target) && (lstatSync(target).isDirectory() || lstatSync(from).isDirectory())) {
          renameSync(target, join(this.staging, `.previous-${name}`));
        }
        renameSync(from, target);
      }
      fsyncDir(this.final);
      rmSync(this.staging, { recursive: true, force: true });
    }
    this.guard.release();
  }

  async discard(): Promise<void> {
    this.discardSync();
  }

  discardSync(): void {
    rmSync(this.staging, { recursive: true, force: true });
    this.guard.release();
  }
}

/** Writes a whole folder of files (name → contents) through staging. */
export function writeFolderAtomicSync(out: string, files: Iterable<[string, string | Uint8Array]>, opts: StagedDirOptions = {}): void {
  const dir = StagedDir.openSync(out, opts);
  try {
    for (const [name, data] of files) dir.writeSync(name, data);
    dir.commitSync();
  } catch (e) {
    dir.discardSync();
    throw e;
  }
}

/** Runs `body` against a staged folder: published on success, discarded on any error. */
export async function withStagedDir<T>(out: string, body: (dir: StagedDir) => Promise<T>, opts: StagedDirOptions = {}): Promise<T> {
  const dir = await StagedDir.open(out, opts);
  try {
    const r = await body(dir);
    await dir.commit();
    return r;
  } catch (e) {
    await dir.discard();
    throw e;
  }
}
