/** The PLL settings the board top uses are the ones icestorm's icepll computes. */
import { strict as assert } from 'node:assert';
import { execa } from 'execa';
import { filterRangeFor, pllSetting } from '../../generator/boards/icebreaker/pll.ts';

async function icepll(outMHz: number): Promise<{ divr: number; divf: number; divq: number; filter: number; achieved: number }> {
  const r = await execa('icepll', ['-i', '12', '-o', String(outMHz)], { reject: false });
  if (r.exitCode !== 0 && !r.stdout) throw new Error("icepll (icestorm) is not installed: run scripts/setup (Debian: apt-get install fpga-icestorm)");
  const num = (re: RegExp): number => Number(re.exec(r.stdout)![1]);
  return { divr: num(/DIVR:\s+(\d+)/), divf: num(/DIVF:\s+(\d+)/), divq: num(/DIVQ:\s+(\d+)/), filter: num(/FILTER_RANGE:\s+(\d+)/), achieved: num(/F_PLLOUT:\s+([\d.]+) MHz \(achieved\)/) };
}

describe('board: SB_PLL40 settings', () => {
  for (const f of [16, 18, 20, 21, 23.5, 24, 30, 48, 100]) {
    it(`${f} MHz from 12 MHz: the same DIVR, DIVF, DIVQ and FILTER_RANGE as icepll`, async () => {
      const want = await icepll(f);
      const got = pllSetting(12, f);
      assert.deepEqual({ divr: got.divr, divf: got.divf, divq: got.divq, filter: got.filterRange }, { divr: want.divr, divf: want.divf, divq: want.divq, filter: want.filter });
      assert.ok(Math.abs(got.outMHz - want.achieved) < 0.001);
    });
  }

  it('the output is F_in·(DIVF+1) / ((DIVR+1)·2^DIVQ) with the VCO in range', () => {
    const s = pllSetting(12, 18);
    assert.equal((12 * (s.divf + 1)) / ((s.divr + 1) * 2 ** s.divq), s.outMHz);
    assert.ok(s.vcoMHz >= 533 && s.vcoMHz <= 1066);
  });

  it('FILTER_RANGE follows the phase detector frequency (a wrong table gives a wrong range here)', () => {
    assert.deepEqual([12, 16.9, 17, 25.9, 26, 43.9, 44, 65.9, 66, 100.9, 101].map(filterRangeFor), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
  });
});
