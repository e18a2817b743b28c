/**
 * Cached Verilator builds.
 *
 * API
 *   buildVerilated({ top, files, cppFiles, flags?, cacheDir?, trace?, onBuild? }) => Promise<string>
 *     path of the executable (Verilator --cc --exe --build of the RTL `files` with the C++ main(s) `cppFiles`).
 *   buildVerilatedInfo(same) => Promise<{ exe, key, dir, hit, seconds }>
 *     the same, saying whether it was a cache hit and how long it took.
 *   verilatorCacheRoot(cacheDir?) => the cache folder in use.
 *
 * The cache: `<root>/<key>/V<top>` with root = cacheDir, else $SPARSEGRAD_CACHE/verilator,
 * else <repo>/.cache/verilator (gitignored). The key (cache-key.ts) covers every RTL and C++
 * file's content (and their includes), the flags, the top, and the Verilator and compiler
 * versions. `trace: true` adds --trace (a VCD-capable model), which is therefore its own key.
 *
 * Concurrency: a build happens in a private temp folder under the root and is
 * renamed into place whole, so no reader ever sees half a build. Builders of the
 * same key agree through a lock file (`<key>.lock`, holding the builder's pid):
 * one builds, the others wait for its result; a lock whose process has died is
 * taken over. Within one process, concurrent calls for a key share one promise.
 *
 * Integrity: build.json records the sha256 of every file the entry holds (the
 * executable and the generated C++ and makefiles it was built from). An entry is
 * checked before its first use in a process (and again if its executable changes);
 * a corrupt or partial one (truncated or replaced executable, missing build.json)
 * is reported in one line, removed and rebuilt. Locks and temp folders of builders
 * that died (SIGKILL) are reclaimed: a lock names its pid, a temp folder
 * `.tmp-<key>-<pid>-*` too.
 *
 * Size: least recently used entries beyond $SPARSEGRAD_CACHE_MAX_ENTRIES (default 100) are
 * removed after each new build, never one used in the last hour (prune.ts).
 *
 * Recipe: -O3 without the bit-op-tree folding (miscompiles on 5.006), --x-assign fast, --x-initial fast (X's become whatever is fastest:
 * the designs reset everything they read), the model and testbench compiled -O2 (MAKE_OVERRIDES), --build-jobs = min(2, cores) unless
 * $SPARSEGRAD_BUILD_JOBS says otherwise. Object files are deleted after a
 * successful build; the generated C++ and the executable stay.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { EXIT, UserError } from '../../util/errors.ts';
import { runTool } from '../../toolchain/index.ts';
import { buildKey, verilatorCacheRoot } from './cache-key.ts';
import { prepareRuntimeObjects } from './runtime-objects.ts';
import { markUsed, pruneCache, reclaimDead } from './prune.ts';
import { execa } from 'execa';
import { processAlive, removeOnExit } from '../../util/atomic.ts';

export interface VerilatedBuild {
  top: string;
  /** Verilog sources (the top and everything below it). */
  files: string[];
  /** The testbench main and any other C++ to link. */
  cppFiles: string[];
  /** Extra Verilator flags, e.g. ['-Wno-fatal', '-GWIDTH=8', '-CFLAGS', '-DX']. */
  flags?: string[];
  cacheDir?: string;
  /** Build a model that can write VCD (adds --trace). */
  trace?: boolean;
  /** Called when this call really runs Verilator (a miss it builds itself), e.g. to tell the user why it waits. */
  onBuild?: (what: { top: string; key: string }) => void;
}

export interface BuildInfo {
  exe: string;
  key: string;
  dir: string;
  hit: boolean;
  seconds: number;
}

export { verilatorCacheRoot };
export { pruneCache } from './prune.ts';

function buildJobs(): number {
  const env = Number(process.env.SPARSEGRAD_BUILD_JOBS);
  return Number.isInteger(env) && env > 0 ? env : Math.max(1, Math.min(2, availableParallelism()));
}

/** Names Verilator gives the executable; a top name is a Verilog identifier, so it is safe in a path. */
function exeName(top: string): string {
  return `V${top}`;
}

const inFlight = new Map<string, Promise<BuildInfo>>();

export async function buildVerilated(b: VerilatedBuild): Promise<string> {
  return (await buildVerilatedInfo(b)).exe;
}

