import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { UserError } from '../../util/errors.ts';
import { buildVerilatedInfo, pruneCache, type VerilatedBuild } from '../../sim/build/index.ts';
import { buildKey } from '../../sim/build/cache-key.ts';

const WORKER = fileURLToPath(new URL('./build-worker.ts', import.meta.url));

const ACC = (step: string) => `\`include "acc_defs.vh"
module acc #(parameter W = \`ACC_W) (input wire clk, input wire [W-1:0] d, output reg [W-1:0] q);
  always @(posedge clk) q <= q + ${step};
endmodule
`;

const MAIN = `#include "Vacc.h"
#include "verilated.h"
#include <cstdio>
int main() {
  Vacc top;
  top.q = 0;
  for (int i = 1; i <= 10; i++) { top.d = i; top.clk = 0; top.eval(); top.clk = 1; top.eval(); }
  std::printf("sum %u\\n", (unsigned)top.q);
  return 0;
}
`;

function inWorker(request: VerilatedBuild): Promise<{ exe?: string; hit?: boolean; error?: string }> {
  return execa('node', ['--import', 'tsx', WORKER, JSON.stringify(request)], { cwd: fileURLToPath(new URL('../..', import.meta.url)) }).then((r) => JSON.parse(r.stdout));
}

/** What a cache folder holds besides finished entries: must be nothing after any build. */
function leftovers(root: string): string[] {
  return readdirSync(root).filter((n) => n.startsWith('.tmp-') || n.endsWith('.lock'));
}

