import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { prepareVectors, runVectors, type Vector, type VectorRunner } from '../../sim/vectors/index.ts';
import { testSeed } from '../verilog-header/seed.ts';
import { Bool, UInt, defineModule, emitDesign } from '../../generator/index.ts';

const DUT = fileURLToPath(new URL('./fixtures/vec_dut.v', import.meta.url));
const COUNTER = fileURLToPath(new URL('./fixtures/vec_counter.v', import.meta.url));
const ACC_W = 20;
const mask = (w: number) => (1n << BigInt(w)) - 1n;

/** The fixture, cycle by cycle, in TypeScript: outputs sampled before each rising edge. */
function model(inputs: Vector[], resetCycles: number): Vector[] {
  let count = 0n;
  let acc = 0n;
  let w130 = 0n;
  const held: Vector = { rst_n: 1n, en: 0n, a: 0n, s: 0n, q48: 0n, w130: 0n, w256: 0n };
  // Reset cycles clear the registers (every other input is 0 meanwhile).
  if (resetCycles > 0) [count, acc, w130] = [0n, 0n, 0n];
  return inputs.map((vec) => {
    Object.assign(held, vec);
    const s = BigInt.asUintN(16, held.s!);
    const out: Vector = {
      sum_comb: (held.a! + (s & 0xffn)) & mask(9),
      count,
      acc: BigInt.asIntN(ACC_W, acc),
      q48_inv: ~held.q48! & mask(48),
      w130_reg: w130,
      w256_rot: ((held.w256! & 1n) << 255n) | (held.w256! >> 1n),
      s_neg: BigInt.asIntN(16, -held.s!),
    };
    if (held.rst_n === 0n) [count, acc, w130] = [0n, 0n, 0n];
    else {
      if (held.en === 1n) {
        count = (count + 1n) & mask(32);
        acc = BigInt.asUintN(ACC_W, acc + BigInt.asIntN(16, s));
      }
      w130 = held.w130! ^ (held.w256! & mask(128));
    }
    return out;
  });
}

/** Random cycles; each input present with probability 3/4, so held values are exercised too. */
function randomVectors(seed: number, cycles: number): Vector[] {
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { freq: 3, nil: undefined });
  const cycle = fc.record({
    rst_n: maybe(fc.constantFrom(1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n)),
    en: maybe(fc.constantFrom(0n, 1n)),
    a: maybe(fc.bigInt(0n, 255n)),
    // Signed ports take negative numbers or their unsigned bits.
    s: maybe(fc.oneof(fc.bigInt(-(1n << 15n), (1n << 15n) - 1n), fc.bigInt(0n, 0x7fffn))),
    q48: maybe(fc.bigInt(0n, mask(48))),
    w130: maybe(fc.bigInt(0n, mask(130))),
    w256: maybe(fc.bigInt(0n, mask(256))),
  });
  return fc.sample(cycle, { seed, numRuns: cycles }).map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as Vector);
}

