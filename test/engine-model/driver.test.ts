import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { CTRL_START, ENGINE_ID, JOB_REGS, REG, STATUS_DONE } from '../../engine/registers.ts';
import { geometry } from '../../engine/geometry.ts';
import { getPreset } from '../../engine/config.ts';
import type { LiteCommand } from '../../sim/harness/job.ts';
import { type EngineResult } from '../../engine/jobs.ts';
import { runEngine } from '../../golden/engine-model/model.ts';
import { decodeBeats, encodeBeats } from '../../sim/harness/beats.ts';
import type { SimResult } from '../../sim/harness/job.ts';
import { compareEngine, describeMismatch } from '../../sim/engine/compare.ts';
import { decodeEngineResult } from '../../sim/engine/decode.ts';
import { buildEngineJob, type EngineSimJob, G_DUMP } from '../../sim/engine/encode.ts';
import { caseArb } from './arbitraries.ts';
import { announceSeed, seed } from './seed.ts';

const mask = (bits: number) => (1n << BigInt(bits)) - 1n;

/** Lane values of a beat, sign-extended, via the harness's own codec (independent of sim/engine/pack.ts). */
function lanes(data: bigint, n: number, bits: number): bigint[] {
  return Array.from({ length: n }, (_, i) => BigInt.asIntN(bits, (data >> BigInt(i * bits)) & mask(bits)));
}

/** What a perfect engine would hand back for this job: the model's results in the contract's formats. */
function perfectResult(ej: EngineSimJob, m: EngineResult): SimResult {
  const { cfg, K } = ej;
  const reads: SimResult['reads'] = [];
  const g = geometry(cfg);
  for (const [addr, data] of [[REG.ID, ENGINE_ID], [REG.GEOMETRY, g.geometryReg], [REG.RMAX, cfg.rMax], [REG.KMAX, cfg.kMax]] as const) reads.push({ addr, data, cycle: 0 });
  m.jobs.forEach(({ counters: c }) => {
    for (const [addr, data] of [
      [REG.CYCLES_BUSY, 1000], [REG.MACS_ISSUED, c.macsIssued], [REG.MACS_SKIPPED, c.macsSkipped], [REG.ROWS_FETCHED, c.rowsFetched],
      [REG.STALL_CYCLES, 7], [REG.NONZEROS, c.nonzeros], [REG.ZEROS, c.zeros],
    ] as const) reads.push({ addr, data, cycle: 0 });
  });
  const outputs: Record<string, Uint8Array> = {};
  const dumps: Record<string, Uint8Array> = {};
  if (ej.mode === 'data') {
    const beats: { data: bigint; last: boolean }[] = [];
    for (const job of ej.plan) {
      for (let s = job.s0; s < job.s0 + job.vectors; s++) {
        const per = Math.ceil(job.cols / cfg.N);
        for (let b = 0; b < per; b++) {
          let data = 0n;
          for (let i = 0; i < cfg.N && b * cfg.N + i < job.cols; i++) data |= (m.y![s * K + job.c0 + b * cfg.N + i]! & mask(cfg.accBits)) << BigInt(i * cfg.accBits);
          beats.push({ data, last: b === per - 1 });
        }
      }
    }
    outputs.res = encodeBeats(beats, cfg.N * cfg.accBits);
  } else {
    const img = new Uint8Array(ej.layout.gBytes);
    const dv = new DataView(img.buffer);
    for (let j = 0; j < ej.R; j++) for (let k = 0; k < K; k++) dv.setBigInt64(j * ej.layout.gStride + 8 * k, m.G![j * K + k]!, true);
    dumps[G_DUMP] = img;
  }
  return {
    outputs, outputCycles: {}, writeBursts: [], reads, dumps, cycles: 1, timedOut: false, violations: [], violationCount: 0, protocolErrors: [], pokes: [], streams: {},
    memory: { readBursts: 0, readBeats: 0, writeBursts: 0, writeBeats: 0, maxOutstandingReads: 0 }, simSeconds: 0, simCpuSeconds: 0, loopCycles: 0, outputsDigest: '',
  };
}

/** For each START of the script, the job registers not written since the previous START (or the script's start). */
function jobRegsMissingBeforeStarts(script: readonly LiteCommand[]): { start: number; missing: number[] }[] {
  const out: { start: number; missing: number[] }[] = [];
  let written = new Set<number>();
  let n = 0;
  for (const c of script) {
    if (c.op !== 'write') continue;
    if (c.addr === REG.CTRL && c.data === CTRL_START) {
      const missing = JOB_REGS.filter((r) => !written.has(r));
      if (missing.length > 0) out.push({ start: n, missing });
      written = new Set();
      n++;
    } else {
      written.add(c.addr);
    }
  }
  return out;
}

