/**
 * Every stream operator in Verilator, through the simulation API (sim/simulate): random
 * and bursty backpressure on every stream end, the protocol monitors on, each output
 * compared bit-exactly with a TypeScript model of what it must deliver, payloads as
 * typed values (signed fields, bundles, vectors). Each operator's module is also linted
 * in Verilator, Icarus and Yosys. The arbiters are also run cycle by cycle against a
 * model of their grant (a DSL bench with sim/vectors: that model needs the cycles in
 * which beats were offered, which the harness chooses itself). Seeded; the seed is in
 * each title and SPARSEGRAD_SEED replays it.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { checkIverilog, lintVerilator, synthYosys } from '../../toolchain/lint.ts';
import { emitDesign } from '../../generator/index.ts';
import { Bundle, SFix, SInt, UInt, Vec, connect, defineModule, resizeRaw, type ModuleBuilder, type ModuleDef } from '../../generator/index.ts';
import { arbiter, fork, join, map, queue, widthConvert } from '../../generator/lib/stream-ops.ts';
import { pipe, skid } from '../../generator/lib/stages.ts';
import { bramQueue, regQueue, shiftQueue } from '../../generator/lib/queues.ts';
import { StreamSignature, streamPort, type Stream, type StreamSpec } from '../../generator/lib/stream.ts';
import { seededRandom, simSeed, simulate, type Backpressure, type BeatIn, type MonitoredBeat, type SimRun } from '../../sim/simulate/index.ts';
import { rng, testSeed } from '../sim/seed.ts';
import { simulate as simulateVectors, useScratchDir } from './sim-helpers.ts';
import { collect, randomBeats, randomTraffic, streamOpBench, type Bench } from './stream-bench.ts';
import type { Vector } from '../../sim/vectors/index.ts';

const scratch = useScratchDir('sg-gen-ops-');

/** A module holding the operators under test: a sink port per input spec, a source port per stream `build` returns. */
function opDesign(name: string, inputs: Record<string, StreamSpec>, build: (m: ModuleBuilder, ins: Record<string, Stream>) => Record<string, Stream>): ModuleDef {
  return defineModule(name, (m) => {
    const io: Record<string, Stream> = {};
    for (const [k, spec] of Object.entries(inputs)) io[k] = streamPort(m, k, new StreamSignature(spec, 'sink'));
    for (const [k, s] of Object.entries(build(m, { ...io }))) {
      const port = streamPort(m, k, new StreamSignature(s.spec, 'source'));
      connect(s, port);
      io[k] = port;
    }
    return io;
  });
}

/** Lint the design with all three tools, then run it through the simulation API. */
async function lintAndSimulate(def: ModuleDef, inputs: Record<string, readonly BeatIn[]>, seed: number, backpressure: Backpressure): Promise<SimRun> {
  const dir = path.join(scratch(), `${def.name}_lint`);
  const d = emitDesign(def, dir);
  assert.deepEqual(d.warnings.map((w) => w.message), []);
  const files = [...d.files.keys()].map((f) => path.join(dir, f));
  await lintVerilator(files, d.manifest.top);
  assert.deepEqual((await checkIverilog(files, d.manifest.top)).diagnostics, []);
  const ys = await synthYosys(files, d.manifest.top);
  assert.deepEqual(ys.diagnostics.filter((x) => x.severity === 'warning').map((x) => x.message), []);
  const run = await simulate(def, { inputs, seed, backpressure });
  // Would let a test pass without backpressure ever having been applied.
  if (backpressure !== 'none') assert.ok(Object.values(run.result.streams).some((s) => s.stallCycles > 0), 'some stream stalled');
  return run;
}

const uint = (random: () => number, bits: number): number => Math.floor(random() * 2 ** bits);
const sint = (random: () => number, bits: number): number => uint(random, bits) - 2 ** (bits - 1);
/** tlast with probability pLast, always on the final beat. */
const lasts = <T>(random: () => number, values: readonly T[], pLast: number): { data: T; last: boolean }[] =>
  values.map((data, i) => ({ data, last: i === values.length - 1 || random() < pLast }));
