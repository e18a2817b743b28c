/**
 * How close the co-simulation harness runs to the speed of the bare Verilated
 * model (issue 5: ratio ≥ 0.8), and what a build-cache hit costs.
 *
 *   node --import tsx bench/harness-speed.ts [--preset default] [--vectors 512] [--rounds 7] [--json out/bench/harness-speed.json]
 *   node --import tsx bench/harness-speed.ts --fixture      (the axi_copy fixture, when no engine RTL exists)
 *
 * Contenders, same executable and same build, two evals per cycle each:
 *  - cosim: a full cosim job of the sparse engine on synthetic gradients
 *    (streams, AXI4-Lite script, memory model with latency 20, checkers);
 *    cycles/s of its main loop, and end to end (process start, file I/O);
 *  - bare idle: `tb --bare N` resets the model and toggles the clock N times
 *    with no I/O at all; the design sits idle (nothing started it);
 *  - bare busy: `tb --bare N HOLD.txt`, the same loop with every input held at a
 *    constant chosen before it: a few untimed AXI4-Lite writes start a job that
 *    outlasts the loop, the gradient stream offers one nonzero beat in every
 *    cycle, the memory's R channel one beat, every ready is high; still no
 *    files, models or checks in the loop. The engine then works at full rate
 *    (every row nonzero, one bus beat per row, one gradient beat per vector, so
 *    the constant RLAST and TLAST are right), and its own counters, read after
 *    the loop, show how busy it was next to the cosim job's;
 *  - idle harness: the harness running every model (streams, AXI4-Lite master,
 *    memory) for N cycles of an `idle` script while the design does nothing, so
 *    it shows the harness's own cost apart from the cost of a busy design.
 * The cosim design is busy and bare idle's is not, so cosim / bare idle mixes
 * the harness's cost with the design's own activity; cosim / bare busy is
 * closer to the harness's cost alone.
 * Each round runs every contender once, back to back; rates are medians over
 * rounds and ratios medians of the rounds' ratios; the fastest round of each
 * contender is reported too (the least disturbed). Rates per CPU-second
 * (std::clock of the simulator) are robust to other jobs on a shared machine,
 * wall-clock rates are not; the machine's load is recorded next to the figures.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { isUserError } from '../cli/errors.ts';
import { CTRL_CLEAR_COUNTERS, CTRL_START, getPreset, MODE_DATA, REG } from '../golden/engine-model/config.ts';
import { stableJson } from '../golden/json.ts';
import { decodeEngineResult } from '../sim/engine/decode.ts';
import { thetaOf } from '../golden/engine-model/model.ts';
import { buildEngineJob, type EngineSimJob } from '../sim/engine/encode.ts';
import { encodeBeats } from '../sim/harness/beats.ts';
import type { SimJob, SimResult } from '../sim/harness/job.ts';
import { prepareTestbench, runBareLoop, runSimJob, type HarnessTarget, type HeldInputs } from '../sim/harness/run.ts';
import { DEFAULT_RTL, locateTop, REPO_ROOT } from '../sim/rtl-locate.ts';
import { syntheticStimulus } from '../sim/stimulus.ts';
import { machine, median } from './util.ts';

const program = new Command('harness-speed')
  .option('--preset <name>', 'engine preset', 'default')
  .option('--vectors <n>', 'gradient vectors of the synthetic job', (v) => Number(v), 512)
  .option('--rounds <n>', 'rounds; medians are reported', (v) => Number(v), 7)
  .option('--fixture', 'measure the axi_copy fixture instead of the engine')
  .option('--rtl <dir>', 'engine RTL folder', DEFAULT_RTL)
  .option('--json <file>', 'write the figures as JSON', 'out/bench/harness-speed.json');

interface Case {
  target: HarnessTarget;
  job: SimJob;
  /** The engine's MACs per busy cycle, from its counters (engine cases only). */
  macsPerBusyCycle?: (r: SimResult) => number;
  hold?: HeldInputs;
  holdMacsPerBusyCycle?: (reads: { addr: number; data: number }[]) => number;
}

