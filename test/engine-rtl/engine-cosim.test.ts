/**
 * The engine RTL in Verilator against the bit-exact model, through the AXI
 * harness: random problems with backpressure on every stream, random memory
 * latency and stalls, and the corner cases each block has (see
 * docs/engine-microarchitecture.md). Values and every counter must match exactly.
 */
import { strict as assert } from 'node:assert';
import { Rng } from '../../golden/rng.ts';
import { getPreset } from '../../engine/config.ts';
import type { EngineMode } from '../../engine/jobs.ts';
import { describeMismatch } from '../../sim/engine/compare.ts';
import { describeViolation } from '../../sim/harness/rules.ts';
import { measureLayer, type LayerMeasurement } from '../../sim/engine/measure.ts';
import type { Backpressure } from '../../sim/harness/job.ts';
import { prepareTestbench, runSimJob, type Testbench } from '../../sim/harness/run.ts';
import { randomProblem, rtlFiles, testSeed, type ProblemShape } from './helpers.ts';

const PRESET = 'tiny';

interface Case {
  name: string;
  dense?: boolean;
  mode: EngineMode;
  shape: ProblemShape;
  backpressure: Backpressure;
  memLatency: number;
  stall?: number;
  padBeats?: number;
  wBase?: number;
}

describe('engine RTL vs the bit-exact model (tiny preset, Verilator)', function () {
  const benches: Partial<Record<'sparse' | 'dense', Testbench>> = {};

  before(async function () {
    benches.sparse = await prepareTestbench({ top: 'sparse_bwd_engine', rtlFiles: rtlFiles(PRESET, 'sparse_bwd_engine') });
    benches.dense = await prepareTestbench({ top: 'dense_bwd_engine', rtlFiles: rtlFiles(PRESET, 'dense_bwd_engine') });
  });

  async function run(c: Case, seed: number): Promise<LayerMeasurement> {
    const cfg = getPreset(PRESET, { dense: c.dense });
    const p = randomProblem(cfg, new Rng(seed), c.shape);
    const tb = c.dense ? benches.dense! : benches.sparse!;
    const m = await measureLayer(cfg, p, c.mode, (job) => runSimJob(tb, job), {
      memLatency: c.memLatency, stallProbability: c.stall ?? 0, backpressure: c.backpressure, seed,
      padBeats: c.padBeats, wBase: c.wBase,
    });
    const what = `${c.name} (${c.dense ? 'dense' : 'sparse'} ${c.mode}, R=${p.R} K=${p.K} S=${p.S}, ${c.backpressure}, latency ${c.memLatency}, seed ${seed})`;
    assert.deepEqual(m.comparison.formatErrors, [], `${what}: ${m.comparison.formatErrors.join('; ')}`);
    assert.ok(m.comparison.pass, `${what}: ${m.comparison.mismatchCount} mismatches, first: ${m.comparison.mismatches.slice(0, 3).map(describeMismatch).join(' | ')}`);
    assert.deepEqual(m.violations.map(describeViolation), [], `${what}: protocol violations`);
    return m;
  }

  it('random problems, both modes, both engines, random backpressure, latency and stalls', async () => {
    const seed = testSeed('engine cosim random');
    const rng = new Rng(seed);
    const kinds: Backpressure[] = ['none', 'random', 'bursty'];
    for (let i = 0; i < 8; i++) {
      const c: Case = {
        name: `random #${i}`,
        dense: i % 4 >= 2,
        mode: i % 2 === 0 ? 'data' : 'weight',
        shape: {
          R: 1 + rng.int(64), K: 1 + rng.int(16), S: 1 + rng.int(4),
          density: [0, 0.1, 0.3, 1][rng.int(4)]!, theta: [0, 1, 200, 65535][rng.int(4)]!, gMax: [1000, 32768][rng.int(2)],
        },
        backpressure: kinds[rng.int(3)]!,
        memLatency: rng.int(31),
        stall: rng.next() < 0.5 ? 0 : 0.2,
        padBeats: rng.int(3),
      };
      await run(c, rng.int(2 ** 30));
    }
  });

  it('weight mode: a row nonzero in consecutive vectors is not read before its write-back (RAW on G)', async () => {
    const seed = testSeed('engine cosim RAW');
    // One row, nonzero in every vector, fast memory: the next vector's read is ready to go
    // while the previous write is still in the pipeline (fails with the hazard check removed).
    for (const memLatency of [0, 1]) {
      await run({ name: 'RAW one row', mode: 'weight', shape: { R: 1, K: 3, S: 6, density: 1, theta: 0 }, backpressure: 'none', memLatency }, seed);
    }
    await run({ name: 'RAW four rows', mode: 'weight', shape: { R: 4, K: 3, S: 6, density: 1, theta: 0 }, backpressure: 'random', memLatency: 25 }, seed);
  });

  it('rows that cross a 4 KiB boundary are split into bursts, in both modes', async () => {
    const seed = testSeed('engine cosim 4K');
    // W starts one bus beat below a page boundary and rows are padded: many rows straddle pages.
    for (const mode of ['data', 'weight'] as const) {
      await run({ name: '4 KiB', mode, shape: { R: 64, K: 16, S: 2, density: 0.5, theta: 0 }, backpressure: 'none', memLatency: 3, padBeats: 1, wBase: 3 * 4096 - 16 }, seed);
    }
  });

  it('saturates accumulations at the accumulator limits (weight mode near ±2^47)', async () => {
    const seed = testSeed('engine cosim saturation');
    await run({ name: 'saturation', mode: 'weight', shape: { R: 16, K: 5, S: 3, density: 1, theta: 0, nearSaturation: true }, backpressure: 'bursty', memLatency: 7 }, seed);
  });

  it('vectors with no nonzero g\' still stream their (zero) results and release their activations', async () => {
    const seed = testSeed('engine cosim empty vectors');
    for (const mode of ['data', 'weight'] as const) {
      await run({ name: 'empty vectors', mode, shape: { R: 12, K: 4, S: 4, density: 0.4, theta: 0, zeroVectors: [0, 2] }, backpressure: 'random', memLatency: 5 }, seed);
    }
  });

  it('short rows (K ≤ 2N) and a single column still accumulate every row', async () => {
    const seed = testSeed('engine cosim short rows');
    for (const K of [1, 3, 4]) {
      await run({ name: `K=${K}`, mode: 'data', shape: { R: 20, K, S: 3, density: 0.8, theta: 0 }, backpressure: 'random', memLatency: 1 }, seed + K);
    }
  });

  it('keeps the lanes busy once latency is hidden: efficiency ≥ 0.9 on a compute-bound job', async () => {
    const seed = testSeed('engine cosim efficiency');
    const m = await run({ name: 'efficiency', mode: 'data', shape: { R: 64, K: 16, S: 4, density: 0.3, theta: 0 }, backpressure: 'none', memLatency: 2 }, seed);
    assert.ok(m.efficiency >= 0.9, `efficiency ${m.efficiency.toFixed(3)} (busy ${m.cyclesBusy}, ideal ${m.ideal})`);
  });
});