const list = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);

/** A test per backpressure mode, each with its own seed in the title. */
function eachMode(title: string, body: (seed: number, backpressure: Backpressure) => Promise<void>, modes: readonly Backpressure[] = ['random', 'bursty']): void {
  for (const bp of modes) {
    const seed = simSeed();
    it(`${title} (${bp} backpressure, seed ${seed})`, () => body(seed, bp));
  }
}

describe('stream operators through the simulation API under backpressure, against TypeScript models', function () {
  this.timeout(600_000);

  for (const storage of ['bram', 'registers'] as const) {
    eachMode(`queue in ${storage}: every beat once, in order, with tlast, tkeep and tuser`, async (seed, bp) => {
      const random = seededRandom(seed);
      const spec: StreamSpec = { payload: UInt(8), last: true, keep: 1, user: 3 };
      const beats = lasts(random, list(90, () => uint(random, 8)), 0.2).map((b) => ({ ...b, keep: uint(random, 1), user: uint(random, 3) }));
      const def = opDesign(`op_queue_${storage}`, { in: spec }, (m, { in: s }) => ({ out: queue(m, 'q', s!, storage === 'bram' ? 8 : 5, { storage }) }));
      const run = await lintAndSimulate(def, { in: beats }, seed, bp);
      // Would fail if the FIFO lost, duplicated or reordered a beat, or dropped a sideband bit.
      run.expectOutput('out', beats);
    }, storage === 'bram' ? ['random', 'bursty'] : ['random']);
  }

  eachMode('queue of a Bundle payload with a signed field and a Vec, then pipe and skid stages: values unchanged', async (seed, bp) => {
    const random = seededRandom(seed);
    const T = Bundle({ a: SInt(5), b: Vec(2, UInt(3)), ok: Bundle({ flag: UInt(1) }) });
    const beats = lasts(random, list(200, () => ({ a: sint(random, 5), b: [uint(random, 3), uint(random, 3)], ok: { flag: uint(random, 1) } })), 0.3);
    const def = opDesign('op_bundle_chain', { in: { payload: T, last: true } }, (m, { in: s }) => ({ out: skid(m, 'k', pipe(m, 'p', queue(m, 'q', s!, 3, { storage: 'registers' }))) }));
    const run = await lintAndSimulate(def, { in: beats }, seed, bp);
    run.expectOutput('out', beats);
    assert.ok(run.outputs.out!.some((b) => (b.data as { a: number }).a < 0), 'negative fields come back negative');
  });

  eachMode('map: SInt(12) + 7 into SInt(13), tlast kept', async (seed, bp) => {
    const random = seededRandom(seed);
    const beats = lasts(random, list(80, () => sint(random, 12)), 0.25);
    const def = opDesign('op_map', { in: { payload: SInt(12), last: true } }, (m, { in: s }) => ({ out: map(m, 'plus7', s as Stream<ReturnType<typeof SInt>>, SInt(13), (x) => x.add(7)) }));
    const run = await lintAndSimulate(def, { in: beats }, seed, bp);
    run.expectOutput('out', beats.map((b) => ({ data: b.data + 7, last: b.last })));
  }, ['random']);

  eachMode('map on a fixed-point stream: SFix(4, 4) rounded half-even and saturated into SFix(3, 2), raw values', async (seed, bp) => {
    const random = seededRandom(seed);
    const from = SFix(4, 4);
    const to = SFix(3, 2);
    const beats = lasts(random, list(80, () => sint(random, 8)), 0.2);
    const def = opDesign('op_map_fixed', { in: { payload: from, last: true } }, (m, { in: s }) =>
      ({ out: map(m, 'narrow', s as Stream<typeof from>, to, (x) => x.resize(to, 'half-even', 'saturate')) }));
    const run = await lintAndSimulate(def, { in: beats }, seed, bp);
    run.expectOutput('out', beats.map((b) => ({ data: Number(resizeRaw(BigInt(b.data), from, to, 'half-even', 'saturate')), last: b.last })));
  }, ['random']);

  eachMode('fork into three: each output takes every beat once, at its own pace', async (seed, bp) => {
    const random = seededRandom(seed);
    const beats = lasts(random, list(70, () => uint(random, 10)), 0.2);
    const def = opDesign('op_fork', { in: { payload: UInt(10), last: true } }, (m, { in: s }) => {
      const [a, b, c] = fork(m, 'f', s!, 3);
      return { out0: a!, out1: b!, out2: c! };
    });
    const run = await lintAndSimulate(def, { in: beats }, seed, bp);
    for (const out of ['out0', 'out1', 'out2']) run.expectOutput(out, beats);
    // Each output at its own pace: their cycle stamps differ somewhere.
    assert.ok(run.outputs.out0!.some((b, i) => b.cycle !== run.outputs.out1![i]!.cycle), 'the outputs moved independently');
  });

  eachMode('join of two streams: beats paired in order into a Bundle, tlast from the chosen input', async (seed, bp) => {
    const random = seededRandom(seed);
    const a = lasts(random, list(60, () => uint(random, 8)), 0.3);
    const b = list(60, () => sint(random, 4));
    const def = opDesign('op_join', { a: { payload: UInt(8), last: true }, b: { payload: SInt(4) } }, (m, ins) => ({ out: join(m, 'j', { a: ins.a!, b: ins.b! }, { lastFrom: 'a' }) }));
    const run = await lintAndSimulate(def, { a, b }, seed, bp);
    run.expectOutput('out', a.map((x, k) => ({ data: { a: x.data, b: b[k]! }, last: x.last })));
  });

  for (const policy of ['round-robin', 'priority'] as const) {
    const packets = policy === 'round-robin';
    eachMode(`arbiter (${policy}${packets ? ', packets of tlast' : ''}): every beat once, each input in order${packets ? ', packets never interleaved' : ''}`, async (seed, bp) => {
      const random = seededRandom(seed);
      // The input's index rides in the top two payload bits, so each beat says where it came from.
      const lists = [0, 1, 2].map((src) => lasts(random, list(40, () => (src << 4) | uint(random, 4)), packets ? 0.35 : 1));
      const def = opDesign(`op_arbiter_${policy.replace('-', '_')}`, Object.fromEntries(lists.map((_, i) => [`in${i}`, { payload: UInt(6), last: packets }])), (m, ins) =>
        ({ out: arbiter(m, 'arb', [ins.in0!, ins.in1!, ins.in2!], { policy }) }));
      const inputs = Object.fromEntries(lists.map((l, i) => [`in${i}`, packets ? l : l.map((b) => b.data)]));
      const run = await lintAndSimulate(def, inputs, seed, bp);
      const got = run.outputs.out!;
      const from = (b: MonitoredBeat): number => (b.data as number) >> 4;
      for (const src of [0, 1, 2]) assert.deepEqual(got.filter((b) => from(b) === src).map((b) => b.data), lists[src]!.map((b) => b.data), `input ${src}: every beat once, in order`);
      if (packets) {
        for (const p of run.packets('out')) assert.equal(new Set(p.map(from)).size, 1, `a packet from one input (cycle ${p[0]!.cycle})`);
        assert.ok(new Set(run.packets('out').map((p) => from(p[0]!))).size === 3, 'every input was granted');
      }
    });
  }

  eachMode('widthConvert 8 → 32 bits: four beats a word, a tlast ends a word early with tkeep marking its bytes', async (seed, bp) => {
    const random = seededRandom(seed);
    const beats = lasts(random, list(90, () => uint(random, 8)), 0.15);
    const def = opDesign('op_width_up', { in: { payload: UInt(8), last: true } }, (m, { in: s }) => ({ out: widthConvert(m, 'up', s!, 32) }));
    const run = await lintAndSimulate(def, { in: beats }, seed, bp);
    const want: { data: number; last: boolean; keep: number }[] = [];
    let lanes: number[] = [];
    for (const b of beats) {
      lanes.push(b.data);
      if (lanes.length === 4 || b.last) {
        want.push({ data: lanes.reduce((acc, d, j) => acc + d * 2 ** (8 * j), 0), last: b.last, keep: 2 ** lanes.length - 1 });
        lanes = [];
      }
    }
    run.expectOutput('out', want);
  });

  // shiftQueue at depth 2 is the lanes' token queue; at 5 (rounded to 8) its shifts span several slots.
  for (const [kind, make, depth] of [['regQueue', regQueue, 5], ['bramQueue', bramQueue, 5], ['shiftQueue', shiftQueue, 5], ['shiftQueue', shiftQueue, 2]] as const) {
    eachMode(`${kind} of depth ${depth} (inline, the engine's queues): every beat once, in order, with tlast, tkeep and tuser`, async (seed, bp) => {
      const random = seededRandom(seed);
      const spec: StreamSpec = { payload: Bundle({ a: SInt(5), b: UInt(3) }), last: true, keep: 1, user: 2 };
      const beats = lasts(random, list(90, () => ({ a: sint(random, 5), b: uint(random, 3) })), 0.2).map((b) => ({ ...b, keep: uint(random, 1), user: uint(random, 2) }));
      const def = opDesign(`op_${kind}_${depth}`, { in: spec }, (m, { in: s }) => {
        const q = make(m, 'q', spec, depth);
        connect(s!, q.in);
        m.unused(q.count);
        return { out: q.out };
      });
      const run = await lintAndSimulate(def, { in: beats }, seed, bp);
      // Would fail if the queue lost, duplicated or reordered a beat, or dropped a sideband bit.
      run.expectOutput('out', beats);
    }, ['random']);
  }

  eachMode('widthConvert 32 → 8 bits: each word as four beats, least significant first, tlast and tkeep split', async (seed, bp) => {
    const random = seededRandom(seed);
    const beats = lasts(random, list(40, () => uint(random, 32)), 0.3).map((b) => ({ ...b, keep: uint(random, 4) }));
    const def = opDesign('op_width_down', { in: { payload: UInt(32), last: true, keep: 4 } }, (m, { in: s }) => ({ out: widthConvert(m, 'down', s!, 8) }));
    const run = await lintAndSimulate(def, { in: beats }, seed, bp);
    run.expectOutput('out', beats.flatMap((b) => [0, 1, 2, 3].map((j) => ({ data: Math.floor(b.data / 2 ** (8 * j)) % 256, last: b.last && j === 3, keep: (b.keep >> j) & 1 }))));
  }, ['random']);
});