function engineCase(preset: string, rtl: string, vectors: number): Case {
  const cfg = getPreset(preset);
  const st = syntheticStimulus(cfg, 'random', 1);
  // A job of about a million cycles, so the loop dominates process start and
  // a run lasts long enough for CPU-time rates to settle.
  const S = vectors;
  const R = Math.min(cfg.rMax, 256);
  const K = Math.min(cfg.kMax, 128);
  const g = new Int32Array(S * R).map((_, i) => st.problem.g[i % st.problem.g.length]!);
  const W = new Int32Array(R * K).map((_, i) => st.problem.W[i % st.problem.W.length]!);
  const ej: EngineSimJob = buildEngineJob(cfg, { R, K, S, theta: st.problem.theta, g, W }, 'data', { memLatency: 20 });
  const theta = thetaOf(st.problem.theta, 0);

  // The busy baseline: ROWS = P (each gradient beat is a whole vector, TLAST on
  // every beat), COLS = one bus beat of int16 W (each row one single-beat burst,
  // RLAST on every beat), every g at least θ (no row skipped), and more vectors
  // than the loop can get through.
  const busBytes = cfg.axiDataBits / 8;
  const cols = Math.min(cfg.kMax, busBytes / 2);
  const gValue = Math.min(Math.max(theta, 2 ** (cfg.gBits - 2)), 2 ** (cfg.gBits - 1) - 1);
  let beat = 0n;
  for (let i = 0; i < cfg.P; i++) beat |= BigInt(gValue) << BigInt(i * cfg.gBits);
  const readBeat = new Uint8Array(busBytes + 1);
  for (let c = 0; c < cols; c++) new DataView(readBeat.buffer).setInt16(2 * c, W[c]!, true);
  readBeat[busBytes] = 1;
  const hold: HeldInputs = {
    setup: [
      { op: 'write', addr: REG.MODE, data: MODE_DATA },
      { op: 'write', addr: REG.ROWS, data: cfg.P },
      { op: 'write', addr: REG.THETA, data: theta },
      { op: 'write', addr: REG.COLS, data: cols },
      { op: 'write', addr: REG.VECTORS, data: 2 ** 24 },
      { op: 'write', addr: REG.W_BASE, data: 0x1000 },
      { op: 'write', addr: REG.W_STRIDE, data: busBytes },
      { op: 'write', addr: REG.G_BASE, data: 0x100000 },
      { op: 'write', addr: REG.G_STRIDE, data: cols * 8 },
      { op: 'write', addr: REG.CTRL, data: CTRL_CLEAR_COUNTERS },
      { op: 'write', addr: REG.CTRL, data: CTRL_START },
    ],
    after: [
      { op: 'read', addr: REG.CYCLES_BUSY },
      { op: 'read', addr: REG.MACS_ISSUED },
    ],
    beats: { grad: encodeBeats([{ data: beat, last: true }], cfg.P * cfg.gBits) },
    readBeat,
  };
  return {
    target: { top: 'sparse_bwd_engine', rtlFiles: locateTop(rtl, 'sparse_bwd_engine', preset) },
    job: ej.job,
    macsPerBusyCycle: (r) => {
      const d = decodeEngineResult(ej, r);
      if (d.formatErrors.length) throw new Error(`the benchmark job failed: ${d.formatErrors[0]}`);
      return d.totals.macsIssued / d.totals.cyclesBusy;
    },
    hold,
    holdMacsPerBusyCycle: (reads) => reads[1]!.data / reads[0]!.data,
  };
}

function fixtureCase(): Case {
  const beats = 200_000;
  const data = new Uint8Array(beats * 8).map((_, i) => (i * 131) & 0xff);
  const script = [
    { op: 'write', addr: 0x08, data: 0x1000 },
    { op: 'write', addr: 0x0c, data: 0x1000 + beats * 8 },
    { op: 'write', addr: 0x10, data: beats },
    { op: 'write', addr: 0x18, data: 64 },
    { op: 'write', addr: 0x00, data: 1 },
    { op: 'wait', addr: 0x04, mask: 2, value: 2 },
  ] as SimJob['script'];
  return {
    target: { top: 'axi_copy', rtlFiles: [join(REPO_ROOT, 'test', 'fixtures', 'harness', 'axi_copy.v')] },
    job: { inputs: {}, script, memory: { load: [{ base: 0x1000, data }], dump: [], latency: 20 }, backpressure: 'none', seed: 1, cycleLimit: 10_000_000 },
  };
}

const M = (x: number): string => (x / 1e6).toFixed(3);

