/**
 * Every stream operator in Verilator under random offers and random backpressure,
 * compared bit-exactly with a TypeScript model of what it must deliver (seeded; the
 * seed is printed, SPARSEGRAD_SEED replays it). The bench (stream-bench.ts) also
 * checks the transfer rule on every output.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { checkIverilog, lintVerilator, synthYosys } from '../../toolchain/lint.ts';
import { emitDesign } from '../../generator/index.ts';
import { Bundle, SFix, SInt, UInt, Vec, resizeRaw } from '../../generator/index.ts';
import { arbiter, fork, join, map, queue, widthConvert } from '../../generator/lib/stream-ops.ts';
import { pipe, skid } from '../../generator/lib/stages.ts';
import { bramQueue, regQueue } from '../../generator/lib/queues.ts';
import { connect } from '../../generator/lib/connect.ts';
import type { Stream, StreamSpec } from '../../generator/lib/stream.ts';
import { rng, testSeed } from '../sim/seed.ts';
import { simulate, useScratchDir } from './sim-helpers.ts';
import { collect, randomBeats, randomTraffic, streamOpBench, type Beat, type Bench } from './stream-bench.ts';
import type { Vector } from '../../sim/vectors/index.ts';

const scratch = useScratchDir('sg-gen-ops-');

/** Lint the bench (operators included) with all three tools, then simulate it under random traffic. */
async function run(bench: Bench, random: () => number, cycles = 600): Promise<{ inputs: Vector[]; out: Vector[]; beats: Beat[][] }> {
  const dir = path.join(scratch(), `${bench.def.name}_lint`);
  const d = emitDesign(bench.def, dir);
  assert.deepEqual(d.warnings.map((w) => w.message), []);
  const files = [...d.files.keys()].map((f) => path.join(dir, f));
  await lintVerilator(files, d.manifest.top);
  assert.deepEqual((await checkIverilog(files, d.manifest.top)).diagnostics, []);
  const ys = await synthYosys(files, d.manifest.top);
  assert.deepEqual(ys.diagnostics.filter((x) => x.severity === 'warning').map((x) => x.message), []);
  const inputs = randomTraffic(bench, random, cycles);
  const out = await simulate(scratch(), bench.def, inputs, 'aresetn');
  return { inputs, out, beats: collect(bench, inputs, out) };
}

const mask = (w: number): bigint => (1n << BigInt(w)) - 1n;

