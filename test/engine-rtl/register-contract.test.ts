/**
 * The register contract (docs/ARCHITECTURE.md, "Registers") on the real RTL, through
 * the AXI harness: while BUSY every AXI4-Lite write completes with SLVERR and changes
 * nothing (job registers, START, CLEAR_COUNTERS, read-only and unmapped addresses),
 * reads return the programmed values, and the job's results and counters stay
 * bit-exact with the model; idle writes get OKAY. And DONE means done: a monitor
 * wrapped around the engine's ports checks that when a STATUS read shows DONE, no
 * read burst lacks its last R, no write burst its B, and nothing is offered on
 * m_axis_res, AR, AW or W; so writes after DONE cannot disturb a bus.
 *
 * The harness reports every non-OKAY AXI4-Lite response as a protocol error
 * ("s_axil: write to 0x… answered BRESP=2"); here those lines are the observation
 * under test: exactly the writes issued while BUSY must produce one, in order. On the
 * block that took every write the first test fails (no SLVERR, and the VECTORS write
 * that got through leaves the job waiting for vectors that never come).
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findModule, readVerilogHeaders } from '../../generator/verilog-header/index.ts';
import { Rng } from '../../golden/rng.ts';
import { COUNTER_READS, CTRL_CLEAR_COUNTERS, CTRL_START, ENGINE_ID, JOB_REGS, LITE_SLVERR, REG, STATUS_BUSY, STATUS_DONE } from '../../engine/registers.ts';
import { getPreset } from '../../engine/config.ts';
import { type EngineMode, type EngineProblem } from '../../engine/jobs.ts';
import { runEngine } from '../../golden/engine-model/model.ts';
import { compareEngine, describeMismatch } from '../../sim/engine/compare.ts';
import { describeViolation, type Violation } from '../../sim/harness/rules.ts';
import { decodeEngineResult } from '../../sim/engine/decode.ts';
import { buildEngineJob, type DriverOptions, type EngineSimJob } from '../../sim/engine/encode.ts';
import type { LiteCommand, SimResult } from '../../sim/harness/job.ts';
import { prepareTestbench, runSimJob, type Testbench } from '../../sim/harness/run.ts';
import { findTopDescription } from '../../generator/backend/manifest.ts';
import { randomProblem, rtlFiles, testSeed, type ProblemShape } from './helpers.ts';
import { engineTop } from '../../generator/designs/index.ts';
import { simulate } from '../../sim/simulate/index.ts';

const PRESET = 'tiny';
const DONE_MONITOR = 'done_monitor';
const UNMAPPED = [0x30, 0xfc];
const READ_ONLY = [REG.STATUS, REG.CYCLES_BUSY, REG.ID];
/** A value unlike v in every byte lane, so a write that got through would show in any register width. */
const unlike = (v: number): number => (v ^ 0x0f0f0f0f) >>> 0;
const hex = (a: number): string => `0x${a.toString(16)}`;

/**
 * A wrapper with the engine's ports that watches them: whenever a read of STATUS hands the
 * host DONE, nothing of the job may be in flight (a read burst without its last R, an AW or
 * a last W without its B, a beat offered on m_axis_res or on AR/AW/W). Otherwise it stops
 * the simulation with $fatal, which fails the run.
 */