describe('engine-model: simulation driver', () => {
  before(announceSeed);

  it('encodes streams the harness codec reads back as the original vectors, tile by tile', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom('data', 'weight') as fc.Arbitrary<'data' | 'weight'>, ({ cfg, p }, mode) => {
      const ej = buildEngineJob(cfg, p, mode);
      const grad = decodeBeats(ej.job.inputs.grad!, cfg.P * cfg.gBits);
      const perG = Math.ceil(p.R / cfg.P);
      let beat = 0;
      for (const job of ej.plan) {
        for (let s = job.s0; s < job.s0 + job.vectors; s++) {
          for (let b = 0; b < perG; b++, beat++) {
            assert.equal(grad[beat]!.last, b === perG - 1);
            lanes(grad[beat]!.data, cfg.P, cfg.gBits).forEach((v, i) => {
              const j = b * cfg.P + i;
              assert.equal(v, j < p.R ? BigInt(p.g[s * p.R + j]!) : 0n, 'zero padded past R');
            });
          }
        }
      }
      assert.equal(beat, grad.length);
      if (mode === 'weight') {
        const act = decodeBeats(ej.job.inputs.act!, cfg.P * cfg.aBits);
        let n = 0;
        for (const job of ej.plan) {
          const per = Math.ceil(job.cols / cfg.P);
          for (let s = job.s0; s < job.s0 + job.vectors; s++) {
            for (let b = 0; b < per; b++, n++) {
              assert.equal(act[n]!.last, b === per - 1);
              lanes(act[n]!.data, cfg.P, cfg.aBits).forEach((v, i) => {
                const c = b * cfg.P + i;
                assert.equal(v, c < job.cols ? BigInt(p.a![s * p.K + job.c0 + c]!) : 0n);
              });
            }
          }
        }
        assert.equal(n, act.length);
      } else {
        assert.equal(ej.job.inputs.act, undefined);
      }
    }), { seed, numRuns: 150 });
  });

  it('lays W and G out bus-aligned and points each tile job at its first column', () => {
    fc.assert(fc.property(caseArb, fc.integer({ min: 0, max: 3 }), ({ cfg, p }, padBeats) => {
      const ej = buildEngineJob(cfg, p, 'data', { padBeats });
      const bus = cfg.axiDataBits / 8;
      const l = ej.layout;
      for (const v of [l.wBase, l.wStride, l.gBase, l.gStride]) assert.equal(v % bus, 0);
      assert.ok(l.wStride >= p.K * 2 && l.gStride >= p.K * 8 && l.gBase >= l.wBase + l.wBytes);
      const img = ej.job.memory.load[0]!;
      assert.equal(img.base, l.wBase);
      const dv = new DataView(img.data.buffer, img.data.byteOffset);
      for (let j = 0; j < p.R; j++) for (let k = 0; k < p.K; k++) assert.equal(dv.getInt16(j * l.wStride + 2 * k, true), p.W![j * p.K + k]);
      const wBases = ej.job.script.filter((c) => c.op === 'write' && c.addr === REG.W_BASE).map((c) => (c as { data: number }).data);
      assert.deepEqual(wBases, ej.plan.map((j) => l.wBase + 2 * j.c0));
      const thetas = ej.job.script.filter((c) => c.op === 'write' && c.addr === REG.THETA).map((c) => (c as { data: number }).data);
      assert.deepEqual(thetas, ej.plan.map((j) => j.theta));
      for (const j of ej.plan) for (let s = j.s0; s < j.s0 + j.vectors; s++) assert.equal(typeof p.theta === 'number' ? p.theta : p.theta[s], j.theta);
      const starts = ej.job.script.filter((c) => c.op === 'write' && c.addr === REG.CTRL && c.data === 1).length;
      const waits = ej.job.script.filter((c) => c.op === 'wait' && c.addr === REG.STATUS && c.mask === STATUS_DONE).length;
      assert.equal(starts, ej.plan.length);
      assert.equal(waits, ej.plan.length);
    }), { seed: seed + 1, numRuns: 100 });
  });

  it('writes every job register between one job and the next START, so nothing a host wrote after DONE leaks in', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom('data', 'weight') as fc.Arbitrary<'data' | 'weight'>, ({ cfg, p }, mode) => {
      const missing = jobRegsMissingBeforeStarts(buildEngineJob(cfg, p, mode).job.script);
      assert.deepEqual(missing, [], `job registers not written before a START: ${JSON.stringify(missing)}`);
    }), { seed: seed + 3, numRuns: 100 });
    // The check itself: the script as it was, MODE and ROWS written once before the first job only.
    const cfg = getPreset('tiny');
    const ej = buildEngineJob(cfg, { R: 4, K: 40, S: 1, theta: 0, g: new Int32Array(4), W: new Int32Array(160) }, 'data');
    let seen = 0;
    const once = ej.job.script.filter((c) => !(c.op === 'write' && (c.addr === REG.MODE || c.addr === REG.ROWS) && seen++ >= 2));
    assert.deepEqual(jobRegsMissingBeforeStarts(once), [{ start: 1, missing: [REG.MODE, REG.ROWS] }, { start: 2, missing: [REG.MODE, REG.ROWS] }]);
  });

  it('round trip: a perfect engine result decodes to the model and compares clean', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom('data', 'weight') as fc.Arbitrary<'data' | 'weight'>, ({ cfg, p }, mode) => {
      const ej = buildEngineJob(cfg, p, mode);
      const m = runEngine(cfg, p, mode);
      const d = decodeEngineResult(ej, perfectResult(ej, m));
      assert.deepEqual(d.formatErrors, []);
      const c = compareEngine(ej, m, d);
      assert.ok(c.pass, c.mismatches.map(describeMismatch).join('\n'));
      assert.deepEqual(mode === 'data' ? d.y : d.G, mode === 'data' ? m.y : m.G);
      assert.equal(d.totals.cyclesBusy, 1000 * ej.plan.length);
    }), { seed: seed + 2, numRuns: 150 });
  });

  it('names a corrupted value by time step, sample and index, and catches misplaced tlast and bad identity', () => {
    const cfg = getPreset('tiny');
    const R = 8, K = 20, S = 6, B = 2;
    const g = new Int32Array(S * R).map((_, i) => (i % 3) - 1);
    const W = new Int32Array(R * K).map((_, i) => (i % 7) - 3);
    const p = { R, K, S, theta: 0, g, W };
    const ej = buildEngineJob(cfg, p, 'data');
    const m = runEngine(cfg, p, 'data');
    const bad = perfectResult(ej, m);
    // y[s = 3][k = 17] sits in tile 1 (columns 16..19), vector 3, beat 0, lane 1.
    const tile1 = ej.plan.findIndex((j) => j.tile === 1);
    const beatsBefore = ej.plan.slice(0, tile1).reduce((n, j) => n + j.vectors * Math.ceil(j.cols / cfg.N), 0);
    const beats = decodeBeats(bad.outputs.res!, cfg.N * cfg.accBits);
    const at = beatsBefore + 3 * Math.ceil(4 / cfg.N);
    beats[at]!.data ^= 1n << BigInt(cfg.accBits);
    bad.outputs.res = encodeBeats(beats, cfg.N * cfg.accBits);
    let c = compareEngine(ej, m, decodeEngineResult(ej, bad), { batch: B });
    assert.equal(c.pass, false);
    assert.equal(c.mismatchCount, 1);
    assert.match(describeMismatch(c.mismatches[0]!), /^y \(m_axis_res\) t=1 b=1 k=17: expected -?\d+, got -?\d+$/);

    beats[at]!.data ^= 1n << BigInt(cfg.accBits);
    beats[0]!.last = true;
    bad.outputs.res = encodeBeats(beats, cfg.N * cfg.accBits);
    bad.reads[0] = { addr: REG.ID, data: 0, cycle: 0 };
    bad.reads[bad.reads.length - 2]!.data += 1;
    c = compareEngine(ej, m, decodeEngineResult(ej, bad), { batch: B });
    assert.equal(c.pass, false);
    assert.ok(c.formatErrors.some((e) => /tlast set, expected clear/.test(e)));
    assert.ok(c.formatErrors.some((e) => /register 0x60/.test(e)));
    assert.ok(c.mismatches.some((x) => x.stream === 'counter' && x.name === 'nonzeros'));
    bad.outputs.res = bad.outputs.res.subarray(0, 5);
    assert.ok(decodeEngineResult(ej, bad).formatErrors.some((e) => /m_axis_res: 0 beats/.test(e)));
  });

  it('is deterministic: the same inputs give byte-identical jobs', () => {
    const cfg = getPreset('tiny');
    const p = { R: 33, K: 40, S: 3, theta: 5, g: new Int32Array(99).map((_, i) => i * 37 % 200 - 100), a: new Int32Array(120).map((_, i) => i * 11 % 90 - 45) };
    assert.deepEqual(buildEngineJob(cfg, p, 'weight', { seed: 9 }), buildEngineJob(cfg, p, 'weight', { seed: 9 }));
  });
});
