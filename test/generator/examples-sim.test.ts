/**
 * The FIR and AXI4-Lite register file examples in Verilator under random backpressure
 * (sources that offer at random and hold what they offer, sinks that take at random),
 * compared bit-exactly with TypeScript models. Seeded; SPARSEGRAD_SEED replays.
 */
import assert from 'node:assert/strict';
import { SInt, UInt, cat, type Signal } from '../../generator/index.ts';
import { fir4, coeffFormat, sampleFormat, sumFormat } from '../../generator/examples/fir.ts';
import { axilRegfile, OKAY, SLVERR } from '../../generator/examples/axil-regfile.ts';
import { firExample } from '../../generator/examples/index.ts';
import { resizeRaw } from '../../generator/lib/fixed.ts';
import { connect } from '../../generator/lib/connect.ts';
import { streamWire } from '../../generator/lib/stream.ts';
import { rng, testSeed } from '../sim/seed.ts';
import { simulate, useScratchDir } from './sim-helpers.ts';
import { collect, randomBeats, randomTraffic, streamOpBench, type Beat } from './stream-bench.ts';

const scratch = useScratchDir('sg-gen-examples-');

/** The FIR's output for a list of beats: each packet on its own, rounded half-even, saturated. */
function firModel(beats: readonly Beat[], coeffs: readonly number[]): Beat[] {
  const c = coeffs.map((x) => BigInt(Math.round(x * 2 ** coeffFormat.fracBits)));
  let history = [0n, 0n, 0n];
  return beats.map((b) => {
    const x = BigInt.asIntN(16, b.data);
    const taps = [x, ...history];
    const sum = taps.reduce((s, t, i) => s + t * c[i]!, 0n);
    const y = resizeRaw(sum, sumFormat, sampleFormat, 'half-even', 'saturate');
    history = b.last ? [0n, 0n, 0n] : [x, history[0]!, history[1]!];
    return { data: BigInt.asUintN(16, y), last: b.last };
  });
}