function doneMonitor(engineFiles: string[], top: string): string {
  const ports = findModule(engineFiles.flatMap((f) => readVerilogHeaders(f)), top).ports;
  const decl = ports.map((q) => `  ${q.direction} wire ${q.width > 1 ? `[${q.msb}:${q.lsb}] ` : ''}${q.name}`).join(',\n');
  const src = `// Test wrapper of ${top}: checks that STATUS.DONE is only read once nothing of the job is in flight.
module ${DONE_MONITOR} (
${decl}
);
  ${top} u_engine (${ports.map((q) => `.${q.name}(${q.name})`).join(', ')});
  reg status_read;
  reg [15:0] reads_open, aws_open, wlasts_open;
  wire ar = m_axi_arvalid & m_axi_arready;
  wire r_end = m_axi_rvalid & m_axi_rready & m_axi_rlast;
  wire aw = m_axi_awvalid & m_axi_awready;
  wire w_end = m_axi_wvalid & m_axi_wready & m_axi_wlast;
  wire b = m_axi_bvalid & m_axi_bready;
  always @(posedge aclk) begin
    if (!aresetn) begin
      status_read <= 1'b0;
      reads_open <= 16'd0;
      aws_open <= 16'd0;
      wlasts_open <= 16'd0;
    end else begin
      if (s_axil_arvalid & s_axil_arready) status_read <= s_axil_araddr == 8'h${REG.STATUS.toString(16).padStart(2, '0')};
      reads_open <= reads_open + {15'd0, ar} - {15'd0, r_end};
      aws_open <= aws_open + {15'd0, aw} - {15'd0, b};
      wlasts_open <= wlasts_open + {15'd0, w_end} - {15'd0, b};
      if (s_axil_rvalid & s_axil_rready & status_read & s_axil_rdata[${Math.log2(STATUS_DONE)}]
          & (reads_open != 16'd0 | aws_open != 16'd0 | wlasts_open != 16'd0 | m_axis_res_tvalid | m_axi_arvalid | m_axi_awvalid | m_axi_wvalid))
        $fatal(1, "DONE read with the job in flight: %0d read bursts without last R, %0d AW and %0d last W without B, valid on res %0d ar %0d aw %0d w %0d",
          reads_open, aws_open, wlasts_open, m_axis_res_tvalid, m_axi_arvalid, m_axi_awvalid, m_axi_wvalid);
    end
  end
endmodule
`;
  // At a content-addressed path, so the build cache hits across runs.
  const dir = join(tmpdir(), `sparsegrad-${DONE_MONITOR}-${createHash('sha256').update(src).digest('hex').slice(0, 20)}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${DONE_MONITOR}.v`);
  const part = `${file}.${process.pid}`;
  writeFileSync(part, src);
  renameSync(part, file);
  return file;
}

const isStart = (c: LiteCommand): boolean => c.op === 'write' && c.addr === REG.CTRL && c.data === CTRL_START;
const isDoneWait = (c: LiteCommand): boolean => c.op === 'wait' && c.addr === REG.STATUS && c.mask === STATUS_DONE;

/** Commands the test adds to the driver's script, with what each read must return. */
interface Probe {
  cmd: LiteCommand;
  /** read: the value it must return (masked), or undefined to keep it for the test to inspect. */
  expect?: { mask: number; value: number; why: string };
}

const write = (addr: number, data: number): Probe => ({ cmd: { op: 'write', addr, data } });
const read = (addr: number, expect?: Probe['expect']): Probe => (expect ? { cmd: { op: 'read', addr }, expect } : { cmd: { op: 'read', addr } });

/** The driver's script with `probes(n)` inserted after the n-th command matching `at`. */
function insertAfter(script: LiteCommand[], at: (c: LiteCommand) => boolean, probes: (n: number) => Probe[]): { script: LiteCommand[]; probes: Probe[] } {
  const out: LiteCommand[] = [];
  const all: Probe[] = [];
  let n = 0;
  for (const c of script) {
    out.push(c);
    if (!at(c)) continue;
    const p = probes(n++);
    out.push(...p.map((x) => x.cmd));
    all.push(...p);
  }
  return { script: out, probes: all };
}

/** The value the driver last wrote to each job register before the n-th START. */
function programmed(script: readonly LiteCommand[], n: number): Map<number, number> {
  const v = new Map<number, number>();
  let starts = 0;
  for (const c of script) {
    if (isStart(c) && starts++ === n) return v;
    if (c.op === 'write' && (JOB_REGS as readonly number[]).includes(c.addr)) v.set(c.addr, c.data);
  }
  throw new Error(`script has no START number ${n}`);
}

interface Observed {
  /** The run with the probes' reads and the refused-write reports taken out: what the driver expects. */
  driverView: SimResult;
  /** Each probe read's value and cycle, in script order. */
  probeReads: { probe: Probe; data: number; cycle: number }[];
  /** Addresses of the writes answered SLVERR, in order. */
  refused: number[];
}

const REFUSED = /^write to 0x([0-9a-f]+) answered BRESP=(\d+)/;

function separate(script: readonly LiteCommand[], probes: readonly Probe[], r: SimResult): Observed {
  const mine = new Map(probes.map((p) => [p.cmd, p]));
  const reads: SimResult['reads'] = [];
  const probeReads: Observed['probeReads'] = [];
  let i = 0;
  for (const c of script) {
    if (c.op !== 'read') continue;
    const got = r.reads[i++];
    assert.ok(got, `the read log ends before the read of ${hex(c.addr)} (did the script finish? ${r.timeoutDetail ?? ''})`);
    const p = mine.get(c);
    if (p) probeReads.push({ probe: p, data: got.data >>> 0, cycle: got.cycle });
    else reads.push(got);
  }
  const refused: number[] = [];
  const others: Violation[] = [];
  assert.equal(r.violations.length, r.violationCount, 'every violation is listed (fewer than 64)');
  for (const v of r.violations) {
    const m = v.rule === 'AXIL-OKAY' ? REFUSED.exec(v.detail) : null;
    if (m && Number(m[2]) === LITE_SLVERR) refused.push(parseInt(m[1]!, 16));
    else others.push(v);
  }
  return { driverView: { ...r, reads, violations: others, violationCount: others.length, protocolErrors: others.map(describeViolation) }, probeReads, refused };
}