describe('stream operators in Verilator under random backpressure, against TypeScript models', function () {
  this.timeout(600_000);

  for (const storage of ['bram', 'registers'] as const) {
    it(`queue in ${storage}: every beat once, in order, with tlast, tkeep and tuser`, async () => {
      const random = rng(testSeed(`queue ${storage}`));
      const spec: StreamSpec = { payload: UInt(8), last: true, keep: 1, user: 3 };
      const beats = randomBeats(random, 90, 8, { pLast: 0.2, keep: 1, user: 3 });
      const bench = streamOpBench(`tb_queue_${storage}`, [spec], [beats], (m, [s]) => [queue(m, 'q', s!, storage === 'bram' ? 8 : 5, { storage })]);
      const { beats: got } = await run(bench, random);
      // Would fail if the FIFO lost, duplicated or reordered a beat, or dropped a sideband bit.
      assert.deepEqual(got[0], beats);
    });
  }

  for (const [kind, make] of [['regQueue', regQueue], ['bramQueue', bramQueue]] as const) {
    it(`${kind} (inline, the engine's queues): every beat once, in order, with tlast, tkeep and tuser`, async () => {
      const random = rng(testSeed(kind));
      const spec: StreamSpec = { payload: Bundle({ a: SInt(5), b: UInt(3) }), last: true, keep: 1, user: 2 };
      const beats = randomBeats(random, 90, 8, { pLast: 0.2, keep: 1, user: 2 });
      const bench = streamOpBench(`tb_${kind}`, [spec], [beats], (m, [s]) => {
        const q = make(m, 'q', spec, 5);
        connect(s!, q.in);
        m.unused(q.count);
        return [q.out];
      });
      const { beats: got } = await run(bench, random);
      // Would fail if the queue lost, duplicated or reordered a beat, or dropped a sideband bit.
      assert.deepEqual(got[0], beats);
    });
  }

  it('queue of a Bundle payload with a signed field, then pipe and skid stages: payload bits unchanged', async () => {
    const random = rng(testSeed('bundle queue pipe skid'));
    const T = Bundle({ a: SInt(5), b: Vec(2, UInt(3)) });
    const beats = randomBeats(random, 70, 11, { pLast: 0.3 });
    const bench = streamOpBench('tb_bundle_chain', [{ payload: T, last: true }], [beats], (m, [s]) => [skid(m, 'k', pipe(m, 'p', queue(m, 'q', s!, 3, { storage: 'registers' })))]);
    const { beats: got } = await run(bench, random);
    assert.deepEqual(got[0], beats);
  });

  it('map: SInt(12) + 7 into SInt(13), tlast kept', async () => {
    const random = rng(testSeed('map'));
    const beats = randomBeats(random, 80, 12, { pLast: 0.25 });
    const bench = streamOpBench('tb_map', [{ payload: SInt(12), last: true }], [beats], (m, [s]) => [map(m, 'plus7', s as Stream<ReturnType<typeof SInt>>, SInt(13), (x) => x.add(7))]);
    const { beats: got } = await run(bench, random);
    const want = beats.map((b) => ({ data: BigInt.asUintN(13, BigInt.asIntN(12, b.data) + 7n), last: b.last }));
    assert.deepEqual(got[0], want);
  });

  it('map on a fixed-point stream: SFix(4, 4) rounded half-even and saturated into SFix(3, 2)', async () => {
    const random = rng(testSeed('map fixed'));
    const beats = randomBeats(random, 80, 8, { pLast: 0.2 });
    const from = SFix(4, 4);
    const to = SFix(3, 2);
    const bench = streamOpBench('tb_map_fixed', [{ payload: from, last: true }], [beats], (m, [s]) =>
      [map(m, 'narrow', s as Stream<typeof from>, to, (x) => x.resize(to, 'half-even', 'saturate'))]);
    const { beats: got } = await run(bench, random);
    const want = beats.map((b) => ({ data: BigInt.asUintN(5, resizeRaw(BigInt.asIntN(8, b.data), from, to, 'half-even', 'saturate')), last: b.last }));
    assert.deepEqual(got[0], want);
  });

  it('fork into three: each output takes every beat once, at its own pace', async () => {
    const random = rng(testSeed('fork'));
    const beats = randomBeats(random, 70, 10, { pLast: 0.2 });
    const bench = streamOpBench('tb_fork', [{ payload: UInt(10), last: true }], [beats], (m, [s]) => fork(m, 'f', s!, 3));
    const { beats: got } = await run(bench, random);
    for (const g of got) assert.deepEqual(g, beats);
  });

  it('join of two streams: beats paired in order, tlast from the chosen input', async () => {
    const random = rng(testSeed('join'));
    const a = randomBeats(random, 60, 8, { pLast: 0.3 });
    const b = randomBeats(random, 60, 4);
    const bench = streamOpBench('tb_join', [{ payload: UInt(8), last: true }, { payload: SInt(4) }], [a, b], (m, [x, y]) => [join(m, 'j', { a: x!, b: y! }, { lastFrom: 'a' })]);
    const { beats: got } = await run(bench, random);
    assert.deepEqual(got[0], a.map((p, k) => ({ data: p.data | (b[k]!.data << 8n), last: p.last })));
  });

  for (const policy of ['round-robin', 'priority'] as const) {
    // Round robin runs on packets (tlast), priority on single beats: both arbiter paths.
    const packets = policy === 'round-robin';
    it(`arbiter (${policy}${packets ? ', packets of tlast' : ''}): cycle by cycle as the TypeScript model`, async () => {
      const random = rng(testSeed(`arbiter ${policy}`));
      const n = 3;
      const lists = Array.from({ length: n }, () => randomBeats(random, 40, 6, packets ? { pLast: 0.35 } : {}));
      const bench = streamOpBench(`tb_arbiter_${policy.replace('-', '_')}`, lists.map(() => ({ payload: UInt(6), last: packets })), lists, (m, srcs) => [arbiter(m, 'arb', srcs, { policy })]);
      const { inputs, out, beats: got } = await run(bench, random, 500);
      // The model runs the whole bench: replaying sources, the arbiter, the random sink.
      const ptr = new Array<number>(n).fill(0);
      const holding = new Array<boolean>(n).fill(false);
      let next = 0;
      let locked = false;
      let grant = 0;
      out.forEach((o, c) => {
        const valid = ptr.map((p, i) => p < lists[i]!.length && (holding[i]! || inputs[c]![`src${i}_offer`] === 1n));
        const from = (start: number): number => {
          for (let k = 0; k < n; k++) if (valid[(start + k) % n]) return (start + k) % n;
          return (start + n - 1) % n;
        };
        const chosen = locked ? grant : from(policy === 'priority' ? 0 : next);
        assert.equal(o.out0_valid, valid[chosen] ? 1n : 0n, `cycle ${c}: valid`);
        const beat = lists[chosen]![ptr[chosen]!];
        if (valid[chosen]) assert.equal(o.out0_word, beat!.data | (beat!.last ? 1n << 6n : 0n), `cycle ${c}: word from input ${chosen}`);
        const sinkReady = inputs[c]!.sink0_ready === 1n;
        for (let i = 0; i < n; i++) {
          const ready = sinkReady && chosen === i;
          holding[i] = valid[i]! && !ready;
          if (valid[i] && ready) ptr[i]!++;
        }
        if (valid[chosen] && sinkReady) {
          const ends = !packets || beat!.last!;
          locked = !ends;
          grant = chosen;
          if (ends) next = (chosen + 1) % n;
        } else if (valid[chosen]) {
          locked = true;
          grant = chosen;
        }
      });
      assert.equal(got[0]!.length, lists.reduce((s, l) => s + l.length, 0), 'every beat delivered');
    });
  }

  it('widthConvert 8 → 32 bits: four beats a word, a tlast ends a word early with tkeep marking its bytes', async () => {
    const random = rng(testSeed('width up'));
    const beats = randomBeats(random, 90, 8, { pLast: 0.15 });
    const bench = streamOpBench('tb_width_up', [{ payload: UInt(8), last: true }], [beats], (m, [s]) => [widthConvert(m, 'up', s!, 32)]);
    const { beats: got } = await run(bench, random);
    const want: Beat[] = [];
    let lanes: bigint[] = [];
    for (const b of beats) {
      lanes.push(b.data);
      if (lanes.length === 4 || b.last) {
        want.push({ data: lanes.reduce((acc, d, j) => acc | (d << BigInt(8 * j)), 0n), last: b.last, keep: mask(lanes.length) });
        lanes = [];
      }
    }
    assert.deepEqual(got[0], want);
  });

  it('widthConvert 32 → 8 bits: each word as four beats, least significant first, tlast and tkeep split', async () => {
    const random = rng(testSeed('width down'));
    const beats = randomBeats(random, 40, 32, { pLast: 0.3, keep: 4 });
    const bench = streamOpBench('tb_width_down', [{ payload: UInt(32), last: true, keep: 4 }], [beats], (m, [s]) => [widthConvert(m, 'down', s!, 8)]);
    const { beats: got } = await run(bench, random);
    const want = beats.flatMap((b) => [0, 1, 2, 3].map((j) => ({ data: (b.data >> BigInt(8 * j)) & 255n, last: b.last! && j === 3, keep: (b.keep! >> BigInt(j)) & 1n })));
    assert.deepEqual(got[0], want);
  });
});