describe('sim/vectors: per-cycle port vectors through Verilator', () => {
  let runner: VectorRunner;
  // One traced build serves every test (tracing costs nothing unless a run asks for a VCD).
  const setup = { files: [DUT], top: 'vec_dut', clock: 'clk', reset: { name: 'rst_n', activeLow: true }, params: { ACC_W }, trace: true };
  before(async () => {
    runner = await prepareVectors(setup);
  });

  it('matches the TypeScript model bit for bit on random vectors (ports up to 256 bits, signed, held inputs)', async () => {
    const seed = testSeed('vectors');
    const inputs = randomVectors(seed, 600);
    const got = await runner.run(inputs);
    const want = model(inputs, 2);
    assert.equal(got.length, inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      assert.deepEqual(got[i], want[i], `cycle ${i} (seed ${seed}); inputs ${JSON.stringify(inputs[i], (_, v) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
    }
  });

  it('documents its timing: outputs[i] shows the registers after i rising edges and the combinational result of inputs[i]', async () => {
    const out = await runner.run([{ en: 1n, a: 5n, s: 1n }, { en: 1n, a: 6n }, { en: 0n }, {}]);
    assert.deepEqual(out.map((o) => o.count), [0n, 1n, 2n, 2n]);
    assert.deepEqual(out.map((o) => o.sum_comb), [6n, 7n, 7n, 7n]);
    assert.deepEqual(out.map((o) => o.acc), [0n, 1n, 2n, 2n]);
    // The parameter override reached both the model (-G) and the header the runner read.
    assert.equal(runner.header.ports.find((p) => p.name === 'acc')!.width, ACC_W);
  });

  it('reuses the cached build and rejects inputs that do not fit', async () => {
    const again = await prepareVectors(setup);
    assert.equal(again.exe, runner.exe);
    await assert.rejects(runner.run([{ a: 256n }]), /cycle 0: 256 does not fit input 'a' \(8 bits\)/);
    await assert.rejects(runner.run([{}, { s: -32769n }]), /cycle 1: -32769 does not fit input 's' \(16 bits, signed\)/);
    await assert.rejects(runner.run([{ clk: 1n }]), /cycle 0: the clock is driven by the runner/);
    await assert.rejects(runner.run([{ nope: 1n }]), /vec_dut has no input 'nope'/);
    await assert.rejects(prepareVectors({ files: [DUT], top: 'vec_dut', clock: 'a' }), /clock 'a' of vec_dut is 8 bits wide/);
    await assert.rejects(prepareVectors({ files: [DUT], top: 'vec_dut', params: { WIDTH: 3 } }), /no module has a parameter 'WIDTH'/);
    assert.deepEqual(await runner.run([]), []);
  });

  it('writes a VCD when built with tracing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparsegrad-vectors-vcd-'));
    try {
      const vcd = join(dir, 'run.vcd');
      const out = await runVectors({ ...setup, reset: { name: 'rst_n', activeLow: true, cycles: 1 }, inputs: [{ en: 1n }, { en: 1n }, {}], vcd });
      assert.deepEqual(out.map((o) => o.count), [0n, 1n, 2n]);
      const text = readFileSync(vcd, 'utf8');
      assert.match(text, /\$var wire\s+32 \S+ count \[31:0\] \$end/);
      assert.match(text, /^#25$/m, 'rising edge of the first vector cycle after one reset cycle');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sim/vectors: clock and reset conventions', () => {
  it('holds an active-low aresetn low during reset, and reports a $finish', async () => {
    const runner = await prepareVectors({ files: [COUNTER], top: 'vec_counter', clock: 'aclk', reset: { name: 'aresetn', activeLow: true } });
    assert.equal(runner.plan.clock, 'aclk');
    assert.deepEqual(runner.plan.reset, { name: 'aresetn', activeLow: true });
    const out = await runner.run([{}, {}, {}, { aresetn: 0n }, {}, { aresetn: 1n }, {}]);
    // A reset asserted in cycle 3 clears q at that cycle's rising edge; q holds 0 while it stays low.
    assert.deepEqual(out.map((o) => o.q), [0n, 1n, 2n, 3n, 0n, 0n, 1n]);
    await assert.rejects(runner.run(Array.from({ length: 20 }, () => ({}))), /vec_counter called \$finish after 10 of 20 cycles/);
  });

  // Hand-written Verilog has no manifest: a name like rst_n or aclk says nothing the runner may rely on.
  it('asks for the clock and the reset polarity of Verilog that no manifest describes', async () => {
    await assert.rejects(prepareVectors({ files: [COUNTER], top: 'vec_counter' }), /vec_counter: which input is the clock\? Pass clock: '<port>', or emit it with the generator/);
    await assert.rejects(prepareVectors({ files: [COUNTER], top: 'vec_counter', clock: 'aclk', reset: 'aresetn' }), /reset 'aresetn' of vec_counter: say whether it is active low/);
  });

  it("takes the clock and the reset's polarity from the manifest of an emitted design", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-vec-manifest-'));
    try {
      const def = defineModule('vec_emitted', (m) => {
        const en = m.input('en', Bool());
        const q = m.output('q', UInt(4));
        const c = m.reg('c', UInt(4), { reset: 0 });
        m.when(en, () => c.set(c.addWrap(1)));
        q.set(c);
        return { en, q };
      });
      const d = emitDesign(def, dir, { printWarnings: false });
      const runner = await prepareVectors({ files: [...d.files.keys()].map((f) => join(dir, f)), top: 'vec_emitted', reset: 'aresetn' });
      assert.equal(runner.plan.clock, 'aclk');
      assert.deepEqual(runner.plan.reset, { name: 'aresetn', activeLow: true });
      assert.deepEqual((await runner.run([{ en: 1n }, { en: 1n }, { en: 0n }, { en: 1n }])).map((o) => o.q), [0n, 1n, 2n, 2n]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
