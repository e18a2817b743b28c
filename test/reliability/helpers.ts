/**
 * Shared pieces of the fault-injection tests: running the real CLI, snapshots
 * of a folder (every file's sha256, hidden files included, so litter shows),
 * a seeded random source, and small file systems (tmpfs) to fill up or make
 * read-only where the machine allows mounting.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../../sim/rtl-locate.ts';

export const BIN = join(REPO_ROOT, 'bin', 'sparsegrad');
export const CORPUS = join(REPO_ROOT, 'data', 'tinyshakespeare', 'input.txt');

export const seed = process.env.SPARSEGRAD_SEED !== undefined ? Number(process.env.SPARSEGRAD_SEED) : Math.floor(Math.random() * 2 ** 31);

export function announceSeed(): void {
  console.log(`      seed ${seed} (replay with SPARSEGRAD_SEED=${seed})`);
}

/** A small seeded generator (mulberry32), so a failing kill point can be replayed. */
export { rng } from '../sim/seed.ts';

export function cli(args: string[], opts: { cwd?: string; detached?: boolean } = {}) {
  return execa(BIN, args, { reject: false, all: true, cwd: opts.cwd ?? REPO_ROOT, stdin: 'ignore', detached: opts.detached ?? false });
}

/** Path → sha256 (files) or 'dir', for everything under `root`. */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      if (lstatSync(p).isDirectory()) {
        out[r] = 'dir';
        walk(p, r);
      } else out[r] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(root, '');
  return out;
}

/** Entries of a snapshot that are staging litter (util/atomic.ts names). */
export const litter = (snap: Record<string, string>) => Object.keys(snap).filter((p) => /(^|\/)\.[^/]+\.(partial|previous)-/.test(p));

/** The snapshot without staging litter (what a user sees as outputs). */
export const withoutLitter = (snap: Record<string, string>) => Object.fromEntries(Object.entries(snap).filter(([p]) => !litter({ [p]: '' }).length));

export function assertOneLineError(r: { exitCode?: number; stderr?: unknown; all?: unknown }, code: number, pattern: RegExp): void {
  const stderr = String(r.stderr ?? '');
  const lines = stderr.trim().split('\n').filter((l) => !l.startsWith('sparsegrad: warning:'));
  assert.equal(lines.length, 1, `one line expected, got:\n${stderr}`);
  assert.match(lines[0]!, /^sparsegrad: error: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  assert.equal(r.exitCode, code, stderr);
}

/** A tmpfs of `size` at `dir`, or false when this machine does not allow mounting (not root, no CAP_SYS_ADMIN). */
export async function mountTmpfs(dir: string, size: string): Promise<boolean> {
  mkdirSync(dir, { recursive: true });
  const r = await execa('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { reject: false });
  return r.exitCode === 0;
}

export async function unmount(dir: string): Promise<void> {
  await execa('umount', [dir], { reject: false });
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Makes a mounted tmpfs read-only (a real EROFS), or, without mounting, the
 * folder unwritable by mode (EACCES; root ignores modes, hence the mount first).
 */
export async function makeReadOnly(dir: string, mounted: boolean): Promise<void> {
  if (mounted) await execa('mount', ['-o', 'remount,ro', dir]);
  else chmodSync(dir, 0o555);
}

export async function makeWritable(dir: string, mounted: boolean): Promise<void> {
  if (mounted) await execa('mount', ['-o', 'remount,rw', dir]);
  else chmodSync(dir, 0o755);
}

/** Fills the file system holding `dir` until a write fails, with one file `dir/filler`. */
export function fillDisk(dir: string): void {
  const chunk = Buffer.alloc(4096, 1);
  const file = join(dir, 'filler');
  writeFileSync(file, '');
  for (;;) {
    try {
      writeFileSync(file, chunk, { flag: 'a' });
    } catch {
      return;
    }
  }
}

/**
 * Sends `signal` to a running CLI at a random point while it has output
 * staged: once a hidden entry (a staging folder) shows in `dir`, after a
 * further `delayMs`. Waiting for the staging folder makes every kill land in
 * the stretch the promise is about, whatever the machine's speed; a run that
 * never stages (it failed or finished first) is signalled when it would have been.
 */
export function signalWhileStaging(run: { kill: (s: NodeJS.Signals) => boolean; pid?: number; then: unknown }, dir: string, signal: NodeJS.Signals, delayMs: number, group = false): void {
  const send = () => {
    try {
      if (group && run.pid) process.kill(-run.pid, signal);
      else run.kill(signal);
    } catch {
      // already gone
    }
  };
  let done = false;
  (run as unknown as Promise<unknown>).then(() => (done = true), () => (done = true));
  const started = Date.now();
  const poll = () => {
    if (done) return;
    let staged = false;
    try {
      staged = readdirSync(dir).some((n) => n.startsWith('.'));
    } catch {
      // not created yet
    }
    if (staged || Date.now() - started > 120_000) setTimeout(send, delayMs);
    else setTimeout(poll, 20);
  };
  poll();
}
