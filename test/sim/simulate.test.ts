/**
 * The simulation API (sim/simulate) catches what it promises to: a model that is wrong
 * gives a mismatch naming the beat, its cycle and the field; a design that breaks the
 * AXI4-Stream rules or hangs fails with the rule (or "no progress") and the cycle; a
 * seed replays the identical cycle trace, from the option or from SPARSEGRAD_SEED; and
 * misuse is one line at the test's own line. Designs are the guide's examples.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Axi4, Bool, UInt, axiPort, defineModule, streamIn, streamOut } from '../../generator/index.ts';
import { captureLoc } from '../../generator/core/loc.ts';
import { offsetStage } from '../../generator/examples/stream-stage.ts';
import { channelScaler } from '../../generator/examples/bundle-stream.ts';
import { axilRegfile } from '../../generator/examples/axil-regfile.ts';
import { UserError } from '../../util/errors.ts';
import { SimFailure, packets, seededRandom, simSeed, simulate, type SimRun } from '../../sim/simulate/index.ts';

const HERE = 'test/sim/simulate.test.ts';
const stage = offsetStage(12);
const gains = [1, 3, 5, 7, 2, 4];
const scaler = channelScaler(gains);

/** A stage that drops an offered beat after one cycle whether or not it was taken, against AXI4-Stream 2.2.1. */
const impatient = (patient: boolean) =>
  defineModule(patient ? 'patient_stage' : 'impatient_stage', (m) => {
    const input = streamIn(m, 'in', UInt(8));
    const output = streamOut(m, 'out', UInt(8));
    const full = m.reg('full', Bool(), { reset: 0 });
    const data = m.reg('data', UInt(8), { reset: 0 });
    input.ready.set(full.not());
    m.when(input.fire(), () => {
      full.set(true);
      data.set(input.data);
    }).elsewhen(patient ? output.ready : full, () => full.set(false));
    output.valid.set(full);
    output.data.set(data);
    if (!patient) m.unused(output.ready);
    return { input, output };
  });

/** A stage that never takes its input. */
const stuck = defineModule('stuck_stage', (m) => {
  const input = streamIn(m, 'in', UInt(8));
  const output = streamOut(m, 'out', UInt(8));
  const idle = m.reg('idle', Bool(), { reset: 0 });
  idle.set(false);
  input.ready.set(idle);
  output.valid.set(idle);
  output.data.set(input.data);
  m.unused(input.valid, output.ready);
  return { input, output };
});

/** For each word index taken, one single-beat AXI4 read of that 64-bit word, its data sent on. */
const wordReader = defineModule('word_reader', (m) => {
  const index = streamIn(m, 'index', UInt(9));
  const words = streamOut(m, 'words', UInt(64));
  const bus = axiPort(m, 'mem', Axi4({ addrWidth: 16, dataWidth: 64 }));
  const busy = m.reg('busy', Bool(), { reset: 0 });
  const arValid = m.reg('ar_valid', Bool(), { reset: 0 });
  const addr = m.reg('addr', UInt(16), { reset: 0 });
  const full = m.reg('full', Bool(), { reset: 0 });
  const data = m.reg('data', UInt(64), { reset: 0 });
  index.ready.set(busy.not());
  m.when(index.fire(), () => {
    busy.set(true);
    arValid.set(true);
    addr.set(index.data.resize(13).shl(3));
  });
  m.when(bus.ar.fire(), () => arValid.set(false));
  bus.ar.valid.set(arValid);
  bus.ar.fields.addr!.set(addr);
  bus.ar.fields.len!.set(0);
  bus.ar.fields.size!.set(3);
  bus.ar.fields.burst!.set(1);
  bus.r.ready.set(full.not());
  m.when(bus.r.fire(), () => {
    full.set(true);
    data.set(bus.r.fields.data!);
  });
  m.unused(bus.r.fields.resp!, bus.r.fields.last!);
  m.when(words.fire(), () => {
    full.set(false);
    busy.set(false);
  });
  words.valid.set(full);
  words.data.set(data);
  for (const c of [bus.aw, bus.w]) {
    c.valid.set(false);
    for (const f of Object.values(c.fields)) f.set(0);
  }
  bus.b.ready.set(false);
  m.unused(bus.aw.ready, bus.w.ready, bus.b.valid, bus.b.fields.resp!);
  return { index, words, bus };
});

/** The offset stage's stimulus: SInt(12) samples in packets. */
function samples(seed: number, n: number): { data: number; last: boolean }[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => ({ data: Math.floor(random() * 4096) - 2048, last: i === n - 1 || random() < 0.2 }));
}