export async function buildVerilatedInfo(b: VerilatedBuild): Promise<BuildInfo> {
  const started = performance.now();
  if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(b.top)) throw new UserError(`'${b.top}' is not a Verilog module name: pass the top module's name`);
  if (b.files.length === 0) throw new UserError(`no Verilog files given for ${b.top}: pass the RTL files`);
  const flags = [...(b.flags ?? []), ...(b.trace && !(b.flags ?? []).includes('--trace') ? ['--trace'] : [])];
  const files = b.files.map((f) => resolve(f));
  const cppFiles = b.cppFiles.map((f) => resolve(f));
  const key = await buildKey({ top: b.top, files, cppFiles, flags });
  const root = verilatorCacheRoot(b.cacheDir);
  const dir = join(root, key);
  const exe = join(dir, exeName(b.top));
  const seconds = () => (performance.now() - started) / 1000;
  const verdict = checkEntry(dir, b.top);
  if (verdict === 'ok') {
    markUsed(dir);
    return { exe, key, dir, hit: true, seconds: seconds() };
  }
  if (verdict !== 'absent') process.stderr.write(`sparsegrad: build cache entry ${dir} is corrupt (${verdict}); removing it and rebuilding ${b.top}\n`);

  // A cluster task runs on models its driver built: compiling there would cost every task minutes.
  if (process.env.SPARSEGRAD_BUILD === 'forbid') {
    throw new UserError(`the Verilator model of ${b.top} is not in the build cache ${root} and this process may not build (SPARSEGRAD_BUILD=forbid, set for cluster tasks): the driver should have built it`);
  }
  let pending = inFlight.get(dir);
  if (!pending) {
    pending = buildUnderLock({ top: b.top, files, cppFiles, flags, root, key, dir, exe, onBuild: b.onBuild })
      .catch((e) => {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
          throw new UserError(`the build cache ${root} is read-only (${code}) and ${b.top} needs a build: make it writable or set SPARSEGRAD_CACHE to a writable folder`);
        }
        if (code === 'ENOSPC') throw new UserError(`no space left on the device for a build of ${b.top} in the build cache ${root}: free some space`);
        throw e;
      })
      .finally(() => inFlight.delete(dir));
    inFlight.set(dir, pending);
  }
  const built = await pending;
  return { ...built, seconds: seconds() };
}

interface Job {
  top: string;
  files: string[];
  cppFiles: string[];
  flags: string[];
  root: string;
  key: string;
  dir: string;
  exe: string;
  onBuild?: VerilatedBuild['onBuild'];
}

const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Every file of an entry but the ones that change after the build (the use stamp) or describe it. */
function entryFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1))
    .filter((f) => f !== 'build.json' && f !== 'used')
    .sort();
}

/** Checked entries of this process: dir → the executable's size and mtime when it was checked. */
const verified = new Map<string, string>();

/**
 * 'ok', 'absent', or why the entry cannot be trusted. A corrupt entry's
 * executable could crash, or worse run and give wrong results, on every use.
 */
