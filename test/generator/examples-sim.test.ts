/**
 * The FIR and AXI4-Lite register file examples in Verilator against TypeScript models.
 * Through the simulation API (sim/simulate): random and bursty backpressure on every
 * stream, the protocol monitors on, bit-exact comparison beat by beat. The register
 * file is also driven channel by channel from a DSL bench (random offers and readies
 * on AW, W, AR, B and R, with byte strobes), which the harness's AXI4-Lite master,
 * one command at a time with full strobes, does not do. Seeded; SPARSEGRAD_SEED replays.
 */
import assert from 'node:assert/strict';
import { UInt, cat, type Signal } from '../../generator/index.ts';
import { fir4, coeffFormat, sampleFormat, sumFormat } from '../../generator/examples/fir.ts';
import { axilRegfile, OKAY, SLVERR } from '../../generator/examples/axil-regfile.ts';
import { firExample } from '../../generator/examples/index.ts';
import { resizeRaw } from '../../generator/lib/fixed.ts';
import { connect } from '../../generator/lib/connect.ts';
import { streamWire } from '../../generator/lib/stream.ts';
import { SimFailure, seededRandom, simSeed, simulate, type RegisterCommand } from '../../sim/simulate/index.ts';
import { rng, testSeed } from '../sim/seed.ts';
import { simulate as simulateVectors, useScratchDir } from './sim-helpers.ts';
import { collect, randomTraffic, streamOpBench, type Beat } from './stream-bench.ts';

const scratch = useScratchDir('sg-gen-examples-');

interface Sample {
  data: number;
  last: boolean;
}

/** The FIR's output for a list of samples: each packet on its own, rounded half-even, saturated. */
function firModel(samples: readonly Sample[], coeffs: readonly number[]): Sample[] {
  const c = coeffs.map((x) => BigInt(Math.round(x * 2 ** coeffFormat.fracBits)));
  let history = [0n, 0n, 0n];
  return samples.map((s) => {
    const x = BigInt(s.data);
    const sum = [x, ...history].reduce((acc, t, i) => acc + t * c[i]!, 0n);
    history = s.last ? [0n, 0n, 0n] : [x, history[0]!, history[1]!];
    return { data: Number(resizeRaw(sum, sumFormat, sampleFormat, 'half-even', 'saturate')), last: s.last };
  });
}

/** Packets of 1 to 24 samples: half full-scale (the gain of 3.5 saturates them), half small. */
function firStimulus(random: () => number, n: number): Sample[] {
  return Array.from({ length: n }, (_, i) => ({
    data: i % 40 < 20 ? Math.floor(random() * 65536) - 32768 : Math.floor(random() * 2001) - 1000,
    last: i === n - 1 || random() < 0.08,
  }));
}

/** The register file's answers, command by command: rw registers at 0, 4, …, the status word after them, SLVERR elsewhere. */
function regfileModel(n: number, status: number, cmds: readonly RegisterCommand[]): { reads: number[]; pokes: number[] } {
  const regs = new Array<number>(n).fill(0);
  const reads: number[] = [];
  const pokes: number[] = [];
  for (const c of cmds) {
    if ('poke' in c) {
      const i = Number(c.poke) >> 2;
      if (i < n) regs[i] = c.data;
      pokes.push(i < n ? Number(OKAY) : Number(SLVERR));
    } else if ('read' in c) {
      const i = Number(c.read) >> 2;
      reads.push(i < n ? regs[i]! : status);
    }
  }
  return { reads, pokes };
}