/** Expect a one-line UserError that starts at `line` of this file and says `what`. */
function misuseAt(line: number, what: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof UserError, String(e));
    assert.ok(e.message.startsWith(`${HERE}:${line}:`), `${e.message} names line ${line}`);
    assert.match(e.message, what);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  };
}

describe('simulation API: what it catches', function () {
  this.timeout(600_000);

  const seed = simSeed();
  it(`a deliberately wrong model gives a mismatch naming the beat, its cycle, expected and got, and the seed (seed ${seed})`, async () => {
    const beats = samples(seed, 60);
    const run = await simulate(stage, { inputs: { in: beats }, hold: { offset: -5 }, seed });
    run.expectOutput('out', beats.map((b) => ({ data: b.data - 5, last: b.last })));
    // Wrong on purpose: the model adds the offset the other way round, so beat 0 already differs.
    const line = captureLoc().line; assert.throws(() => run.expectOutput('out', beats.map((b) => ({ data: b.data + 5, last: b.last }))), (e: unknown) => {
      assert.ok(e instanceof SimFailure && e.kind === 'mismatch', String(e));
      assert.equal(e.cycle, run.outputs.out![0]!.cycle);
      assert.equal(e.message, `${HERE}:${line}:${e.message.split(':')[2]}: offset_stage_w12 out beat 0 (cycle ${e.cycle}): data expected ${beats[0]!.data + 5}, got ${beats[0]!.data - 5}; seed ${seed} (replay with SPARSEGRAD_SEED=${seed})`);
      return true;
    });
    // Wrong on purpose: a tlast moved, a beat missing, a beat too many.
    const moved = beats.map((b, i) => ({ data: b.data - 5, last: i === 3 ? !b.last : b.last }));
    assert.throws(() => run.expectOutput('out', moved), /out beat 3 \(cycle \d+\): tlast expected (true|false), got (true|false)/);
    const right = beats.map((b) => ({ data: b.data - 5, last: b.last }));
    assert.throws(() => run.expectOutput('out', right.slice(0, 59)), /out delivered 60 beats, expected 59; the first extra is beat 59 \(cycle \d+\): -?\d+/);
    assert.throws(() => run.expectOutput('out', [...right, { data: 1, last: true }]), /out delivered 60 beats, expected 61; the first missing is beat 60, expected 1 \(the last beat came in cycle \d+\)/);
    // Misuse of the result is named at its line too.
    const at = captureLoc().line; assert.throws(() => run.expectOutput('in', right), misuseAt(at, /: offset_stage_w12 has no output stream in \(its output streams: out\)$/));
  });

  const seed2 = simSeed();
  it(`a wrong model of a Bundle payload: the mismatch names the differing field only (seed ${seed2})`, async () => {
    const random = seededRandom(seed2);
    const limit = 3000;
    const beats = packets(Array.from({ length: 8 }, () => Array.from({ length: 6 }, () => ({ sample: Math.floor(random() * 4096) - 2048, channel: Math.floor(random() * gains.length) }))))
      .map((b) => ({ data: b.data as { sample: number; channel: number }, last: b.last }));
    const model = (g: readonly number[]) => beats.map((b) => {
      const p = b.data.sample * g[b.data.channel]!;
      return { data: { sample: Number(BigInt.asIntN(14, BigInt(p))), channel: b.data.channel, clipped: Math.abs(p) > limit }, last: b.last };
    });
    const run = await simulate(scaler, { inputs: { in: beats }, hold: { limit }, seed: seed2 });
    run.expectOutput('out', model(gains));
    assert.deepEqual(run.packets('out').map((p) => p.length), new Array(8).fill(6));
    // Wrong on purpose: channel 2's gain is 6 in the model instead of 5.
    const wrong = model(gains.map((g, i) => (i === 2 ? 6 : g)));
    const first = beats.findIndex((b) => b.data.channel === 2 && b.data.sample !== 0);
    assert.throws(() => run.expectOutput('out', wrong), (e: unknown) => {
      assert.ok(e instanceof SimFailure);
      assert.match(e.message, new RegExp(`out beat ${first} \\(cycle ${run.outputs.out![first]!.cycle}\\): field sample expected ${wrong[first]!.data.sample}, got ${model(gains)[first]!.data.sample}`));
      assert.doesNotMatch(e.message, /field channel/);
      return true;
    });
  });

  const seed3 = simSeed();
  it(`a design that withdraws an offered beat fails with AXIS-TVALID-HOLD and its cycle; the same stage done right passes (seed ${seed3})`, async () => {
    const inputs = { in: Array.from({ length: 40 }, (_, i) => i) };
    const ok = await simulate(impatient(true), { inputs, seed: seed3 });
    ok.expectOutput('out', inputs.in);
    // Under random backpressure the broken stage meets a closed sink within a few beats and drops valid unanswered.
    const err = await simulate(impatient(false), { inputs, seed: seed3 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SimFailure && err.kind === 'violation', String(err));
    assert.equal(err.violations[0]!.rule, 'AXIS-TVALID-HOLD');
    assert.equal(err.violations[0]!.channel, 'out');
    assert.match(err.message, new RegExp(`^simulate\\(impatient_stage\\): protocol violation AXIS-TVALID-HOLD \\(AXI4-Stream 2.2.1\\) out cycle ${err.cycle}: .*; seed ${seed3} \\(replay with SPARSEGRAD_SEED=${seed3}\\)$`));
    // The failure's cycles can be traced: a VCD around the first violation.
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-simulate-vcd-'));
    try {
      const vcd = await err.writeVcd(path.join(dir, 'violation.vcd'), 5, 5);
      assert.ok(existsSync(vcd) && readFileSync(vcd, 'utf8').includes('$enddefinitions'), 'a VCD was written');
      assert.match(readFileSync(vcd, 'utf8'), /out_tvalid/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a design that never takes its input fails as "no progress" within the cycle limit, naming the stream', async () => {
    await assert.rejects(simulate(stuck, { inputs: { in: [1, 2, 3, 4, 5] }, cycleLimit: 500, seed: 1 }), (e: unknown) => {
      assert.ok(e instanceof SimFailure && e.kind === 'timeout', String(e));
      assert.match(e.message, /^simulate\(stuck_stage\): no progress within the cycle limit of 500 cycles \(s_axis_in took 0 of 5 beats\); a design that never takes its input or answers its bus hangs here, else raise cycleLimit; seed 1 \(replay with SPARSEGRAD_SEED=1\)$/);
      return true;
    });
  });

  const seed4 = simSeed();
  it(`a seed replays the identical cycle trace, from the option or from SPARSEGRAD_SEED; another seed gives another (seed ${seed4})`, async () => {
    const beats = samples(seed4, 80);
    const opts = { inputs: { in: beats }, hold: { offset: 100 } };
    const a = await simulate(stage, { ...opts, seed: seed4 });
    const b = await simulate(stage, { ...opts, seed: seed4 });
    assert.equal(b.trace(), a.trace());
    assert.equal(b.result.outputsDigest, a.result.outputsDigest);
    const saved = process.env.SPARSEGRAD_SEED;
    let c: SimRun;
    try {
      process.env.SPARSEGRAD_SEED = String(seed4);
      c = await simulate(stage, opts);
    } finally {
      if (saved === undefined) delete process.env.SPARSEGRAD_SEED;
      else process.env.SPARSEGRAD_SEED = saved;
    }
    assert.equal(c.seed, seed4);
    assert.equal(c.trace(), a.trace());
    // Would pass vacuously if the seed chose nothing: another seed moves the beats to other cycles, the values stay.
    const d = await simulate(stage, { ...opts, seed: (seed4 + 1) >>> 0 });
    assert.notEqual(d.trace(), a.trace());
    assert.deepEqual(d.outputs.out!.map((x) => x.data), a.outputs.out!.map((x) => x.data));
  });
});

describe('simulation API: a design with an AXI4 manager reads the harness memory', function () {
  this.timeout(600_000);

  const seed = simSeed();
  it(`every word read comes from the loaded memory, under random backpressure and memory stalls (seed ${seed})`, async () => {
    const random = seededRandom(seed);
    const memory = new Uint8Array(4096);
    for (let i = 0; i < memory.length; i++) memory[i] = Math.floor(random() * 256);
    const view = new DataView(memory.buffer);
    const indices = Array.from({ length: 50 }, () => Math.floor(random() * 512));
    const run = await simulate(wordReader, { inputs: { index: indices }, memory: { load: [{ base: 0, data: memory }], dump: [], latency: 3, stallProbability: 0.3 }, seed });
    run.expectOutput('words', indices.map((i) => view.getBigUint64(8 * i, true)));
    assert.equal(run.result.memory.readBursts, 50);
  });

  it('memory for a design without an AXI4 manager is misuse', async () => {
    const line = captureLoc().line; await assert.rejects(simulate(stage, { memory: { load: [], dump: [] } }), misuseAt(line, /: memory is given, but offset_stage_w12 has no AXI4 manager$/));
  });
});

describe('simulation API guide', () => {
  it('generator/README.md holds the guide\'s example as test/sim/simulate-guide.test.ts has it', () => {
    const example = readFileSync(new URL('./simulate-guide.test.ts', import.meta.url), 'utf8');
    // Would fail as soon as the file or the README's copy changed alone.
    assert.ok(readFileSync(new URL('../../generator/README.md', import.meta.url), 'utf8').includes(`\`\`\`ts\n${example}\`\`\`\n`), 'the README block is the file, verbatim');
  });
});

describe('simulation API: misuse is one line at the test\'s line', function () {
  this.timeout(600_000);

  it('an unknown stream, an output driven, an unknown held input or register, registers without a bus', async () => {
    let line = captureLoc().line; await assert.rejects(simulate(stage, { inputs: { inn: [1] } }), misuseAt(line, /: inputs\.inn: offset_stage_w12 has no stream inn \(its streams: in, out\)$/));
    line = captureLoc().line; await assert.rejects(simulate(stage, { inputs: { out: [1] } }), misuseAt(line, /: inputs\.out: out is an output stream of offset_stage_w12; outputs are monitored, not driven \(its input streams: in\)$/));
    line = captureLoc().line; await assert.rejects(simulate(stage, { hold: { ofset: 1 } }), misuseAt(line, /: hold\.ofset: offset_stage_w12 has no plain input ofset \(its plain inputs: offset\)$/));
    line = captureLoc().line; await assert.rejects(simulate(stage, { hold: { offset: 2048 } }), misuseAt(line, /: hold\.offset = 2048 is outside SInt\(12\) \(-2048\.\.2047\)$/));
    line = captureLoc().line; await assert.rejects(simulate(stage, { registers: [{ read: 0 }] }), misuseAt(line, /: registers are given, but offset_stage_w12 has no AXI4-Lite subordinate/));
    line = captureLoc().line; await assert.rejects(simulate(axilRegfile(4), { registers: [{ write: 'r9', data: 1 }] }), misuseAt(line, /: registers\[0\]: axil_regfile_4_a8 has no register r9 \(its registers: r0, r1, r2, r3, status\)$/));
    line = captureLoc().line; await assert.rejects(simulate(stage, { backpressure: 'sometimes' as never }), misuseAt(line, /backpressure is "sometimes"; choose none, random or bursty$/));
    line = captureLoc().line; await assert.rejects(simulate(axilRegfile(4), { registers: [{ write: 0, data: -1 }] }), misuseAt(line, /: registers\[0\]\.data is -1; give a 32-bit unsigned number$/));
    line = captureLoc().line; await assert.rejects(simulate(axilRegfile(4), { registers: [{ rd: 0 } as never] }), misuseAt(line, /: registers\[0\] is an object \{ rd \}: a command is \{ write, data \}, \{ read \}/));
  });

  it('values of the wrong shape, out of range for their field, or for sideband signals the stream lacks', async () => {
    let line = captureLoc().line; await assert.rejects(simulate(stage, { inputs: { in: [1, -2, 2048] } }), misuseAt(line, /: inputs\.in\[2\]\.data = 2048 is outside SInt\(12\) \(-2048\.\.2047\)$/));
    line = captureLoc().line; await assert.rejects(simulate(stage, { inputs: { in: [1.5] } }), misuseAt(line, /: inputs\.in\[0\]\.data is 1\.5, but SInt\(12\) takes an integer \(number or bigint\)$/));
    line = captureLoc().line; await assert.rejects(simulate(stage, { inputs: { in: [{ data: 1, keep: 1 }] } }), misuseAt(line, /: inputs\.in\[0\]\.keep is given, but stream in of offset_stage_w12 has no tkeep$/));
    line = captureLoc().line; await assert.rejects(simulate(scaler, { inputs: { in: [{ sample: 1, channel: 2 }] } }), misuseAt(line, /: inputs\.in\[0\] is an object \{ sample, channel \}: a beat is a bare value or \{ data, last\?, keep\?, user\? \}; wrap a Bundle value as \{ data: … \}$/));
    line = captureLoc().line; await assert.rejects(simulate(scaler, { inputs: { in: [{ data: { sample: 1 } }] } }), misuseAt(line, /: inputs\.in\[0\]\.data lacks field channel of the Bundle$/));
    line = captureLoc().line; await assert.rejects(simulate(scaler, { inputs: { in: [{ data: { sample: 1, channel: 8 } }] } }), misuseAt(line, /: inputs\.in\[0\]\.data\.channel = 8 is outside UInt\(3\) \(0\.\.7\)$/));
    line = captureLoc().line; await assert.rejects(simulate(scaler, { inputs: { in: [{ data: { sample: 1, channel: 1, gain: 2 } }] } }), misuseAt(line, /: inputs\.in\[0\]\.data has field gain, which the Bundle lacks \(fields: sample, channel\)$/));
  });
});
