import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { getPreset, parseEngineConfig } from '../../engine/config.ts';
import { COUNTER_LIMIT, planJobs } from '../../engine/jobs.ts';
import { numberPathIsExact, runEngine, thresholdValue } from '../../golden/engine-model/model.ts';
import { caseArb, int32s, signedValue } from './arbitraries.ts';
import { naiveCounters, naiveData, naiveWeight } from './naive.ts';
import { announceSeed, seed } from './seed.ts';

function tileCols(K: number, kMax: number): number[] {
  const cols: number[] = [];
  for (let c0 = 0; c0 < K; c0 += kMax) cols.push(Math.min(kMax, K - c0));
  return cols;
}

describe('engine-model: bit-exact model', () => {
  before(announceSeed);

  it('backward-data equals an independent bigint implementation (saturation, θ, tiling, both engines)', () => {
    fc.assert(fc.property(caseArb, ({ cfg, p }) => {
      const r = runEngine(cfg, p, 'data');
      assert.deepEqual(r.y, naiveData(cfg, p.g, p.W!, p.R, p.K, p.S, p.theta));
      assert.deepEqual(r.totals, naiveCounters(cfg, p.g, p.R, p.S, p.theta, tileCols(p.K, cfg.kMax)));
    }), { seed, numRuns: 400 });
  });

  it('backward-weight equals an independent bigint implementation, from zero or a given G', () => {
    fc.assert(fc.property(caseArb, ({ cfg, p }) => {
      const r = runEngine(cfg, p, 'weight');
      assert.deepEqual(r.G, naiveWeight(cfg, p.g, p.a!, p.R, p.K, p.S, p.theta, p.G0));
      assert.deepEqual(r.totals, naiveCounters(cfg, p.g, p.R, p.S, p.theta, tileCols(p.K, cfg.kMax)));
    }), { seed: seed + 1, numRuns: 400 });
  });

  it('saturates on every addition, in increasing j (not once at the end)', () => {
    const cfg = parseEngineConfig({ ...getPreset('tiny'), gBits: 4, wBits: 4, aBits: 4, accBits: 8 });
    // Products 7·7 = 49: 49 + 49 + 49 = 147 saturates to 127 after the 3rd term; −49 then gives 78.
    // Saturating only at the end would give sat(98) = 98.
    const g = Int32Array.from([7, 7, 7, -7]);
    const W = Int32Array.from([7, 7, 7, 7]);
    assert.deepEqual([...runEngine(cfg, { R: 4, K: 1, S: 1, theta: 0, g, W }, 'data').y!], [78n]);
    // The most negative product: (−8)·(−8) = 64, twice = 128 → 127; (−8)·7 = −56 thrice from 0 → −128.
    const r = runEngine(cfg, { R: 3, K: 2, S: 1, theta: 0, g: Int32Array.from([-8, -8, -8]), W: Int32Array.from([-8, 7, -8, 7, 0, 7]) }, 'data');
    assert.deepEqual([...r.y!], [127n, -128n]);
    // Weight mode: G saturates per vector update, in vector order.
    const G = runEngine(cfg, { R: 1, K: 1, S: 4, theta: 0, g: Int32Array.from([7, 7, 7, -7]), a: Int32Array.from([7, 7, 7, 7]) }, 'weight').G!;
    assert.deepEqual([...G], [78n]);
  });

  it('θ = 0 zeroes nothing; θ = 2^(gBits−1) keeps only the most negative value; θ max zeroes everything', () => {
    const cfg = getPreset('tiny');
    fc.assert(fc.property(int32s(40, signedValue(16)), (g) => {
      const p = { R: 40, K: 3, S: 1, g, W: new Int32Array(120).fill(1) };
      const nz = [...g].filter((v) => v !== 0).length;
      assert.equal(runEngine(cfg, { ...p, theta: 0 }, 'data').totals.nonzeros, nz);
      const mostNeg = [...g].filter((v) => v === -32768).length;
      assert.equal(runEngine(cfg, { ...p, theta: 32768 }, 'data').totals.nonzeros, mostNeg);
      const all = runEngine(cfg, { ...p, theta: 65535 }, 'data');
      assert.equal(all.totals.nonzeros, 0);
      assert.ok(all.y!.every((v) => v === 0n));
    }), { seed: seed + 2, numRuns: 50 });
    assert.equal(thresholdValue(-32768, 32768), -32768);
    assert.equal(thresholdValue(-32767, 32768), 0);
  });

  it('handles R and K at 1 and at the preset maxima', () => {
    const cfg = getPreset('default');
    const one = runEngine(cfg, { R: 1, K: 1, S: 1, theta: 0, g: Int32Array.from([-3]), W: Int32Array.from([5]) }, 'data');
    assert.deepEqual([...one.y!], [-15n]);
    const R = cfg.rMax;
    const K = cfg.kMax;
    const g = new Int32Array(R).map((_, j) => (j % 3 === 0 ? 32767 : 0));
    const W = new Int32Array(R * K).fill(32767);
    const r = runEngine(cfg, { R, K, S: 1, theta: 1, g, W }, 'data');
    const expect = BigInt(Math.ceil(R / 3)) * 32767n * 32767n;
    assert.ok(r.y!.every((v) => v === expect));
    assert.equal(planJobs(cfg, R, K, 1).length, 1, 'K = kMax is one tile');
    assert.equal(planJobs(cfg, R, K + 1, 1).length, 2, 'K = kMax + 1 is two tiles');
  });

  it('tiled results equal untiled results; counters add up over tiles', () => {
    fc.assert(fc.property(caseArb, ({ cfg, p }) => {
      const untiled = parseEngineConfig({ ...cfg, kMax: Math.ceil(p.K / 4) * 4 });
      for (const mode of ['data', 'weight'] as const) {
        const a = runEngine(cfg, p, mode);
        const b = runEngine(untiled, p, mode);
        assert.deepEqual(mode === 'data' ? a.y : a.G, mode === 'data' ? b.y : b.G);
        const tiles = Math.ceil(p.K / cfg.kMax);
        assert.equal(a.totals.nonzeros, tiles * b.totals.nonzeros);
        assert.equal(a.totals.macsIssued, b.totals.macsIssued);
        assert.equal(a.totals.macsSkipped, b.totals.macsSkipped);
      }
    }), { seed: seed + 3, numRuns: 150 });
  });

  it('plans jobs that cover every (vector, column) once and keep counters below 2^31', () => {
    const cfg = getPreset('wide');
    fc.assert(fc.property(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 100000 }), (R, K, S) => {
      const jobs = planJobs(cfg, R, K, S);
      let covered = 0;
      for (const j of jobs) {
        assert.ok(j.cols >= 1 && j.cols <= cfg.kMax && j.vectors >= 1);
        assert.ok(R * j.cols * j.vectors < COUNTER_LIMIT);
        covered += j.cols * j.vectors;
      }
      assert.equal(covered, K * S);
    }), { seed: seed + 4, numRuns: 200 });
  });

  it('uses doubles only where they are provably exact', () => {
    assert.equal(numberPathIsExact(getPreset('default')), true);
    assert.equal(numberPathIsExact(parseEngineConfig({ ...getPreset('default'), accBits: 53 })), true);
    assert.equal(numberPathIsExact(parseEngineConfig({ ...getPreset('default'), accBits: 54 })), false);
    // At the edge of the fast path: 46-bit products into a 53-bit accumulator that saturates,
    // where an inexact double would show up as an off-by-one against bigint.
    const cfg = parseEngineConfig({ ...getPreset('tiny'), gBits: 32, wBits: 16, aBits: 16, accBits: 53 });
    assert.equal(numberPathIsExact(cfg), true);
    const R = 64;
    const g = new Int32Array(R).map((_, j) => (j % 5 === 4 ? 2 ** 31 - 1 : -(2 ** 31)));
    const W = new Int32Array(R * 2).map((_, i) => (i % 3 === 0 ? 32767 : -32768));
    for (const S of [1]) {
      const y = runEngine(cfg, { R, K: 2, S, theta: 0, g, W }, 'data').y!;
      assert.deepEqual(y, naiveData(cfg, g, W, R, 2, S, 0));
    }
    const wide = parseEngineConfig({ ...cfg, accBits: 60 });
    assert.equal(numberPathIsExact(wide), false);
    assert.deepEqual(runEngine(wide, { R, K: 2, S: 1, theta: 0, g, W }, 'data').y!, naiveData(wide, g, W, R, 2, 1, 0));
  });

  it('rejects problems the engine cannot take with one-line UserErrors', () => {
    const cfg = getPreset('tiny');
    const base = { R: 2, K: 1, S: 1, theta: 0, g: Int32Array.from([1, 2]), W: Int32Array.from([1, 1]) };
    assert.throws(() => runEngine(cfg, { ...base, R: 65, g: new Int32Array(65), W: new Int32Array(65) }, 'data'), /R = 65 .*rMax = 64.*--preset wide/);
    assert.throws(() => runEngine(cfg, { ...base, g: Int32Array.from([40000, 0]) }, 'data'), /g\[0\] = 40000 does not fit signed 16 bits/);
    assert.throws(() => runEngine(cfg, { ...base, theta: 65536 }, 'data'), /θ_q = 65536/);
    assert.throws(() => runEngine(cfg, base, 'weight'), /weight mode needs a/);
    try {
      runEngine(cfg, { ...base, theta: -1 }, 'data');
    } catch (e) {
      assert.equal((e as Error).name, 'UserError');
      assert.doesNotMatch((e as Error).message, /\n/);
    }
  });
});