describe('generator examples in Verilator against TypeScript models', function () {
  this.timeout(600_000);

  it('4-tap FIR on Stream<SInt(16)>: random backpressure, saturation both ways, packets filtered on their own', async () => {
    const random = rng(testSeed('fir4'));
    // Half full-scale samples (the gain of 3.5 saturates them), half small ones.
    const beats = randomBeats(random, 160, 16, { pLast: 0.08 }).map((b, i) => (i % 40 < 20 ? b : { ...b, data: BigInt.asUintN(16, BigInt(Math.floor(random() * 2001) - 1000)) }));
    const bench = streamOpBench('tb_fir4', [{ payload: SInt(16), last: true }], [beats], (m, [s]) => {
      const u = m.instance('u_fir', fir4(firExample));
      connect(s!, u.in);
      return [u.out];
    });
    const inputs = randomTraffic(bench, random, 700);
    const out = await simulate(scratch(), bench.def, inputs, 'aresetn');
    const got = collect(bench, inputs, out)[0]!;
    const want = firModel(beats, firExample);
    assert.deepEqual(got, want);
    // Would pass vacuously if the stimulus never saturated or never stalled.
    assert.ok(want.some((b) => b.data === 0x7fffn) && want.some((b) => b.data === 0x8000n), 'saturated both ways');
    assert.ok(inputs.some((v, c) => out[c]!.out0_valid === 1n && v.sink0_ready === 0n), 'the output stalled');
  });

  it('AXI4-Lite register file: random writes (with byte strobes) and reads, OKAY and SLVERR, against a register model', async () => {
    const random = rng(testSeed('axil regfile'));
    const n = 4;
    const addr = (): bigint => (random() < 0.85 ? BigInt(Math.floor(random() * (n + 2)) * 4 + Math.floor(random() * 4)) : BigInt(Math.floor(random() * 256)));
    const writes = Array.from({ length: 60 }, () => ({ addr: addr(), data: BigInt(Math.floor(random() * 2 ** 32)), strb: BigInt(Math.floor(random() * 16)) }));
    const reads = Array.from({ length: 60 }, () => ({ addr: addr() }));
    const status = 0xc0ffee01n;
    const bench = streamOpBench('tb_axil_regfile', [{ payload: UInt(8) }, { payload: UInt(36) }, { payload: UInt(8) }], [
      writes.map((w) => ({ data: w.addr })),
      writes.map((w) => ({ data: w.data | (w.strb << 32n) })),
      reads.map((r) => ({ data: r.addr })),
    ], (m, [aw, w, ar]) => {
      const u = m.instance('u_regs', axilRegfile(n));
      u.status.set(status);
      for (const r of u.regs as Signal[]) m.unused(r);
      // The source streams feed the AXI channels field by field.
      u.bus.aw.valid.set(aw!.valid);
      u.bus.aw.fields.addr!.set(aw!.data);
      aw!.ready.set(u.bus.aw.ready);
      u.bus.w.valid.set(w!.valid);
      u.bus.w.fields.data!.set(w!.data.bits(31, 0));
      u.bus.w.fields.strb!.set(w!.data.bits(35, 32));
      w!.ready.set(u.bus.w.ready);
      u.bus.ar.valid.set(ar!.valid);
      u.bus.ar.fields.addr!.set(ar!.data);
      ar!.ready.set(u.bus.ar.ready);
      const b = streamWire(m, 'b', UInt(2));
      b.valid.set(u.bus.b.valid);
      b.data.set(u.bus.b.fields.resp!);
      u.bus.b.ready.set(b.ready);
      const r = streamWire(m, 'r', UInt(34));
      r.valid.set(u.bus.r.valid);
      r.data.set(cat(u.bus.r.fields.resp!, u.bus.r.fields.data!));
      u.bus.r.ready.set(r.ready);
      return [b, r];
    });
    const inputs = randomTraffic(bench, random, 900, 300);
    const out = await simulate(scratch(), bench.def, inputs, 'aresetn');
    const [bGot, rGot] = collect(bench, inputs, out);

    // The model: a read taken in a cycle sees the registers before a write taken in that cycle.
    const regs = new Array<bigint>(n).fill(0n);
    const decode = (a: bigint, readable: boolean): number | undefined => {
      const i = Number(a >> 2n);
      return i < (readable ? n + 1 : n) ? i : undefined;
    };
    const bWant: Beat[] = [];
    const rWant: Beat[] = [];
    let wi = 0;
    let ri = 0;
    out.forEach((o) => {
      if (o.src2_fire === 1n) {
        const i = decode(reads[ri++]!.addr, true);
        const data = i === undefined ? 0n : i === n ? status : regs[i]!;
        rWant.push({ data: data | ((i === undefined ? SLVERR : OKAY) << 32n) });
      }
      assert.equal(o.src0_fire, o.src1_fire, 'AW and W are taken together');
      if (o.src0_fire === 1n) {
        const wr = writes[wi++]!;
        const i = decode(wr.addr, false);
        if (i !== undefined) {
          let v = regs[i]!;
          for (let byte = 0; byte < 4; byte++) {
            if ((wr.strb >> BigInt(byte)) & 1n) {
              const m8 = 0xffn << BigInt(8 * byte);
              v = (v & ~m8) | (wr.data & m8);
            }
          }
          regs[i] = v;
        }
        bWant.push({ data: i === undefined ? SLVERR : OKAY });
      }
    });
    assert.equal(wi, writes.length, 'every write was taken');
    assert.equal(ri, reads.length, 'every read was taken');
    assert.deepEqual(bGot, bWant);
    assert.deepEqual(rGot, rWant);
    assert.ok(rWant.some((r) => r.data >> 32n === SLVERR) && rWant.some((r) => (r.data & 0xffffffffn) !== 0n && r.data >> 32n === OKAY), 'both responses, and nonzero data, were read');
  });
});