function checkEntry(dir: string, top: string): string {
  const exe = join(dir, exeName(top));
  let st;
  try {
    st = statSync(exe);
  } catch {
    return existsSync(dir) ? `no executable ${exeName(top)}` : 'absent';
  }
  const stamp = `${st.size}:${st.mtimeMs}`;
  if (verified.get(dir) === stamp) return 'ok';
  let manifest: { checksums?: Record<string, string> };
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8'));
  } catch {
    return 'no readable build.json';
  }
  const sums = manifest.checksums;
  if (!sums || typeof sums !== 'object') return 'build.json records no checksums';
  if (!(exeName(top) in sums)) return `build.json records no checksum of ${exeName(top)}`;
  for (const [file, sum] of Object.entries(sums)) {
    let actual: string;
    try {
      actual = sha256File(join(dir, file));
    } catch {
      return `${file} is missing`;
    }
    if (actual !== sum) return `${file} does not match its checksum`;
  }
  verified.set(dir, stamp);
  return 'ok';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function buildUnderLock(job: Job): Promise<BuildInfo> {
  await mkdir(job.root, { recursive: true });
  reclaimDead(job.root);
  const lockPath = `${job.dir}.lock`;
  const failedPath = `${job.dir}.failed`;
  let waitedSince: number | undefined;
  for (;;) {
    if (checkEntry(job.dir, job.top) === 'ok') return { exe: job.exe, key: job.key, dir: job.dir, hit: true, seconds: 0 };
    // The builder we waited for failed: its error is ours too (same inputs), rather than a second slow failure.
    if (waitedSince !== undefined && !existsSync(lockPath)) {
      const failed = await stat(failedPath).catch(() => undefined);
      if (failed && failed.mtimeMs >= waitedSince) throw new UserError(readFileSync(failedPath, 'utf8').trim());
    }
    let lock;
    try {
      lock = await open(lockPath, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      waitedSince ??= Date.now() - 1000;
      const holder = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      const age = Date.now() - ((await stat(lockPath).catch(() => undefined))?.mtimeMs ?? Date.now());
      // Another builder: wait for its result, or take over when it has died. A lock
      // still without a pid long after it was made lost its builder between the two steps.
      if ((Number.isInteger(holder) && holder > 0 && !processAlive(holder)) || (!(holder > 0) && age > EMPTY_LOCK_MS)) {
        await rm(lockPath, { force: true });
      } else {
        // A lock without a pid is a builder between creating and writing it; give it a moment.
        await sleep(150);
      }
      continue;
    }
    const lockGuard = removeOnExit(lockPath);
    try {
      await lock.writeFile(String(process.pid));
      await lock.close();
      if (checkEntry(job.dir, job.top) === 'ok') return { exe: job.exe, key: job.key, dir: job.dir, hit: true, seconds: 0 };
      await rm(failedPath, { force: true });
      job.onBuild?.({ top: job.top, key: job.key });
      try {
        await runBuild(job);
      } catch (e) {
        if (e instanceof UserError) await writeFile(failedPath, e.message);
        throw e;
      }
      return { exe: job.exe, key: job.key, dir: job.dir, hit: false, seconds: 0 };
    } finally {
      await rm(lockPath, { force: true });
      lockGuard.release();
    }
  }
}

/** A lock file is created empty and gets its pid right after; one still empty this long lost its builder. */
const EMPTY_LOCK_MS = 10_000;

async function runBuild(job: Job): Promise<void> {
  // The pid in the name lets the next build reclaim the folder if this process is killed (prune.ts).
  const tmp = await mkdtemp(join(job.root, `.tmp-${job.key}-${process.pid}-`));
  const tmpGuard = removeOnExit(tmp);
  const fail = async (what: string, command: string, log: string): Promise<never> => {
    const logPath = join(tmpdir(), `sparsegrad-verilator-${job.top}-${job.key.slice(0, 12)}.log`);
    await writeFile(logPath, `${command}\n\n${log}`);
    const first = log.split('\n').find((l) => /^%Error|error:/i.test(l))?.trim() ?? what;
    throw new UserError(`Verilator could not build ${job.top}: ${first} (full log: ${logPath})`);
  };
  try {
    const args = [
      '--cc', '--exe',
      '-O3', '--x-assign', 'fast', '--x-initial', 'fast',
      // Verilator 5.006's bit-op-tree folding miscompiles a bit select of an OR
      // with a sign-extended sum (found by test/generator/semantics.test.ts,
      // seed 362679989: y = ({7'd0,x} | {{3{s[6]}}, s})[9] gave 1 for s = 28).
      '-fno-const-bit-op-tree',
      '--Mdir', tmp,
      '--top-module', job.top,
      '-o', exeName(job.top),
      ...job.flags,
      ...job.files,
      ...job.cppFiles,
    ];
    // Run where the caller runs, so relative paths in flags (-I, -f) mean what they meant to the caller.
    const v = await runTool('verilator', args);
    if (v.exitCode !== 0) await fail(`verilator exited with ${v.exitCode}`, `verilator ${args.join(' ')}`, String(v.all ?? ''));

    const runtime = await prepareRuntimeObjects(tmp, job.top, MAKE_OVERRIDES);
    const makeArgs = ['-C', tmp, '-f', `${exeName(job.top)}.mk`, '-j', String(buildJobs()), ...MAKE_OVERRIDES, exeName(job.top)];
    const m = await runMake(makeArgs);
    if (m.exitCode !== 0 || !existsSync(join(tmp, exeName(job.top)))) await fail(`make exited with ${m.exitCode}`, `make ${makeArgs.join(' ')}`, m.log);
    await runtime.store();

    pruneObjects(tmp);
    const checksums = Object.fromEntries(entryFiles(tmp).map((f) => [f, sha256File(join(tmp, f))]));
    await writeFile(
      join(tmp, 'build.json'),
      `${JSON.stringify({ top: job.top, key: job.key, flags: job.flags, files: job.files, cppFiles: job.cppFiles, checksums }, null, 2)}\n`,
    );
    // The dir may hold a broken entry (its executable deleted): clear it so the rename can land.
    if (existsSync(job.dir)) await rm(job.dir, { recursive: true, force: true });
    markUsed(tmp);
    await rename(tmp, job.dir);
    pruneCache(job.root);
  } finally {
    await rm(tmp, { recursive: true, force: true });
    tmpGuard.release();
  }
}

/**
 * Verilator's makefiles compile the model -Os. At -O2 the default engine's
 * cosim job ran 2–11 % faster in three interleaved comparisons on the same
 * job (bench/README.md), for about 15 % more compile time on a miss.
 */
const MAKE_OVERRIDES = ['OPT_FAST=-O2'];

async function runMake(args: string[]): Promise<{ exitCode: number; log: string }> {
  try {
    const r = await execa('make', args, { reject: false, all: true });
    return { exitCode: r.exitCode ?? 1, log: String(r.all ?? '') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError('make is not installed: run scripts/setup (or apt-get install make g++)', EXIT.missingTool);
    throw e;
  }
}

/** Object files and archives are most of a build's size and are never reused. */
function pruneObjects(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (/\.(o|a|d|gch)$/.test(name)) rmSync(join(dir, name), { force: true });
  }
}

/** What a cache entry was built from (its build.json), for reports and debugging. */
export async function readBuildManifest(dir: string): Promise<{ top: string; key: string; flags: string[]; files: string[]; cppFiles: string[] } | undefined> {
  try {
    await stat(join(dir, 'build.json'));
    return JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Copies the cache entry that holds `exe` (a path buildVerilated returned) into the cache
 * rooted at `cacheRoot` in $SPARSEGRAD_CACHE's layout: an entry is keyed by its inputs'
 * content, so a copy serves any machine that builds the same inputs (a cluster's nodes).
 */
export async function copyCacheEntry(exe: string, cacheRoot: string): Promise<void> {
  const entry = dirname(exe);
  const to = join(cacheRoot, 'verilator', basename(entry));
  if (!existsSync(to)) await cp(entry, to, { recursive: true });
}
