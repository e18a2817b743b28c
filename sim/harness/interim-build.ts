/**
 * INTERIM, to be deleted: sim/build (the content-hash cached, concurrency-safe
 * Verilator build of the toolchain engineer) had not landed when the harness
 * needed to run. This keeps the same signature so run.ts switches with one
 * import line. Cache key: every RTL and C++ file's content, the flags and the
 * Verilator version; built in a temp folder and renamed into place, so
 * parallel builders of one key never see half a build.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../cli/errors.ts';
import { runTool, toolVersionLine } from '../../toolchain/index.ts';
import { REPO_ROOT } from '../rtl-locate.ts';

export interface VerilatedBuild {
  top: string;
  files: string[];
  cppFiles: string[];
  flags: string[];
  cacheDir?: string;
}

export async function buildVerilated(b: VerilatedBuild): Promise<string> {
  const h = createHash('sha256');
  h.update(await toolVersionLine('verilator'));
  h.update(JSON.stringify([b.top, b.flags]));
  for (const f of [...b.files, ...b.cppFiles]) h.update(f.split('/').pop()!).update(readFileSync(f));
  const key = h.digest('hex').slice(0, 24);
  const root = b.cacheDir ?? process.env.SPARSEGRAD_CACHE ?? join(REPO_ROOT, '.cache', 'verilator');
  const dir = join(root, key);
  const exe = join(dir, 'Vtb');
  if (existsSync(exe)) return exe;
  await mkdir(root, { recursive: true });
  const tmp = await mkdtemp(join(root, `.${key}-`));
  try {
    const r = await runTool('verilator', [
      '--cc', '--exe', '--build', '-O3', '--x-assign', 'fast', '--x-initial', 'fast', '-j', '2',
      '--Mdir', tmp, '--top-module', b.top, '-o', 'Vtb', ...b.flags, ...b.files, ...b.cppFiles,
    ], { reject: false });
    if (r.exitCode !== 0) {
      const first = String(r.stderr ?? r.stdout ?? '').split('\n').find((l) => /error/i.test(l)) ?? `exit code ${r.exitCode}`;
      throw new UserError(`Verilator could not build ${b.top}: ${first.trim()}`);
    }
    // A parallel builder of the same key may have won: keep theirs.
    await rename(tmp, dir).catch(async () => {
      if (!existsSync(exe)) throw new Error(`could not move the build of ${b.top} into the cache at ${dir}`);
    });
    return exe;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