function assertBitExact(ej: EngineSimJob, problem: EngineProblem, view: SimResult, what: string): void {
  assert.deepEqual(view.protocolErrors, [], `${what}: protocol violations besides the refused writes`);
  const decoded = decodeEngineResult(ej, view);
  const c = compareEngine(ej, runEngine(ej.cfg, problem, ej.mode), decoded);
  assert.deepEqual(c.formatErrors, [], `${what}: ${c.formatErrors.join('; ')}`);
  assert.ok(c.pass, `${what}: ${c.mismatchCount} mismatches, first: ${c.mismatches.slice(0, 3).map(describeMismatch).join(' | ')}`);
}

function assertProbeReads(o: Observed, what: string): void {
  for (const { probe, data } of o.probeReads) {
    const e = probe.expect;
    if (e && (data & e.mask) >>> 0 !== e.value >>> 0) {
      assert.fail(`${what}: read of ${hex(probe.cmd.op === 'read' ? probe.cmd.addr : -1)} gave ${hex(data)}, expected ${hex(e.value)} under mask ${hex(e.mask)} (${e.why})`);
    }
  }
}

describe('engine RTL: the register contract (tiny preset, Verilator)', function () {
  const benches: Partial<Record<'sparse' | 'dense' | 'monitored', Testbench>> = {};

  before(async function () {
    const sparse = rtlFiles(PRESET, 'sparse_bwd_engine');
    benches.sparse = await prepareTestbench({ top: 'sparse_bwd_engine', rtlFiles: sparse });
    benches.dense = await prepareTestbench({ top: 'dense_bwd_engine', rtlFiles: rtlFiles(PRESET, 'dense_bwd_engine') });
    // The wrapper has the engine's ports, so it has the engine's interfaces too.
    const engine = findTopDescription('sparse_bwd_engine', sparse)!.description;
    benches.monitored = await prepareTestbench({ top: DONE_MONITOR, rtlFiles: [...sparse, doneMonitor(sparse, 'sparse_bwd_engine')], description: { ...engine, name: DONE_MONITOR } });
  });

  // Long enough (hundreds of busy cycles) that the probes all land inside the job; the STATUS
  // reads around them prove they did.
  const busyShape: ProblemShape = { R: 64, K: 16, S: 4, density: 0.5, theta: 0 };

  /** Probes issued right after START: every kind of write, then every job register read back. */
  function whileBusy(prog: Map<number, number>): Probe[] {
    const busyNow = (why: string): Probe => read(REG.STATUS, { mask: STATUS_BUSY | STATUS_DONE, value: STATUS_BUSY, why });
    return [
      busyNow('the job has started'),
      ...JOB_REGS.map((a) => write(a, unlike(prog.get(a)!))),
      write(REG.CTRL, CTRL_START),
      write(REG.CTRL, CTRL_CLEAR_COUNTERS),
      write(REG.CTRL, CTRL_START | CTRL_CLEAR_COUNTERS),
      write(REG.CTRL, 0),
      ...READ_ONLY.map((a) => write(a, 0xffffffff)),
      ...UNMAPPED.map((a) => write(a, 0x12345678)),
      ...JOB_REGS.map((a) => read(a, { mask: 0xffffffff, value: prog.get(a)!, why: 'a refused write changes nothing' })),
      busyNow('every write above was issued while BUSY'),
    ];
  }
  const refusedAddrs = (probes: readonly Probe[]): number[] => probes.flatMap((p) => (p.cmd.op === 'write' ? [p.cmd.addr] : []));

  async function hostile(engine: 'sparse' | 'dense', mode: EngineMode, seed: number): Promise<void> {
    const cfg = getPreset(PRESET, { dense: engine === 'dense' });
    const p = randomProblem(cfg, new Rng(seed), busyShape);
    const opts: DriverOptions = { memLatency: 20, backpressure: 'random', seed };
    const ej = buildEngineJob(cfg, p, mode, opts);
    assert.equal(ej.plan.length, 1, 'one engine job');
    const { script, probes } = insertAfter(ej.job.script, isStart, (n) => whileBusy(programmed(ej.job.script, n)));
    // Idle again: writes to read-only and unmapped addresses are taken (OKAY) and ignored.
    const idle: Probe[] = [
      ...READ_ONLY.map((a) => write(a, 0xffffffff)),
      ...UNMAPPED.map((a) => write(a, 0x12345678)),
      read(REG.STATUS, { mask: 0xffffffff, value: STATUS_DONE, why: 'idle, DONE, a STATUS write ignored' }),
      read(REG.CYCLES_BUSY),
      read(REG.ID, { mask: 0xffffffff, value: ENGINE_ID, why: 'ID is read-only' }),
      ...UNMAPPED.map((a) => read(a, { mask: 0xffffffff, value: 0, why: 'unmapped addresses read 0' })),
      write(REG.THETA, 0x1234),
      read(REG.THETA, { mask: 0xffffffff, value: 0x1234, why: 'an idle write to a job register is taken' }),
    ];
    const full = [...script, ...idle.map((x) => x.cmd)];
    const r = await runSimJob(benches[engine]!, { ...ej.job, script: full });
    const what = `${engine} ${mode}, seed ${seed}`;
    const o = separate(full, [...probes, ...idle], r);
    assert.deepEqual(o.refused.map(hex), refusedAddrs(probes).map(hex), `${what}: the writes answered SLVERR are exactly those issued while BUSY`);
    assertProbeReads(o, what);
    assertBitExact(ej, p, o.driverView, what);
    // CYCLES_BUSY after the writes to it: still the job's count the driver read.
    const cyclesBusy = o.probeReads.find((x) => x.probe.cmd.op === 'read' && x.probe.cmd.addr === REG.CYCLES_BUSY)!.data;
    assert.equal(cyclesBusy, o.driverView.reads[o.driverView.reads.length - COUNTER_READS.length]!.data >>> 0, `${what}: a write to CYCLES_BUSY changed it`);
  }

  it('refuses every write while BUSY (SLVERR, nothing changes) and keeps the job bit-exact; idle writes get OKAY', async () => {
    const seed = testSeed('register contract');
    await hostile('sparse', 'data', seed);
    await hostile('sparse', 'weight', seed + 1);
    await hostile('dense', 'data', seed + 2);
  });

  it('refuses a START whose ROWS or COLS are out of range (SLVERR, no job, nothing cleared); bases and strides stay bus-aligned', async () => {
    const seed = testSeed('register contract START check');
    const cfg = getPreset(PRESET);
    const p = randomProblem(cfg, new Rng(seed), { R: 16, K: 8, S: 2, density: 0.5, theta: 0 });
    const ej = buildEngineJob(cfg, p, 'data', { memLatency: 5, seed });
    const prog = programmed(ej.job.script, 0);
    // Each made a job that broke AXI rules or hung: COLS = 0 issued 256-beat reads across 4 KiB,
    // COLS > kMax hung.
    const bad: [number, number][] = [[REG.ROWS, 0], [REG.ROWS, cfg.rMax + 1], [REG.COLS, 0], [REG.COLS, cfg.kMax + 1]];
    // After the job, idle: each bad value on its own, START with CLEAR_COUNTERS, then the good value back.
    const tail: Probe[] = bad.flatMap(([addr, v]) => [
      write(addr, v),
      write(REG.CTRL, CTRL_START | CTRL_CLEAR_COUNTERS),
      read(REG.STATUS, { mask: 0xffffffff, value: STATUS_DONE, why: `no job started with register ${hex(addr)} = ${hex(v)}` }),
      write(addr, prog.get(addr)!),
    ]);
    tail.push(read(REG.CYCLES_BUSY));
    // Bases and strides keep no bits below the bus width (unaligned bursts were the alternative).
    const bus = cfg.axiDataBits / 8;
    for (const a of [REG.W_BASE, REG.W_STRIDE, REG.G_BASE, REG.G_STRIDE]) {
      tail.push(write(a, 0x12345 * bus + bus - 1), read(a, { mask: 0xffffffff, value: 0x12345 * bus, why: 'the bits below the bus width read 0' }));
    }
    const script = [...ej.job.script, ...tail.map((x) => x.cmd)];
    const r = await runSimJob(benches.sparse!, { ...ej.job, script });
    const what = `seed ${seed}`;
    const o = separate(script, tail, r);
    assert.deepEqual(o.refused.map(hex), bad.map(() => hex(REG.CTRL)), `${what}: exactly the STARTs of unrunnable jobs are answered SLVERR`);
    assertProbeReads(o, what);
    assertBitExact(ej, p, o.driverView, what);
    const cyclesBusy = o.probeReads.find((x) => x.probe.cmd.op === 'read' && x.probe.cmd.addr === REG.CYCLES_BUSY)!.data;
    assert.equal(cyclesBusy, o.driverView.reads[o.driverView.reads.length - COUNTER_READS.length]!.data >>> 0, `${what}: a refused START cleared the counters`);
  });

  // The monitor fails the run if a read hands the host DONE while anything of the job is in
  // flight; it did on RTL whose DONE ignored the drain (weight mode: W beats and B responses
  // still open), and this test hangs on RTL that counts a result vector when its last beat is
  // offered rather than taken.
  it('DONE means done: nothing of the job is in flight when a read shows DONE, and writes after DONE disturb nothing', async () => {
    const seed = testSeed('register contract DONE');
    for (const mode of ['data', 'weight'] as const) {
      const cfg = getPreset(PRESET);
      // K > kMax: three back-to-back tiles, so a late beat or burst would also meet the next job.
      const p = randomProblem(cfg, new Rng(seed), { R: 24, K: 40, S: 3, density: 0.6, theta: 0 });
      const ej = buildEngineJob(cfg, p, mode, { memLatency: 30, stallProbability: 0.2, backpressure: 'bursty', seed });
      assert.ok(ej.plan.length >= 3, 'several engine jobs');
      // Right after DONE: writes that would change what the outputs present (MODE gates
      // m_axis_res tvalid) if anything were still in flight.
      const after = (): Probe[] => [
        { cmd: { op: 'write', addr: REG.MODE, data: mode === 'data' ? 1 : 0 } },
        { cmd: { op: 'write', addr: REG.COLS, data: 1 } },
        { cmd: { op: 'write', addr: REG.ROWS, data: 1 } },
        { cmd: { op: 'write', addr: REG.VECTORS, data: 0 } },
        { cmd: { op: 'write', addr: REG.G_BASE, data: 0 } },
        { cmd: { op: 'write', addr: REG.THETA, data: 0xffff } },
      ];
      const { script, probes } = insertAfter(ej.job.script, isDoneWait, after);
      const r = await runSimJob(benches.monitored!, { ...ej.job, script });
      const what = `${mode}, seed ${seed}`;
      const o = separate(script, probes, r);
      assert.deepEqual(o.refused, [], `${what}: a write after DONE was refused`);
      assertBitExact(ej, p, o.driverView, what);
      if (mode === 'weight') assert.ok(r.writeBursts.length > 0, 'weight mode wrote G back');
    }
  });
});

