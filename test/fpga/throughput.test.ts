import { strict as assert } from 'node:assert';
import { denseBaseline, getPreset } from '../../engine/config.ts';
import { fixedLatency } from '../../engine/cycles.ts';
import { denseEquivalentMMACs, throughputBasis } from '../../fpga/throughput.ts';
import { formatReportTable } from '../../fpga/table.ts';
import type { DeviceResult, FpgaReport } from '../../fpga/flow.ts';

describe('fpga dense-equivalent throughput', () => {
  it('takes the speedup of the tiny preset from the cycle model, as a hand count gives it', () => {
    // tiny: N = 2 lanes, P = 4 values a beat, rMax = 64, kMax = 16. The layer: R = 64, K = 16,
    // S = 128 vectors, 64 − round(0.85·64) = 10 nonzero gradients each, one job (one column tile).
    // Sparse: 10 rows × ⌈16/2⌉ = 80 cycles a vector (the ⌈64/4⌉ = 16 gradient beats hide under them);
    // dense: all 64 rows × 8 = 512. The per-job latency is the pipeline's (engine/cycles.ts), the
    // same for both engines, taken as is so this count does not go stale when the pipeline deepens.
    const Ld = fixedLatency('data', 20);
    const Lw = fixedLatency('weight', 20);
    const b = throughputBasis(getPreset('tiny'));
    assert.deepEqual([b.R, b.K, b.S, b.nnzPerVector, b.memLatencyCycles], [64, 16, 128, 10, 20]);
    assert.equal(b.sparsity, 0.84375);
    assert.deepEqual(b.idealCycles, {
      sparse: { data: 128 * 80 + Ld, weight: 128 * 80 + Lw },
      dense: { data: 128 * 512 + Ld, weight: 128 * 512 + Lw },
    });
    const layer = (2 * 128 * 512 + Ld + Lw) / (2 * 128 * 80 + Ld + Lw);
    assert.ok(Math.abs(b.speedup.layer - layer) < 5e-5, `${b.speedup.layer} vs ${layer}`);
    // At today's pipeline (10 stages, 2 drain, latency 20): 131155 / 20563.
    assert.ok(b.speedup.layer > 6.3 && b.speedup.layer < 6.4);
    // 2 lanes at 30 MHz, each MAC worth `layer` dense MACs.
    assert.equal(denseEquivalentMMACs(2, 30, b.speedup.layer), Math.round(2 * 30 * b.speedup.layer * 100) / 100);
    assert.equal(denseEquivalentMMACs(2, 30, 1), 60, 'the dense baseline: lanes × Fmax');
  });

  it('is the speedup of zero skipping whichever engine of the pair the configuration names', () => {
    // Handing it the dense baseline's configuration must not give a speedup of 1 for the sparse engine.
    const cfg = getPreset('default');
    assert.deepEqual(throughputBasis(denseBaseline(cfg)), throughputBasis(cfg));
    assert.ok(throughputBasis(cfg).speedup.layer > 6.6, 'default preset, 85 % sparsity: close to 1/0.15');
  });

  it('prints the column, the basis and the measured figure, and the lower bound of a design that does not fit', () => {
    const basis = throughputBasis(getPreset('tiny'));
    const res = (top: string, role: DeviceResult['role'], device: string, pnr: DeviceResult['pnr'], throughput?: DeviceResult['throughput']): DeviceResult => ({
      top,
      role,
      device,
      deviceLabel: device,
      synth: { status: 'ok', capacity: { luts: 7680, ffs: 7680, brams: 32, dsps: 0, ios: 206 }, resources: { luts: 1, ffs: 1, carries: 0, brams: 0, dsps: 0, lutrams: 0, srls: 0, sprams: 0, inverters: 0, other: {} } },
      pnr,
      ...(throughput ? { throughput } : {}),
    });
    const rep: FpgaReport = {
      kind: 'sparsegrad-fpga-report',
      version: 1,
      target: 'ice40',
      clockMHz: 25,
      seed: 1,
      tools: {},
      notRun: [],
      designs: [],
      comparisons: [],
      goals: { lutOverheadPct: 10, fmaxLossPct: 5 },
      throughput: basis,
      results: [
        res('sparse_bwd_engine', 'sparse', 'hx8k', { status: 'ok', fits: true, fmaxMHz: 30 }, { lanes: 2, fmaxMHz: 30, speedup: basis.speedup.layer, mmacPerS: denseEquivalentMMACs(2, 30, basis.speedup.layer) }),
        res('dense_bwd_engine', 'dense', 'hx8k', {
          status: 'failed',
          fits: false,
          reason: 'does not fit iCE40HX8K-CT256 (lower bound: 7857 cells of 7680, from the harness netlist: …); place and route skipped',
          lowerBound: { resource: 'ICESTORM_LC', need: 7857, available: 7680, cells: '6812 SB_LUT4 + 2677 flip-flops − 1632 LUT→FF pairs' },
        }),
      ],
    };
    const t = formatReportTable(rep);
    assert.match(t, /dense-eq MMAC\/s/);
    assert.match(t, new RegExp(`sparse_bwd_engine .* 30\\.0 .* ${(2 * 30 * basis.speedup.layer).toFixed(1).replace('.', '\\.')}\\n`));
    assert.match(t, /does not fit \(lower bound: 7857 cells of 7680\)/);
    assert.match(t, /cycle model's bound/);
    assert.match(t, /R = rMax = 64, K = kMax = 16, S = 128 vectors of 10 nonzero gradients \(84\.38 % sparsity\)/);
    assert.match(t, /Measured: co-simulation of rtl\/default .* 6\.65× data, 6\.66× weight/);
    // Placement that runs out of sites gets no bound in the Fmax column, only the words.
    rep.results[1]!.pnr.lowerBound = { resource: 'ICESTORM_LC', need: 5000, available: 7680, cells: 'x' };
    assert.doesNotMatch(formatReportTable(rep), /lower bound: 5000/);
  });
});
