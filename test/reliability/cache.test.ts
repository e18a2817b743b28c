/**
 * The build cache heals itself: a corrupt or partial entry (truncated
 * executable, an executable replaced by other bytes of the same size, a missing
 * build.json) is reported in one line, removed and rebuilt; the temp folder and
 * the lock of a builder that was SIGKILLed are reclaimed by the next build; two
 * processes finding the same corrupt entry rebuild it once; a read-only cache
 * that needs a build says so in one line.
 *
 * Before build.json recorded checksums, a truncated or replaced executable was
 * used again and again (only a deleted one was rebuilt), and an empty lock or a
 * young temp folder of a dead builder stayed forever.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { buildVerilatedInfo, type VerilatedBuild } from '../../sim/build/index.ts';
import { buildKey } from '../../sim/build/cache-key.ts';
import { makeReadOnly, makeWritable, mountTmpfs, unmount } from './helpers.ts';

const WORKER = fileURLToPath(new URL('../sim-build/build-worker.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

const ACC = 'module acc (input wire clk, input wire [7:0] d, output reg [7:0] q);\n  always @(posedge clk) q <= q + d;\nendmodule\n';
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

function inWorker(request: VerilatedBuild): Promise<{ exe?: string; hit?: boolean; error?: string; stderr: string }> {
  return execa('node', ['--import', 'tsx', WORKER, JSON.stringify(request)], { cwd: REPO }).then((r) => ({ ...JSON.parse(r.stdout), stderr: r.stderr }));
}

/** Temp folders and locks: nothing may remain after a build. */
const leftovers = (root: string) => readdirSync(root).filter((n) => n.startsWith('.tmp-') || n.endsWith('.lock'));

describe('reliability: the build cache verifies itself', function () {
  let dir: string;
  let request: VerilatedBuild;
  let entry: string;
  let exe: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sg-rel-cache-'));
    writeFileSync(join(dir, 'acc.v'), ACC);
    writeFileSync(join(dir, 'main.cpp'), MAIN);
    request = { top: 'acc', files: [join(dir, 'acc.v')], cppFiles: [join(dir, 'main.cpp')], cacheDir: join(dir, 'cache') };
    const r = await buildVerilatedInfo(request);
    entry = r.dir;
    exe = r.exe;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Each case corrupts the entry, then a fresh process (no memory of the entry being checked) asks for it.
  const corruptions: [string, () => void, RegExp][] = [
    ['a truncated executable', () => truncateSync(exe, 100), /Vacc does not match its checksum/],
    ['an executable replaced by other bytes of the same size', () => {
      const b = readFileSync(exe);
      b[b.length >> 1] ^= 0xff;
      writeFileSync(exe, b);
    }, /Vacc does not match its checksum/],
    ['a missing build.json (an entry copied in half)', () => unlinkSync(join(entry, 'build.json')), /no readable build\.json/],
    ['a deleted generated source', () => unlinkSync(join(entry, 'Vacc.h')), /Vacc\.h is missing/],
  ];
  for (const [what, corrupt, why] of corruptions) {
    it(`${what}: one line, removed and rebuilt`, async () => {
      corrupt();
      const r = await inWorker(request);
      assert.equal(r.error, undefined, r.error);
      assert.equal(r.hit, false, 'rebuilt');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, new RegExp(`^sparsegrad: build cache entry .* is corrupt \\(.*\\); removing it and rebuilding acc$`));
      assert.match(lines[0]!, why);
      assert.equal((await execa(exe)).stdout, 'sum 55');
      const again = await inWorker(request);
      assert.equal(again.hit, true, 'the rebuilt entry is trusted');
      assert.equal(again.stderr, '');
    });
  }

  it('two processes that find the same corrupt entry: one rebuilds, both succeed', async () => {
    truncateSync(exe, 10);
    const [a, b] = await Promise.all([inWorker(request), inWorker(request)]);
    assert.equal(a.error, undefined, a.error);
    assert.equal(b.error, undefined, b.error);
    assert.equal([a.hit, b.hit].filter((h) => h === false).length, 1, 'one rebuilt it, the other waited for that build');
    assert.equal((await execa(exe)).stdout, 'sum 55');
    assert.deepEqual(leftovers(join(dir, 'cache')), []);
  });

  it('reclaims the temp folder and the (empty) lock of a builder that was SIGKILLed', async () => {
    writeFileSync(join(dir, 'acc.v'), ACC.replace('q + d', 'q + d + 1'));
    const key = await buildKey({ top: 'acc', files: request.files, cppFiles: request.cppFiles, flags: [] });
    const root = join(dir, 'cache');
    const dead = Number((await execa('node', ['-e', 'process.stdout.write(String(process.pid))'])).stdout);
    mkdirSync(join(root, `.tmp-${key}-${dead}-abcdef`));
    writeFileSync(join(root, `.tmp-${key}-${dead}-abcdef`, 'Vacc.cpp'), 'half');
    // A lock file is created empty and gets its pid right after: killed in between, it stays empty.
    writeFileSync(join(root, `${key}.lock`), '');
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(root, `${key}.lock`), past, past);
    const r = await buildVerilatedInfo(request);
    assert.equal(r.hit, false);
    assert.equal((await execa(r.exe)).stdout, 'sum 65');
    assert.deepEqual(leftovers(root), []);
    writeFileSync(join(dir, 'acc.v'), ACC);
  });

  it('a read-only cache that needs a build: one line saying so', async () => {
    const disk = join(dir, 'rocache');
    const mounted = await mountTmpfs(disk, '1m');
    try {
      await makeReadOnly(disk, mounted);
      const r = await inWorker({ ...request, cacheDir: disk });
      assert.match(r.error ?? '', mounted
        ? /^the build cache .* is read-only \(EROFS\) and acc needs a build: make it writable or set SPARSEGRAD_CACHE to a writable folder$/
        : /^the build cache .* is read-only \(EACCES\) and acc needs a build/);
      await makeWritable(disk, mounted);
    } finally {
      if (mounted) await unmount(disk);
    }
  });
});