describe('generator examples through the simulation API, against TypeScript models', function () {
  this.timeout(600_000);

  for (const backpressure of ['random', 'bursty'] as const) {
    const seed = simSeed();
    it(`4-tap FIR on Stream<SInt(16)>, ${backpressure} backpressure: saturation both ways, packets filtered on their own (seed ${seed})`, async () => {
      const samples = firStimulus(seededRandom(seed), 300);
      const want = firModel(samples, firExample);
      const run = await simulate(fir4(firExample), { inputs: { in: samples }, backpressure, seed });
      run.expectOutput('out', want);
      // Would pass vacuously if the stimulus never saturated, never ended a packet, or the output never stalled.
      assert.ok(want.some((b) => b.data === 32767) && want.some((b) => b.data === -32768), 'saturated both ways');
      assert.ok(run.packets('out').length > 5, 'several packets');
      assert.ok(run.result.streams.out!.stallCycles > 0 && run.result.streams.in!.stallCycles >= 0, 'the output stalled');
    });
  }

  {
    const seed = simSeed();
    it(`AXI4-Lite register file through its register map: random writes (OKAY and SLVERR) and reads against a register model (seed ${seed})`, async () => {
      const random = seededRandom(seed);
      const n = 4;
      const status = 0xc0ffee01;
      const word = (): number => Math.floor(random() * 2 ** 32);
      const cmds: RegisterCommand[] = [{ expect: 'status', value: status }];
      for (let k = 0; k < 80; k++) {
        // Writes anywhere in the 8-bit space (past the registers: SLVERR); reads only where the map answers OKAY.
        if (random() < 0.5) cmds.push({ poke: random() < 0.7 ? 4 * Math.floor(random() * (n + 1)) : Math.floor(random() * 64) * 4, data: word() });
        else cmds.push({ read: random() < 0.2 ? 'status' : `r${Math.floor(random() * n)}` });
      }
      const run = await simulate(axilRegfile(n), { registers: cmds, hold: { status }, seed });
      const resolved = cmds.map((c) => ('read' in c && typeof c.read === 'string' ? { read: c.read === 'status' ? 4 * n : 4 * Number(c.read.slice(1)) } : c));
      const want = regfileModel(n, status, resolved);
      assert.deepEqual(run.reads.map((r) => r.data >>> 0), want.reads.map((x) => x >>> 0));
      assert.deepEqual(run.pokes.map((p) => p.resp), want.pokes);
      assert.ok(want.pokes.includes(Number(SLVERR)) && want.pokes.includes(Number(OKAY)), 'both responses');
      assert.ok(run.reads.some((r) => r.register === 'r0') && run.reads.some((r) => r.register === 'status'), 'reads are named by the register map');
    });
  }

  {
    const seed = simSeed();
    it(`AXI4-Lite register file: a read past the map answers SLVERR, which the monitors report as AXIL-OKAY (seed ${seed})`, async () => {
      // A `read` must be answered OKAY: this one is not, so the run fails with the rule and its cycle.
      await assert.rejects(simulate(axilRegfile(4), { registers: [{ write: 'r1', data: 5 }, { read: 0x40 }], seed }), (e: unknown) => {
        assert.ok(e instanceof SimFailure, String(e));
        assert.equal(e.kind, 'violation');
        assert.equal(e.violations[0]!.rule, 'AXIL-OKAY');
        assert.match(e.message, /AXIL-OKAY .* s_axil_r cycle \d+: read of 0x40 answered RRESP=2; seed \d+ \(replay with SPARSEGRAD_SEED=\d+\)$/);
        return true;
      });
    });
  }
});

describe('generator examples on DSL benches (sim/vectors), channel by channel', function () {
  this.timeout(600_000);

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
    const out = await simulateVectors(scratch(), bench.def, inputs, 'aresetn');
    const [bGot, rGot] = collect(bench, inputs, out);

    // The model: AW and W are held as they come, in either order; a write is applied in the
    // cycle after both of its halves were taken, and a read sees the writes applied before it.
    const regs = new Array<bigint>(n).fill(0n);
    const decode = (a: bigint, readable: boolean): number | undefined => {
      const i = Number(a >> 2n);
      return i < (readable ? n + 1 : n) ? i : undefined;
    };
    const bWant: Beat[] = [];
    const rWant: Beat[] = [];
    let wi = 0;
    let ri = 0;
    let awTaken = 0;
    let wTaken = 0;
    const appliedIn: number[] = [];
    const apply = (): void => {
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
    };
    out.forEach((o, cycle) => {
      while (wi < appliedIn.length && appliedIn[wi]! < cycle) apply();
      if (o.src2_fire === 1n) {
        const i = decode(reads[ri++]!.addr, true);
        const data = i === undefined ? 0n : i === n ? status : regs[i]!;
        rWant.push({ data: data | ((i === undefined ? SLVERR : OKAY) << 32n) });
      }
      awTaken += Number(o.src0_fire);
      wTaken += Number(o.src1_fire);
      assert.ok(Math.abs(awTaken - wTaken) <= 1, 'AW and W are at most one write apart');
      while (appliedIn.length < Math.min(awTaken, wTaken)) appliedIn.push(cycle + 1);
    });
    while (wi < appliedIn.length) apply();
    assert.equal(wi, writes.length, 'every write was taken');
    assert.equal(ri, reads.length, 'every read was taken');
    assert.deepEqual(bGot, bWant);
    assert.deepEqual(rGot, rWant);
    assert.ok(rWant.some((r) => r.data >> 32n === SLVERR) && rWant.some((r) => (r.data & 0xffffffffn) !== 0n && r.data >> 32n === OKAY), 'both responses, and nonzero data, were read');
  });
});