/** Simulate the bench under random offers and readies. */
async function runBench(bench: Bench, random: () => number, cycles: number): Promise<{ inputs: Vector[]; out: Vector[] }> {
  const inputs = randomTraffic(bench, random, cycles);
  return { inputs, out: await simulateVectors(scratch(), bench.def, inputs, 'aresetn') };
}

describe('arbiters cycle by cycle against a model of their grant (DSL bench, sim/vectors)', function () {
  this.timeout(600_000);

  for (const policy of ['round-robin', 'priority'] as const) {
    // Round robin runs on packets (tlast), priority on single beats: both arbiter paths.
    const packets = policy === 'round-robin';
    it(`arbiter (${policy}${packets ? ', packets of tlast' : ''}): cycle by cycle as the TypeScript model`, async () => {
      const random = rng(testSeed(`arbiter ${policy}`));
      const n = 3;
      const lists = Array.from({ length: n }, () => randomBeats(random, 40, 6, packets ? { pLast: 0.35 } : {}));
      const bench = streamOpBench(`tb_arbiter_${policy.replace('-', '_')}`, lists.map(() => ({ payload: UInt(6), last: packets })), lists, (m, srcs) => [arbiter(m, 'arb', srcs, { policy })]);
      const { inputs, out } = await runBench(bench, random, 500);
      const got = collect(bench, inputs, out);
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

});