describe('sim/build: cached Verilator builds', () => {
  let dir: string;
  let cache: string;
  let request: VerilatedBuild;
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sparsegrad-build-'));
    cache = join(dir, 'cache');
    write('acc_defs.vh', '`define ACC_W 8\n');
    write('acc.v', ACC('d'));
    write('main.cpp', MAIN);
    request = { top: 'acc', files: [join(dir, 'acc.v')], cppFiles: [join(dir, 'main.cpp')], flags: [`-I${dir}`], cacheDir: cache };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('builds once when several processes and calls ask for the same key at the same time', async () => {
    const [a, b, local1, local2] = await Promise.all([inWorker(request), inWorker(request), buildVerilatedInfo(request), buildVerilatedInfo(request)]);
    assert.equal(a.error, undefined, a.error);
    assert.equal(b.error, undefined, b.error);
    assert.deepEqual([local2.exe, local2.hit], [local1.exe, local1.hit], 'calls in one process share one build');
    assert.deepEqual(new Set([a.exe, b.exe, local1.exe]).size, 1);
    const builders = [a.hit, b.hit, local1.hit].filter((hit) => hit === false).length;
    assert.equal(builders, 1, 'exactly one process ran Verilator; the others waited for it');
    assert.deepEqual(leftovers(cache), []);
    assert.equal((await execa(local1.exe)).stdout, 'sum 55');
  });

  it('returns the cached executable on a hit', async () => {
    const first = await buildVerilatedInfo(request);
    const again = await buildVerilatedInfo(request);
    assert.equal(again.hit, true);
    assert.equal(again.exe, first.exe);
    console.log(`      cache hit in ${(again.seconds * 1000).toFixed(1)} ms`);
  });

  it('keys on contents: RTL, C++, included files, names, flags and tracing; not on where the files are', async () => {
    const base = await buildKey({ top: 'acc', files: request.files, cppFiles: request.cppFiles, flags: request.flags! });
    const key = (over: Partial<{ files: string[]; cppFiles: string[]; flags: string[]; top: string }>) =>
      buildKey({ top: 'acc', files: request.files, cppFiles: request.cppFiles, flags: request.flags!, ...over });
    assert.notEqual(await key({ flags: [...request.flags!, '-GW=4'] }), base);
    assert.notEqual(await key({ flags: [...request.flags!, '--trace'] }), base);
    assert.notEqual(await key({ top: 'acc2' }), base);
    // The same files elsewhere share the key (paths are not part of it) ...
    const copy = join(dir, 'copy');
    mkdirSync(copy);
    for (const f of ['acc.v', 'main.cpp', 'acc_defs.vh']) cpSync(join(dir, f), join(copy, f));
    assert.equal(await buildKey({ top: 'acc', files: [join(copy, 'acc.v')], cppFiles: [join(copy, 'main.cpp')], flags: request.flags! }), base);
    // ... and any change of content, including in an `include'd file, does not.
    writeFileSync(join(copy, 'acc_defs.vh'), '`define ACC_W 9\n');
    assert.notEqual(await buildKey({ top: 'acc', files: [join(copy, 'acc.v')], cppFiles: [join(copy, 'main.cpp')], flags: [`-I${copy}`] }), base);
    writeFileSync(join(copy, 'main.cpp'), `${MAIN}// edited\n`);
    assert.notEqual(await buildKey({ top: 'acc', files: request.files, cppFiles: [join(copy, 'main.cpp')], flags: request.flags! }), base);
    cpSync(join(dir, 'acc.v'), join(copy, 'renamed.v'));
    assert.notEqual(await key({ files: [join(copy, 'renamed.v')] }), base);
  });

  it('rebuilds on a changed file, taking over the lock of a builder that died', async () => {
    write('acc.v', ACC('(d << 1)'));
    const key = await buildKey({ top: 'acc', files: request.files, cppFiles: request.cppFiles, flags: request.flags! });
    const started: string[] = [];
    const dead = await execa('node', ['-e', 'process.stdout.write(String(process.pid))']);
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(cache, `${key}.lock`), dead.stdout);
    const r = await buildVerilatedInfo({ ...request, onBuild: (b) => started.push(b.key) });
    assert.equal(r.hit, false);
    assert.deepEqual(started, [key], 'onBuild is told when Verilator really runs');
    assert.equal((await execa(r.exe)).stdout, 'sum 110');
    assert.deepEqual(leftovers(cache), []);
    write('acc.v', ACC('d'));
  });

  it('rebuilds an entry whose executable was deleted', async () => {
    const r = await buildVerilatedInfo(request);
    unlinkSync(r.exe);
    const again = await buildVerilatedInfo(request);
    assert.equal(again.hit, false);
    assert.equal((await execa(again.exe)).stdout, 'sum 55');
  });

  it('reports a failing build in one line, leaves nothing in the cache, and gives waiting builders the same error', async () => {
    write('bad.cpp', MAIN.replace('top.eval();', 'top.eval() +;'));
    const bad = { ...request, cppFiles: [join(dir, 'bad.cpp')] };
    const [worker, local] = await Promise.all([inWorker(bad), buildVerilatedInfo(bad).then(() => undefined, (e: unknown) => e)]);
    assert.ok(local instanceof UserError, String(local));
    assert.match(local.message, /^Verilator could not build acc: .*bad\.cpp:\d+:\d+: error: .* \(full log: .*\.log\)$/);
    assert.doesNotMatch(local.message, /\n/);
    assert.ok(worker.error, 'the other process failed too');
    assert.match(worker.error, /^Verilator could not build acc: .*bad\.cpp/);
    const key = await buildKey({ top: 'acc', files: bad.files, cppFiles: bad.cppFiles, flags: bad.flags! });
    assert.equal(existsSync(join(cache, key)), false);
    assert.deepEqual(leftovers(cache), []);
  });

  it('prunes least recently used entries beyond the limit, never recently used ones', () => {
    const root = join(dir, 'prune');
    const now = Date.now() / 1000;
    const ages = [5000, 100, 9000, 7000, 3];
    const names = ages.map((age, i) => {
      const name = String(i).repeat(32);
      mkdirSync(join(root, name), { recursive: true });
      writeFileSync(join(root, name, 'used'), '');
      utimesSync(join(root, name, 'used'), now - age, now - age);
      return name;
    });
    mkdirSync(join(root, 'runtime'));
    mkdirSync(join(root, '.tmp-abandoned'));
    utimesSync(join(root, '.tmp-abandoned'), now - 7 * 3600, now - 7 * 3600);
    mkdirSync(join(root, '.tmp-building'));
    // Keep 2: the oldest (9000 s, 7000 s, 5000 s) would go, but 5000 s is younger than the 6000 s floor.
    const removed = pruneCache(root, { maxEntries: 2, minAgeMs: 6000_000 }).map((d) => basename(d));
    assert.deepEqual(removed, ['.tmp-abandoned', names[2], names[3]]);
    assert.deepEqual(readdirSync(root).sort(), [names[0], names[1], names[4], '.tmp-building', 'runtime'].sort());
  });

  it('rejects requests that cannot name a build', async () => {
    await assert.rejects(buildVerilatedInfo({ ...request, top: 'not a name' }), /'not a name' is not a Verilog module name/);
    await assert.rejects(buildVerilatedInfo({ ...request, files: [join(dir, 'missing.v')] }), /cannot read RTL file .*missing\.v \(ENOENT\): check the file list/);
  });
});
