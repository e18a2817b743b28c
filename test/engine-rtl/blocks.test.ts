/**
 * Block tests of the engine's front end, cycle by cycle in Verilator
 * (sim/vectors): the threshold unit and the index queue, each against a
 * TypeScript model, with random valid gaps upstream and random ready
 * downstream. The sources here are open-loop (a fresh beat every cycle, the
 * block's ready decides which beats were taken), so the model follows the beats
 * the block accepted.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { Rng } from '../../golden/rng.ts';
import { getPreset, type EngineConfig } from '../../engine/config.ts';
import { thresholdValue } from '../../golden/engine-model/model.ts';
import { prepareVectors, type Vector } from '../../sim/vectors/index.ts';
import { RTL_DIR, testSeed } from './helpers.ts';

const cfg: EngineConfig = getPreset('tiny');
const { P, gBits } = cfg;
const mask = (bits: number) => (1n << BigInt(bits)) - 1n;
const lanesOf = (v: bigint, n: number, bits: number): bigint[] => Array.from({ length: n }, (_, i) => (v >> BigInt(i * bits)) & mask(bits));
const toSigned = (v: bigint, bits: number): number => Number(BigInt.asIntN(bits, v));
const pack = (vals: bigint[], bits: number): bigint => vals.reduce((acc, v, i) => acc | ((v & mask(bits)) << BigInt(i * bits)), 0n);

function file(variant: 'sparse' | 'dense', module: string): string {
  return variant === 'sparse' ? join(RTL_DIR, 'tiny', 'sparse_bwd_engine', `sbe_${module}.v`) : join(RTL_DIR, 'tiny', 'dense_bwd_engine', `dbe_${module}.v`);
}

function randomG(rng: Rng): bigint {
  const r = rng.next();
  const g = r < 0.5 ? 0 : r < 0.55 ? -(2 ** (gBits - 1)) : rng.int(2 ** gBits) - 2 ** (gBits - 1);
  return BigInt(g) & mask(gBits);
}

describe('engine blocks, cycle by cycle (tiny preset, Verilator)', () => {
  for (const variant of ['sparse', 'dense'] as const) {
    it(`${variant} threshold unit: g', visit bitmap, beat numbers, dropped empty beats and counts`, async () => {
      const seed = testSeed(`threshold ${variant}`);
      const rng = new Rng(seed);
      const runner = await prepareVectors({ files: [file(variant, 'threshold')], top: `${variant === 'sparse' ? 'sbe' : 'dbe'}_threshold`, reset: 'rst' });
      for (const theta of [0, 1, 300, 32768, 65535]) {
        const rows = 1 + rng.int(cfg.rMax);
        const inputs: Vector[] = [];
        for (let c = 0; c < 600; c++) {
          inputs.push({
            // Quiet at the end, so the beats the unit still holds (up to two: its compare stage and
            // its output register) drain and their counts (one cycle late) are seen.
            grad_valid: c < 595 && rng.next() < 0.7 ? 1n : 0n,
            grad_data: pack(Array.from({ length: P }, () => randomG(rng)), gBits),
            grad_last: rng.next() < 0.25 ? 1n : 0n,
            accept: c === 0 || rng.next() < 0.95 ? 1n : 0n,
            restart: c === 0 ? 1n : 0n,
            theta: BigInt(theta),
            rows: BigInt(rows),
            // The queue behind the unit reserves room for everything it holds (out_room), so it
            // never refuses a beat (out_ready); the room itself comes and goes.
            out_ready: 1n,
            out_room: c >= 595 || rng.next() < 0.6 ? 1n : 0n,
          });
        }
        const out = await runner.run(inputs);
        const expected: string[] = [];
        const got: string[] = [];
        let beat = 0;
        let nz = 0;
        let z = 0;
        let nzSeen = 0;
        let zSeen = 0;
        out.forEach((o, c) => {
          const i = inputs[c]!;
          // A beat with nothing to visit (a vector's empty last beat) names no row: its number is not compared.
          if (o.out_valid && i.out_ready) got.push(`${o.out_vals.toString(16)}/${o.out_visit}/${o.out_visit ? o.out_beat : '-'}/${o.out_last}`);
          if (o.cnt_valid) {
            nzSeen += Number(o.cnt_nonzero);
            zSeen += Number(o.cnt_zero);
          }
          if (!(i.grad_valid && o.grad_ready)) return;
          const g = lanesOf(i.grad_data!, P, gBits).map((v) => toSigned(v, gBits));
          const gp = g.map((v) => thresholdValue(v, theta));
          const inRange = g.map((_, k) => beat * P + k < rows);
          const nonzero = gp.map((v, k) => v !== 0 && inRange[k]!);
          const visit = variant === 'sparse' ? nonzero : inRange;
          nz += nonzero.filter(Boolean).length;
          z += inRange.filter((r, k) => r && !nonzero[k]).length;
          const bitmap = visit.reduce((a, v, k) => a | (v ? 1 << k : 0), 0);
          // Beats past ⌈rMax/P⌉ of an over-long vector are padding: nothing to visit, so no beat number.
          if (bitmap !== 0 || i.grad_last) expected.push(`${pack(gp.map(BigInt), gBits).toString(16)}/${bitmap}/${bitmap ? beat : '-'}/${i.grad_last}`);
          beat = i.grad_last ? 0 : beat + 1;
        });
        // Beats still held at the end have not come out yet.
        assert.ok(got.length >= expected.length - 1, `θ=${theta}: ${got.length} beats out of ${expected.length}`);
        assert.deepEqual(got, expected.slice(0, got.length), `θ=${theta}, R=${rows}`);
        assert.ok(nz + z > 0);
        assert.equal(nzSeen, nz, `NONZEROS, θ=${theta}`);
        assert.equal(zSeen, z, `ZEROS, θ=${theta}`);
      }
    });
  }

  it('index queue: one token per cycle, lowest index first, end-of-vector marks, rowless vector ends', async () => {
    const seed = testSeed('index queue');
    const rng = new Rng(seed);
    const runner = await prepareVectors({ files: [file('sparse', 'index_queue')], top: 'sbe_index_queue', reset: 'rst' });
    for (const readyP of [1, 0.5]) {
      const inputs: Vector[] = [];
      let beat = 0;
      for (let c = 0; c < 800; c++) {
        const last = rng.next() < 0.2;
        // Beats only reach the queue with something to visit or a vector end (the threshold unit drops the rest).
        let visit = rng.int(2 ** P);
        if (visit === 0 && !last) visit = 1 << rng.int(P);
        inputs.push({
          in_valid: rng.next() < 0.8 ? 1n : 0n,
          in_vals: pack(Array.from({ length: P }, () => randomG(rng)), gBits),
          in_visit: BigInt(visit),
          in_beat: BigInt(beat),
          in_last: last ? 1n : 0n,
          tok_ready: rng.next() < readyP ? 1n : 0n,
        });
        beat = (beat + 1) % 16;
      }
      const out = await runner.run(inputs);
      const expected: string[] = [];
      const got: string[] = [];
      let busyCycles = 0;
      let tokenCycles = 0;
      out.forEach((o, c) => {
        const i = inputs[c]!;
        if (o.tok_valid && i.tok_ready) {
          got.push(o.tok_rowless ? `end` : `${o.tok_j}:${o.tok_g}:${o.tok_eov}`);
          tokenCycles++;
        }
        if (o.tok_valid) busyCycles++;
        if (!(i.in_valid && o.in_ready)) return;
        const vals = lanesOf(i.in_vals!, P, gBits);
        const bits = [...Array(P).keys()].filter((k) => (Number(i.in_visit) >> k) & 1);
        if (bits.length === 0) expected.push('end');
        bits.forEach((k, n) => expected.push(`${Number(i.in_beat) * P + k}:${vals[k]}:${i.in_last && n === bits.length - 1 ? 1 : 0}`));
      });
      assert.ok(got.length > 100);
      assert.deepEqual(got, expected.slice(0, got.length), `tok_ready probability ${readyP}`);
      // With the consumer always ready, a waiting token always leaves: no bubble once the head is valid.
      if (readyP === 1) assert.equal(tokenCycles, busyCycles);
    }
  });
});
