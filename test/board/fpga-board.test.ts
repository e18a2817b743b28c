/**
 * `sparsegrad fpga --board icebreaker`: the board top placed and routed on the UP5K with
 * the real pinout, a bitstream, and icetime's report (real tools; several minutes).
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { parseIcetime } from '../../fpga/board-flow.ts';
import { ICEBREAKER_DEFAULTS } from '../../generator/boards/icebreaker/index.ts';

const bin = fileURLToPath(new URL('../../bin/sparsegrad', import.meta.url));

describe('board: fpga --board icebreaker', function () {
  this.timeout(1_800_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'sparsegrad-fpga-board-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the total path delay of an icetime report (and nothing from a report without one)', () => {
    assert.equal(parseIcetime('Total number of logic levels: 12\nTotal path delay: 43.51 ns (22.98 MHz)\n'), 22.98);
    assert.equal(parseIcetime('icetime: no timing paths\n'), null);
  });

  it('another device than the board\'s UP5K is a usage error (exit 2)', async () => {
    const r = await execa(bin, ['fpga', '--board', 'icebreaker', '--device', 'hx8k', '--out', join(dir, 'x')], { reject: false });
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /^sparsegrad: error: --board icebreaker builds for the board's iCE40UP5K; --target ice40 --device up5k or nothing, not --device hx8k/);
    assert.ok(!existsSync(join(dir, 'x')), 'nothing written');
  });

  it('writes the bitstream, the icetime report and a report whose clock the placed design meets', async () => {
    const out = join(dir, 'icebreaker');
    const r = await execa('nice', ['-n', '10', bin, 'fpga', '--board', 'icebreaker', '--out', out], { reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
    const bin5k = readFileSync(join(out, 'build', 'icebreaker_top.bin'));
    assert.ok(bin5k.length > 100_000, `a UP5K bitstream is about 104 KB, got ${bin5k.length} bytes`);
    const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.equal(rep.preset, 'tiny');
    assert.equal(rep.cells.SB_SPRAM256KA, 4);
    assert.equal(rep.cells.SB_PLL40_PAD, 1);
    assert.equal(rep.clocking.pll.outMHz, ICEBREAKER_DEFAULTS.clockMHz);
    assert.ok(rep.meetsClock && rep.fmaxMHz >= ICEBREAKER_DEFAULTS.clockMHz, `Fmax ${rep.fmaxMHz}`);
    assert.ok(rep.icetimeMHz !== null, 'icetime reported a path delay');
    assert.match(readFileSync(join(out, 'build', 'icetime.txt'), 'utf8'), /Total path delay/);
    assert.match(readFileSync(join(out, 'constraints', 'icebreaker.pcf'), 'utf8'), /set_io clk_12m 35/);
    assert.match(r.stdout, /icebreaker_top, preset tiny, on the iCE40UP5K-SG48/);
  });
});