describe('register readback (jobReadback)', function () {
  this.timeout(300_000);
  // Written values chosen to fit every job register's width on tiny (ROWS 7 bits, COLS 5, the
  // bases bus-aligned), so with readback each reads exactly what was written.
  const written: [keyof typeof REG, number][] = [
    ['MODE', 1], ['THETA', 0x1234], ['ROWS', 33], ['COLS', 9], ['VECTORS', 0x00c0ffee],
    ['W_BASE', 0x1230], ['W_STRIDE', 0x40], ['G_BASE', 0x45670], ['G_STRIDE', 0x80],
  ];
  const readBack = async (jobReadback: boolean): Promise<Record<string, number>> => {
    const cfg = { ...getPreset(PRESET), jobReadback };
    const run = await simulate(engineTop(cfg), {
      registers: [...written.map(([r, data]) => ({ write: r, data })), ...written.map(([r]) => ({ read: r }))],
      backpressure: 'none', seed: 1, printWarnings: false,
    });
    return Object.fromEntries(run.reads.map((r) => [r.register ?? hex(r.addr), r.data >>> 0]));
  };

  it('reads back every job register where the config keeps readback (tiny, wide), and only MODE where it does not (default)', async () => {
    assert.equal(getPreset('tiny').jobReadback, true);
    assert.equal(getPreset('wide').jobReadback, true);
    assert.equal(getPreset('default').jobReadback, false);
    assert.deepEqual(await readBack(true), Object.fromEntries(written));
    // Write-only: the writes are taken (the job would run with them) and read 0, like an unmapped address.
    assert.deepEqual(await readBack(false), Object.fromEntries(written.map(([r, v]) => [r, r === 'MODE' ? v : 0])));
  });
});
