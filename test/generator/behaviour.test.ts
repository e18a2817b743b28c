/**
 * Behaviour in simulation, not Verilog text: example designs are emitted, built with
 * Verilator (sim/vectors) and run on seeded random inputs against TypeScript models.
 */
import assert from 'node:assert/strict';
import type { Vector } from '../../sim/vectors/index.ts';
import { counter } from '../../generator/examples/counter.ts';
import { satMac } from '../../generator/examples/sat-mac.ts';
import { macExample } from '../../generator/examples/index.ts';
import { fifo } from '../../generator/lib/fifo.ts';
import { UInt, type ModuleDef } from '../../generator/index.ts';
import { fixWidth, rawRange, resizeRaw } from '../../generator/lib/fixed.ts';
import { rng, testSeed } from '../sim/seed.ts';
import { simulate, useScratchDir } from './sim-helpers.ts';
import { streamBench, type Beat } from './stream-tb.ts';

const scratch = useScratchDir('sg-gen-sim-');
const simulateDesign = (def: ModuleDef, inputs: Vector[]): Promise<Vector[]> => simulate(scratch(), def, inputs, 'aresetn');

const bit = (random: () => number, p: number): bigint => (random() < p ? 1n : 0n);

describe('generator designs in Verilator against TypeScript models', function () {
  this.timeout(600_000);

  it('counter: enable/clear at random', async () => {
    const random = rng(testSeed('counter'));
    const width = 4;
    const inputs = Array.from({ length: 400 }, () => ({ enable: bit(random, 0.8), clear: bit(random, 0.04) }));
    const outputs = await simulateDesign(counter(width), inputs);
    let value = 0n;
    const max = (1n << BigInt(width)) - 1n;
    inputs.forEach((inp, i) => {
      const wrapped = inp.enable === 1n && value === max && inp.clear === 0n ? 1n : 0n;
      assert.deepEqual(outputs[i], { count: value, wrapped }, `cycle ${i}`);
      if (inp.clear) value = 0n;
      else if (inp.enable) value = (value + 1n) & max;
    });
  });

  for (const depth of [8, 5]) {
    it(`FIFO depth ${depth}: random offers and random backpressure, order kept, transfer rule held`, async () => {
      const random = rng(testSeed(`fifo depth ${depth}`));
      const beats: Beat[] = Array.from({ length: 80 }, () => ({ data: BigInt(Math.floor(random() * 256)), last: random() < 0.2 }));
      const busy = 500;
      const inputs = Array.from({ length: busy + 200 }, (_, i) => (i < busy
        ? { src_offer: bit(random, 0.6), sink_ready: bit(random, i < 150 ? 0.2 : 0.6) }
        : { src_offer: 1n, sink_ready: 1n }));
      const dut = fifo({ data: UInt(8), depth, last: true });
      const out = await simulateDesign(streamBench(dut, 8, beats), inputs);

      const received: Beat[] = [];
      let held = 0;
      out.forEach((o, i) => {
        assert.equal(o.count, BigInt(held), `cycle ${i}: count`);
        assert.ok(held <= depth + 1, `cycle ${i}: ${held} beats held, capacity ${depth + 1}`);
        const take = o.out_valid === 1n && inputs[i]!.sink_ready === 1n;
        if (take) received.push({ data: o.out_data!, last: o.out_last === 1n });
        if (o.out_valid === 1n && !take && i + 1 < out.length) {
          const n = out[i + 1]!;
          assert.equal(n.out_valid, 1n, `cycle ${i + 1}: valid dropped before the beat was taken`);
          assert.deepEqual([n.out_data, n.out_last], [o.out_data, o.out_last], `cycle ${i + 1}: payload changed while stalled`);
        }
        held += Number(o.in_fire) - (take ? 1 : 0);
      });
      assert.equal(received.length, beats.length, 'every beat comes out once');
      assert.deepEqual(received, beats);
      assert.ok(inputs.slice(0, 150).some((_, i) => out[i]!.count === BigInt(depth + 1)), 'the FIFO was driven full');
    });
  }

  it('FIFO: one beat per cycle when never stalled', async () => {
    const beats: Beat[] = Array.from({ length: 40 }, (_, i) => ({ data: BigInt(i * 7 % 256), last: i % 10 === 9 }));
    const inputs = Array.from({ length: 60 }, () => ({ src_offer: 1n, sink_ready: 1n }));
    const out = await simulateDesign(streamBench(fifo({ data: UInt(8), depth: 4, last: true }), 8, beats), inputs);
    const first = out.findIndex((o) => o.out_valid === 1n);
    const run = out.slice(first, first + beats.length);
    assert.ok(run.every((o) => o.out_valid === 1n), 'no bubble between beats');
    assert.deepEqual(run.map((o) => o.out_data), beats.map((b) => b.data));
  });

  it('saturating fixed-point MAC: random operands, saturation reached both ways', async () => {
    const random = rng(testSeed('sat mac'));
    const aw = fixWidth(macExample.a);
    const span = 1 << aw;
    const inputs = Array.from({ length: 600 }, (_, i) => {
      // Phases of 120 cycles: positive products into +saturation, negative into
      // -saturation, mixed, a walk in steps of exactly half an output LSB (every other
      // cycle a rounding tie, where half-even and half-up differ), and small mixed.
      const phase = Math.floor(i / 120);
      let a = BigInt(Math.floor(random() * span) - span / 2);
      let b = BigInt(Math.floor(random() * span) - span / 2);
      if (phase === 0) b = a >= 0n ? (b < 0n ? -b - 1n : b) : b > 0n ? -b : b;
      if (phase === 1) b = a >= 0n ? (b > 0n ? -b : b) : b < 0n ? -b - 1n : b;
      if (phase === 3) {
        a = 32n; // 1.0 in Q3.5
        b = random() < 0.5 ? 1n : -1n; // ±1/32: the product is 32 raw = half of the 64 dropped
      }
      if (phase === 4) {
        a = BigInt(Math.floor(random() * 17) - 8);
        b = BigInt(Math.floor(random() * 17) - 8);
      }
      // Phase 1 starts from a cleared accumulator: from +saturation, 120 negative
      // products are not always enough to reach -saturation.
      // The DSL's ports are plain vectors: signed values go in as their bits.
      return { a: BigInt.asUintN(aw, a), b: BigInt.asUintN(aw, b), in_valid: bit(random, 0.85), clear: (phase === 1 || phase === 3) && i % 120 === 0 ? 1n : bit(random, 0.005) };
    });
    const out = await simulateDesign(satMac(macExample), inputs);
    const { min, max } = rawRange(macExample.acc);
    let acc = 0n;
    let sawMax = false;
    let sawMin = false;
    let ties = 0;
    const outBits = fixWidth(macExample.out);
    inputs.forEach((inp, i) => {
      // `out` is an SInt port, declared signed: the runner reads it back sign-interpreted.
      const expected = BigInt.asIntN(outBits, resizeRaw(acc, macExample.acc, macExample.out, macExample.rounding, 'saturate'));
      assert.equal(out[i]!.out, expected, `cycle ${i}: acc ${acc}`);
      if (resizeRaw(acc, macExample.acc, macExample.out, 'half-up', 'saturate') !== resizeRaw(acc, macExample.acc, macExample.out, 'half-even', 'saturate')) ties++;
      if (inp.clear) acc = 0n;
      else if (inp.in_valid) {
        const sum = acc + BigInt.asIntN(aw, inp.a) * BigInt.asIntN(aw, inp.b);
        acc = sum > max ? max : sum < min ? min : sum;
      }
      sawMax ||= acc === max;
      sawMin ||= acc === min;
    });
    assert.ok(sawMax && sawMin, `saturation exercised (max ${sawMax}, min ${sawMin})`);
    // About a quarter of the tie-walk cycles tell the modes apart (mean ~25).
    assert.ok(ties >= 8, `only ${ties} cycles tell half-even from half-up`);
  });
});