async function main(): Promise<void> {
  const o = program.parse().opts<{ preset: string; vectors: number; rounds: number; fixture?: boolean; rtl: string; json: string }>();
  const c = o.fixture ? fixtureCase() : engineCase(o.preset, o.rtl, o.vectors);
  const log = (l: string) => console.error(l);

  let t0 = performance.now();
  const tb = await prepareTestbench(c.target);
  const firstPrepare = (performance.now() - t0) / 1000;
  const hits: number[] = [];
  for (let i = 0; i < 3; i++) {
    t0 = performance.now();
    await prepareTestbench(c.target);
    hits.push((performance.now() - t0) / 1000);
  }
  log(`build: first prepare ${firstPrepare.toFixed(2)} s (a miss unless cached before), cache hit median ${median(hits).toFixed(3)} s`);

  // Each round runs every contender back to back, and ratios are taken within
  // a round before the median: load that comes and goes on a shared machine
  // then moves both sides of a ratio together.
  const rate = { loop: [] as number[], loopCpu: [] as number[], e2e: [] as number[], idle: [] as number[], idleCpu: [] as number[], busy: [] as number[], busyCpu: [] as number[], idleHarness: [] as number[] };
  const ratios = { loopVsIdle: [] as number[], loopCpuVsIdle: [] as number[], e2eVsIdle: [] as number[], loopVsBusy: [] as number[], loopCpuVsBusy: [] as number[], idleHarness: [] as number[] };
  let cycles = 0;
  let cosimMacs: number | undefined;
  let busyMacs: number | undefined;
  for (let r = 0; r < o.rounds; r++) {
    t0 = performance.now();
    const res = await runSimJob(tb, c.job);
    const wall = (performance.now() - t0) / 1000;
    if (res.timedOut) throw new Error('the benchmark job timed out');
    cycles = res.cycles;
    cosimMacs = c.macsPerBusyCycle?.(res);
    const loop = res.cycles / res.simSeconds;
    const loopCpu = res.cycles / res.simCpuSeconds;
    const e2e = res.cycles / wall;
    const idle = await runBareLoop(tb, cycles);
    const idleRate = idle.cycles / idle.simSeconds;
    const idleCpu = idle.cycles / idle.simCpuSeconds;
    rate.loop.push(loop);
    rate.loopCpu.push(loopCpu);
    rate.e2e.push(e2e);
    rate.idle.push(idleRate);
    rate.idleCpu.push(idleCpu);
    ratios.loopVsIdle.push(loop / idleRate);
    ratios.loopCpuVsIdle.push(loopCpu / idleCpu);
    ratios.e2eVsIdle.push(e2e / idleRate);
    let line = `round ${r + 1}: cosim loop ${M(loop)} Mcycles/s (${M(loopCpu)} per CPU-s), end to end ${M(e2e)}; bare idle ${M(idleRate)} (${M(idleCpu)} per CPU-s)`;
    if (c.hold) {
      const busy = await runBareLoop(tb, cycles, c.hold);
      busyMacs = c.holdMacsPerBusyCycle?.(busy.reads);
      const busyRate = busy.cycles / busy.simSeconds;
      const busyCpu = busy.cycles / busy.simCpuSeconds;
      rate.busy.push(busyRate);
      rate.busyCpu.push(busyCpu);
      ratios.loopVsBusy.push(loop / busyRate);
      ratios.loopCpuVsBusy.push(loopCpu / busyCpu);
      line += `; bare busy ${M(busyRate)} (${M(busyCpu)} per CPU-s)`;
    }
    // The harness's own overhead: the same cycle count, design idle, every harness model stepping.
    const idleJob = await runSimJob(tb, { inputs: {}, script: [{ op: 'idle', cycles }], memory: { load: [], dump: [], size: 1 << 16 }, backpressure: 'none', seed: 1, cycleLimit: cycles + 100 });
    rate.idleHarness.push(idleJob.cycles / idleJob.simCpuSeconds);
    ratios.idleHarness.push(idleJob.cycles / idleJob.simCpuSeconds / idleCpu);
    log(`${line}; idle harness ${M(rate.idleHarness[r]!)} per CPU-s`);
  }

  const m = Object.fromEntries(Object.entries(rate).map(([k, v]) => [k, v.length ? median(v) : NaN])) as Record<keyof typeof rate, number>;
  const q = Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, v.length ? Number(median(v).toFixed(3)) : NaN])) as Record<keyof typeof ratios, number>;
  const out = {
    machine: machine(),
    design: c.target.top,
    preset: o.fixture ? null : o.preset,
    cyclesPerRun: cycles,
    rounds: o.rounds,
    cosimLoopCyclesPerSec: Math.round(m.loop),
    cosimLoopCyclesPerCpuSec: Math.round(m.loopCpu),
    cosimEndToEndCyclesPerSec: Math.round(m.e2e),
    bareIdleCyclesPerSec: Math.round(m.idle),
    bareIdleCyclesPerCpuSec: Math.round(m.idleCpu),
    ratioLoopVsBareIdle: q.loopVsIdle,
    ratioLoopCpuVsBareIdle: q.loopCpuVsIdle,
    ratioEndToEndVsBareIdle: q.e2eVsIdle,
    ...(c.hold
      ? {
          bareBusyCyclesPerSec: Math.round(m.busy),
          bareBusyCyclesPerCpuSec: Math.round(m.busyCpu),
          ratioLoopVsBareBusy: q.loopVsBusy,
          ratioLoopCpuVsBareBusy: q.loopCpuVsBusy,
          cosimMacsPerBusyCycle: Number(cosimMacs!.toFixed(3)),
          bareBusyMacsPerBusyCycle: Number(busyMacs!.toFixed(3)),
        }
      : {}),
    // The fastest round of each contender: the least disturbed by other jobs, so
    // on a loaded machine their ratio is the better guess at a quiet machine's.
    bestCosimLoopCyclesPerCpuSec: Math.round(Math.max(...rate.loopCpu)),
    bestBareIdleCyclesPerCpuSec: Math.round(Math.max(...rate.idleCpu)),
    ratioBestLoopCpuVsBareIdle: Number((Math.max(...rate.loopCpu) / Math.max(...rate.idleCpu)).toFixed(3)),
    ...(c.hold
      ? {
          bestBareBusyCyclesPerCpuSec: Math.round(Math.max(...rate.busyCpu)),
          ratioBestLoopCpuVsBareBusy: Number((Math.max(...rate.loopCpu) / Math.max(...rate.busyCpu)).toFixed(3)),
        }
      : {}),
    idleHarnessCyclesPerCpuSec: Math.round(m.idleHarness),
    ratioIdleHarnessCpu: q.idleHarness,
    buildFirstSeconds: Number(firstPrepare.toFixed(3)),
    buildCacheHitSeconds: Number(median(hits).toFixed(3)),
  };
  console.log(
    `${out.design}: cosim loop ${M(out.cosimLoopCyclesPerCpuSec)} Mcycles per CPU-s (${M(out.cosimLoopCyclesPerSec)} per wall s, ${M(out.cosimEndToEndCyclesPerSec)} end to end); ` +
      `bare idle ${M(out.bareIdleCyclesPerCpuSec)}` +
      (c.hold ? `, bare busy ${M(out.bareBusyCyclesPerCpuSec!)}` : '') +
      ` per CPU-s. Ratio vs bare idle ${out.ratioLoopCpuVsBareIdle} (CPU time; ${out.ratioLoopVsBareIdle} wall, ${out.ratioEndToEndVsBareIdle} end to end)` +
      (c.hold ? `, vs bare busy ${out.ratioLoopCpuVsBareBusy} (CPU time; ${out.ratioLoopVsBareBusy} wall); MACs per busy cycle: cosim ${out.cosimMacsPerBusyCycle}, bare busy ${out.bareBusyMacsPerBusyCycle}` : '') +
      `; idle design ${out.ratioIdleHarnessCpu} (the harness's own cost). Fastest rounds: cosim ${M(out.bestCosimLoopCyclesPerCpuSec)}, bare idle ${M(out.bestBareIdleCyclesPerCpuSec)}` +
      (c.hold ? `, bare busy ${M(out.bestBareBusyCyclesPerCpuSec!)}` : '') +
      ` per CPU-s, ratio ${out.ratioBestLoopCpuVsBareIdle} vs bare idle` +
      (c.hold ? `, ${out.ratioBestLoopCpuVsBareBusy} vs bare busy` : '') +
      `; cache hit ${out.buildCacheHitSeconds} s`,
  );
  mkdirSync(dirname(o.json), { recursive: true });
  writeFileSync(o.json, stableJson(out));
}

main().catch((e) => {
  if (isUserError(e)) {
    console.error(`harness-speed: ${e.message}`);
    process.exit(1);
  }
  throw e;
});
