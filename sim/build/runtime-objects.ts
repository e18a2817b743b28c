/**
 * Verilator's runtime library (verilated.o, verilated_threads.o, and
 * verilated_vcd_c.o for traced models) is compiled into every build and costs
 * most of a small model's build time. It depends only on how Verilator
 * configured the build, not on the design, so it is compiled once per
 * configuration and kept in <default cache root>/runtime/<key>/; a new build
 * gets copies, which make then sees as up to date.
 *
 * The key: the Verilator and compiler versions, the VM_* settings Verilator
 * wrote into V<top>_classes.mk and V<top>.mk (trace, coverage, timing,
 * SystemC, user CFLAGS), the compiler-related environment and make overrides,
 * and the object list.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { toolVersionLine } from '../../toolchain/index.ts';
import { removeOnExit } from '../../util/atomic.ts';
import { compilerVersion, verilatorCacheRoot } from './cache-key.ts';

const COMPILER_ENV = ['CXX', 'CXXFLAGS', 'CPPFLAGS', 'OPT', 'OPT_FAST', 'OPT_SLOW', 'OPT_GLOBAL', 'OBJCACHE'];

/** The names listed in a make variable assigned with `+= \` continuation lines. */
function makeList(text: string, variable: string): string[] {
  const m = new RegExp(`^${variable} \\+= \\\\\\n((?:\\t.*\\\\\\n)*)`, 'm').exec(text);
  return m ? m[1]!.split('\n').map((l) => l.replace(/\\$/, '').trim()).filter(Boolean) : [];
}

export async function prepareRuntimeObjects(mdir: string, top: string, makeOverrides: readonly string[]): Promise<{ store(): Promise<void> }> {
  const classes = readFileSync(join(mdir, `V${top}_classes.mk`), 'utf8');
  const main = readFileSync(join(mdir, `V${top}.mk`), 'utf8');
  const objects = [...makeList(classes, 'VM_GLOBAL_FAST'), ...makeList(classes, 'VM_GLOBAL_SLOW')].map((n) => `${n}.o`);
  const h = createHash('sha256');
  h.update(await toolVersionLine('verilator')).update('\n').update(await compilerVersion()).update('\n');
  for (const line of classes.split('\n')) if (/^VM_[A-Z0-9_]+ = /.test(line)) h.update(line).update('\n');
  for (const line of main.split('\n')) if (/^VM_(SC|PROFC|SP_OR_SC|PCLI) = /.test(line)) h.update(line).update('\n');
  h.update(JSON.stringify(makeList(main, 'VM_USER_CFLAGS')));
  h.update(JSON.stringify(COMPILER_ENV.map((k) => process.env[k] ?? '')));
  h.update(JSON.stringify(makeOverrides));
  h.update(JSON.stringify(objects));
  const dir = join(verilatorCacheRoot(), 'runtime', h.digest('hex').slice(0, 32));

  if (objects.length > 0 && objects.every((o) => existsSync(join(dir, o)))) {
    for (const o of objects) copyFileSync(join(dir, o), join(mdir, o));
    return { store: async () => {} };
  }
  return {
    store: async () => {
      if (objects.length === 0 || existsSync(dir) || !objects.every((o) => existsSync(join(mdir, o)))) return;
      await mkdir(join(dir, '..'), { recursive: true });
      const tmp = await mkdtemp(`${dir}.tmp-${process.pid}-`);
      const guard = removeOnExit(tmp);
      try {
        for (const o of objects) copyFileSync(join(mdir, o), join(tmp, o));
        // Another build may have stored the same objects first; theirs are as good.
        await rename(tmp, dir).catch(() => undefined);
      } finally {
        await rm(tmp, { recursive: true, force: true });
        guard.release();
      }
    },
  };
}
