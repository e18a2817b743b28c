/**
 * Every emitted engine goes through the tools an FPGA engineer will use:
 * Verilator -Wall with no waivers, Icarus in Verilog-2005 mode, Yosys generic
 * synthesis, and synth_ice40 (tiny, and default for the UP5K it must fit, once;
 * the dense engines differ only in the threshold unit). Wide is linted and elaborated; its synthesis is a
 * `sparsegrad fpga` run, too long for the test budget.
 */
import { strict as assert } from 'node:assert';
import { presetNames } from '../../engine/config.ts';
import { checkIverilog, lintVerilator, synthYosys } from '../../toolchain/lint.ts';
import { rtlFiles } from './helpers.ts';

const TOPS = ['sparse_bwd_engine', 'dense_bwd_engine'] as const;

describe('engine RTL: lint, elaboration and synthesis', () => {
  for (const preset of presetNames()) {
    for (const top of TOPS) {
      it(`${preset}/${top}: verilator --lint-only -Wall is clean, iverilog -g2005 elaborates`, async () => {
        const files = rtlFiles(preset, top);
        const lint = await lintVerilator(files, top);
        assert.deepEqual(lint.diagnostics.filter((d) => d.tool === 'verilator'), [], 'no Verilator warnings at all');
        await checkIverilog(files, top);
      });
    }
  }

  it('tiny/sparse_bwd_engine: yosys synth and synth_ice40 pass, with block RAM for the queues and accumulators', async () => {
    const files = rtlFiles('tiny', 'sparse_bwd_engine');
    const generic = await synthYosys(files, 'sparse_bwd_engine');
    assert.ok(generic.stat.cells > 0);
    const ice = await synthYosys(files, 'sparse_bwd_engine', { target: 'ice40' });
    assert.ok((ice.stat.cellsByType.SB_RAM40_4K ?? 0) >= 3, `expected the index queue, y and a memories in SB_RAM40_4K, got ${JSON.stringify(ice.stat.cellsByType)}`);
  });

  it('tiny/dense_bwd_engine: yosys synth passes', async () => {
    const generic = await synthYosys(rtlFiles('tiny', 'dense_bwd_engine'), 'dense_bwd_engine');
    assert.ok(generic.stat.cells > 0);
  });

  // Placement (logic cells, Fmax) is `sparsegrad fpga`'s measurement; here the resource counts.
  it('default/sparse_bwd_engine: synth_ice40 for a UP5K passes within its LUT4, block-RAM and DSP counts', async () => {
    const ice = await synthYosys(rtlFiles('default', 'sparse_bwd_engine'), 'sparse_bwd_engine', { target: 'ice40-up5k' });
    const c = ice.stat.cellsByType;
    const ffs = Object.entries(c).filter(([k]) => k.startsWith('SB_DFF')).reduce((s, [, v]) => s + v, 0);
    console.log(`      default sparse on a UP5K: ${c.SB_LUT4} LUT4, ${ffs} DFF, ${c.SB_RAM40_4K} RAM40_4K, ${c.SB_MAC16} MAC16`);
    assert.ok((c.SB_LUT4 ?? 0) <= 5280, `${c.SB_LUT4} LUT4 do not fit a UP5K (5280)`);
    assert.ok((c.SB_RAM40_4K ?? 0) <= 30, `${c.SB_RAM40_4K} block RAMs do not fit a UP5K (30)`);
    assert.ok((c.SB_MAC16 ?? 0) <= 8, `${c.SB_MAC16} DSPs do not fit a UP5K (8)`);
  });
});
