/**
 * Faults during `fpga` (tiny preset, generic target, one design: synthesis
 * only, the cheapest run that still starts Yosys): a read-only output folder, a
 * file as --out, SIGINT/SIGTERM/SIGKILL at random (seeded) points, and Verilog
 * that does not parse. After each, the previous bundle is byte-identical and
 * no staging folder is left (after SIGKILL: once the next run has started).
 *
 * Before the shared staging (util/atomic.ts), SIGTERM left the `.out.tmp-<pid>`
 * bundle folder behind, and a synthesis that failed exited 0.
 */
import { strict as assert } from 'node:assert';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../util/errors.ts';
import { announceSeed, assertOneLineError, cli, litter, makeReadOnly, makeWritable, mountTmpfs, rng, seed, signalWhileStaging, snapshot, unmount, withoutLitter } from './helpers.ts';

const fpgaArgs = (out: string) => ['fpga', '--preset', 'tiny', '--target', 'generic', '--top', 'sparse_bwd_engine', '--no-progress', '--out', out];

describe('reliability: fpga', function () {
  let root: string;
  let bundle: Record<string, string>;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'sg-rel-fpga-'));
    announceSeed();
    const first = await cli(fpgaArgs(join(root, 'w', 'fp')));
    assert.equal(first.exitCode, 0, first.all);
    bundle = snapshot(join(root, 'w'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a read-only output folder and a file as --out: one line, nothing changed', async () => {
    const disk = join(root, 'ro');
    const mounted = await mountTmpfs(disk, '8m');
    try {
      cpSync(join(root, 'w'), disk, { recursive: true });
      await makeReadOnly(disk, mounted);
      const r = await cli(fpgaArgs(join(disk, 'fp')));
      assertOneLineError(r, EXIT.input, mounted ? /read-only file system/ : /permission denied/);
      assert.deepEqual(snapshot(disk), bundle);
      await makeWritable(disk, mounted);
    } finally {
      if (mounted) await unmount(disk);
    }
    const file = join(root, 'a-file');
    writeFileSync(file, 'mine');
    const r = await cli(fpgaArgs(file));
    assertOneLineError(r, EXIT.input, /--out .*a-file is a file, not a folder/);
  });

  for (const [i, signal] of (['SIGINT', 'SIGTERM', 'SIGKILL'] as const).entries()) {
    it(`${signal} at a random point: the previous bundle is unchanged${signal === 'SIGKILL' ? ', and the next run cleans up and succeeds' : ' and no staging folder is left'}`, async () => {
      const w = join(root, 'w');
      const delay = Math.round(4000 * rng(seed + 20 + i)());
      console.log(`      ${signal} ${delay} ms after the bundle was staged`);
      // SIGKILL goes to the whole process group: a Yosys orphaned by a killed CLI would run on for
      // half a minute, slowing the suite without testing anything more (scripts/soak kills the CLI alone).
      const run = cli(fpgaArgs(join(w, 'fp')), { detached: signal === 'SIGKILL' });
      signalWhileStaging(run, w, signal, delay, signal === 'SIGKILL');
      const r = await run;
      if (signal !== 'SIGKILL') {
        // A run that finished first wrote the same bundle again (the flow is deterministic).
        assert.ok(r.exitCode === 0 || r.exitCode === 128 + (signal === 'SIGINT' ? 2 : 15) || r.signal === signal, `exit ${r.exitCode} ${r.signal}\n${r.all}`);
        assert.deepEqual(snapshot(w), bundle);
        return;
      }
      assert.deepEqual(withoutLitter(snapshot(w)), bundle);
      const next = await cli(fpgaArgs(join(w, 'fp')));
      assert.equal(next.exitCode, 0, next.all);
      assert.deepEqual(litter(snapshot(w)), []);
      assert.deepEqual(snapshot(w), bundle);
    });
  }

  it('Verilog that does not parse: the bundle (with the log) is written, and the exit says the synthesis failed', async () => {
    const rtl = join(root, 'bad-rtl');
    mkdirSync(rtl);
    // The assignment has no right-hand side: Yosys stops with a syntax error.
    writeFileSync(join(rtl, 'broken.v'), 'module broken(input wire clk, output reg q);\n  always @(posedge clk) q <= ;\nendmodule\n');
    writeFileSync(join(rtl, 'manifest.json'), JSON.stringify({ top: 'broken', modules: [{ name: 'broken', clock: 'clk' }] }));
    const out = join(root, 'bad');
    const r = await cli(['fpga', '--rtl', rtl, '--top', 'broken', '--target', 'generic', '--no-progress', '--out', out]);
    assertOneLineError(r, EXIT.designFailure, /synthesis of broken for generic .* failed: yosys failed .*broken\.v:2: .*syntax error/);
    assert.ok(snapshot(out)['broken/build/generic/engine.yosys.log'], 'the log is in the bundle');
  });
});
