/**
 * How close the co-simulation harness runs to the speed of the bare Verilated
 * model (issue 5: ratio ≥ 0.8), and what a build-cache hit costs.
 *
 *   node --import tsx bench/harness-speed.ts [--preset default] [--vectors 512] [--rounds 12] [--json out/bench/harness-speed.json]
 *   node --import tsx bench/harness-speed.ts --fixture      (the axi_copy fixture, when no engine RTL exists)
 *
 * Contenders, same executable and same build, two evals per cycle each:
 *  - cosim: a full cosim job of the sparse engine on synthetic gradients
 *    (streams, AXI4-Lite script, memory model with latency 20, checkers);
 *    cycles/s of its main loop, and end to end (process start, file I/O);
 *  - replay: `tb --replay FRAMES` runs the same job's workload on the bare
 *    model: the inputs the job drove in every cycle, recorded once before the
 *    rounds, are copied into the ports (one 74-byte frame a cycle on the
 *    default engine) and nothing else happens between evals. Its outputs'
 *    digest at the end must equal the job's, or the benchmark stops. cosim /
 *    replay is the harness's own cost and nothing else;
 *  - bare idle: `tb --bare N` resets the model and toggles the clock N times
 *    with no I/O at all; the design sits idle (nothing started it);
 *  - bare busy: `tb --bare N HOLD.txt`, the same loop with every input held at a
 *    constant chosen before it: a few untimed AXI4-Lite writes start a job that
 *    outlasts the loop, the gradient stream offers one nonzero beat in every
 *    cycle, the memory's R channel one beat, every ready is high; still no
 *    files, models or checks in the loop. The engine then works at full rate,
 *    and its own counters, read after the loop, show how busy it was;
 *  - idle harness: the harness running every model (streams, AXI4-Lite master,
 *    memory) for N cycles of an `idle` script while the design does nothing.
 * cosim / bare idle mixes the harness's cost with the model's own extra work on
 * a busy design with random data; replay separates the two.
 * Each round runs every contender once, back to back. Reported: per contender
 * the median rate and the mean of its quietest quarter of rounds; ratios are
 * cosim's rate over the contender's, the median of the rounds' ratios (load
 * that comes and goes moves both sides of a ratio together) and the ratio of
 * the quiet quarters. Rates per CPU-second (std::clock of the simulator) are
 * more robust to other jobs on a shared machine than wall-clock rates; the
 * machine's load is recorded next to the figures.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { isUserError } from '../util/errors.ts';
import { CTRL_CLEAR_COUNTERS, CTRL_START, MODE_DATA, REG } from '../engine/registers.ts';
import { getPreset } from '../engine/config.ts';
import { stableJson } from '../util/json.ts';
import { decodeEngineResult } from '../sim/engine/decode.ts';
import { thetaOf } from '../engine/jobs.ts';
import { buildEngineJob, type EngineSimJob } from '../sim/engine/encode.ts';
import { encodeBeats } from '../sim/harness/beats.ts';
import type { SimJob, SimResult } from '../sim/harness/job.ts';
import { AXI_COPY, AXI_COPY_DESCRIPTION } from '../test/sim/fixtures.ts';
import { prepareTestbench, runBareLoop, runReplayLoop, runSimJob, type HarnessTarget, type HeldInputs } from '../sim/harness/run.ts';
import { DEFAULT_RTL, locateTop, REPO_ROOT } from '../sim/rtl-locate.ts';
import { syntheticStimulus } from '../sim/stimulus.ts';
import { machine, median } from './util.ts';

const program = new Command('harness-speed')
  .option('--preset <name>', 'engine preset', 'default')
  .option('--vectors <n>', 'gradient vectors of the synthetic job', (v) => Number(v), 512)
  .option('--rounds <n>', 'rounds; medians and quiet quarters are reported', (v) => Number(v), 12)
  .option('--fixture', 'measure the axi_copy fixture instead of the engine')
  .option('--rtl <dir>', 'engine RTL folder', DEFAULT_RTL)
  .option('--json <file>', 'write the figures as JSON', 'out/bench/harness-speed.json')
  .option('--keep-job <dir>', 'keep the cosim job\'s files here, to rerun or profile the simulator by hand (`<exe> DIR/job.txt`)');

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
    target: { top: 'axi_copy', rtlFiles: [AXI_COPY], description: AXI_COPY_DESCRIPTION },
    job: { inputs: {}, script, memory: { load: [{ base: 0x1000, data }], dump: [], latency: 20, size: 4 << 20 }, backpressure: 'none', seed: 1, cycleLimit: 10_000_000 },
  };
}

const M = (x: number): string => (x / 1e6).toFixed(3);

async function main(): Promise<void> {
  const o = program.parse().opts<{ preset: string; vectors: number; rounds: number; fixture?: boolean; rtl: string; json: string; keepJob?: string }>();
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

  // The like-for-like baseline: the job's inputs, recorded once (untimed), then
  // replayed into the bare model every round.
  const scratch = mkdtempSync(join(tmpdir(), 'sparsegrad-bench-'));
  const frames = join(scratch, 'frames.bin');
  const recorded = await runSimJob(tb, c.job, { recordInputs: frames });
  if (recorded.timedOut || recorded.protocolErrors.length) throw new Error(`the benchmark job failed: ${recorded.timeoutDetail ?? recorded.protocolErrors[0]}`);
  const cycles = recorded.loopCycles;
  const frameBytes = statSync(frames).size / cycles;

  // Each round runs every contender back to back, and ratios are taken within
  // a round before the median: load that comes and goes on a shared machine
  // then moves both sides of a ratio together.
  type Name = 'cosim' | 'replay' | 'bareIdle' | 'bareBusy' | 'idleHarness';
  const cpuRate: Record<Name, number[]> = { cosim: [], replay: [], bareIdle: [], bareBusy: [], idleHarness: [] };
  const wallRate: Record<Name, number[]> = { cosim: [], replay: [], bareIdle: [], bareBusy: [], idleHarness: [] };
  const endToEnd: number[] = [];
  let cosimMacs: number | undefined;
  let busyMacs: number | undefined;
  const note = (name: Name, r: { cycles: number; simSeconds: number; simCpuSeconds: number }): void => {
    cpuRate[name].push(r.cycles / r.simCpuSeconds);
    wallRate[name].push(r.cycles / r.simSeconds);
  };
  try {
    for (let r = 0; r < o.rounds; r++) {
      t0 = performance.now();
      const res = await runSimJob(tb, c.job, o.keepJob ? { keepDir: o.keepJob } : {});
      endToEnd.push(res.loopCycles / ((performance.now() - t0) / 1000));
      if (res.timedOut || res.outputsDigest !== recorded.outputsDigest) throw new Error('the benchmark job did not repeat itself');
      cosimMacs = c.macsPerBusyCycle?.(res);
      note('cosim', { ...res, cycles: res.loopCycles });

      const replay = await runReplayLoop(tb, frames);
      if (replay.cycles !== cycles || replay.outputsDigest !== recorded.outputsDigest) {
        throw new Error(`the replay did not reproduce the job (${replay.cycles} of ${cycles} cycles, digest ${replay.outputsDigest} vs ${recorded.outputsDigest})`);
      }
      note('replay', replay);
      note('bareIdle', await runBareLoop(tb, cycles));
      if (c.hold) {
        const busy = await runBareLoop(tb, cycles, c.hold);
        busyMacs = c.holdMacsPerBusyCycle?.(busy.reads);
        note('bareBusy', busy);
      }
      // The harness's own overhead: the same cycle count, design idle, every harness model stepping.
      const idle = await runSimJob(tb, { inputs: {}, script: [{ op: 'idle', cycles }], memory: { load: [], dump: [], size: 1 << 16 }, backpressure: 'none', seed: 1, cycleLimit: cycles + 100 });
      note('idleHarness', { ...idle, cycles: idle.loopCycles });
      log(`round ${r + 1}: ` + (Object.keys(cpuRate) as Name[]).filter((k) => cpuRate[k].length).map((k) => `${k} ${M(cpuRate[k][r]!)}`).join(', ') + ' Mcycles per CPU-s');
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const names = (Object.keys(cpuRate) as Name[]).filter((k) => cpuRate[k].length);
  const ratioTo = (k: Name, rates: Record<Name, number[]>): number => Number(median(rates.cosim.map((x, i) => x / rates[k][i]!)).toFixed(3));
  // The mean of each contender's fastest quarter of rounds: outside load only
  // ever slows a run down, so its quietest runs are the best guess at an idle
  // machine's rate, and a quarter of them is steadier than the single fastest.
  const quiet = (k: Name): number => {
    const fast = [...cpuRate[k]].sort((a, b) => b - a).slice(0, Math.max(1, Math.round(cpuRate[k].length / 4)));
    return fast.reduce((a, b) => a + b, 0) / fast.length;
  };
  const contenders = Object.fromEntries(
    names.map((k) => [
      k,
      {
        cyclesPerCpuSec: Math.round(median(cpuRate[k])),
        cyclesPerSec: Math.round(median(wallRate[k])),
        quietQuarterCyclesPerCpuSec: Math.round(quiet(k)),
        // cosim's rate over this contender's: per round, then the median; and of the quiet quarters.
        cosimRatioCpu: ratioTo(k, cpuRate),
        cosimRatioWall: ratioTo(k, wallRate),
        cosimRatioQuietQuarter: Number((quiet('cosim') / quiet(k)).toFixed(3)),
      },
    ]),
  );
  const out = {
    machine: machine(),
    design: c.target.top,
    preset: o.fixture ? null : o.preset,
    cyclesPerRun: cycles,
    frameBytes,
    rounds: o.rounds,
    contenders,
    cosimEndToEndCyclesPerSec: Math.round(median(endToEnd)),
    ...(c.hold ? { cosimMacsPerBusyCycle: Number(cosimMacs!.toFixed(3)), bareBusyMacsPerBusyCycle: Number(busyMacs!.toFixed(3)) } : {}),
    buildFirstSeconds: Number(firstPrepare.toFixed(3)),
    buildCacheHitSeconds: Number(median(hits).toFixed(3)),
  };

  const pad = (x: string, n: number): string => x.padStart(n);
  console.log(`${out.design}, ${cycles} cycles a run, ${o.rounds} rounds. Mcycles/s: median of the rounds, and mean of the quietest quarter of them;`);
  console.log(`ratio = cosim's rate over the contender's, per round then the median, and of the quiet quarters:`);
  console.log(`${'contender'.padEnd(13)}${pad('per CPU-s', 11)}${pad('quiet 1/4', 11)}${pad('wall', 8)}${pad('ratio CPU', 11)}${pad('quiet 1/4', 11)}${pad('wall', 7)}`);
  for (const k of names) {
    const v = contenders[k]!;
    console.log(`${k.padEnd(13)}${pad(M(v.cyclesPerCpuSec), 11)}${pad(M(v.quietQuarterCyclesPerCpuSec), 11)}${pad(M(v.cyclesPerSec), 8)}${pad(v.cosimRatioCpu.toFixed(3), 11)}${pad(v.cosimRatioQuietQuarter.toFixed(3), 11)}${pad(v.cosimRatioWall.toFixed(3), 7)}`);
  }
  console.log(
    `cosim end to end (process start and files included) ${M(out.cosimEndToEndCyclesPerSec)} Mcycles/s` +
      (c.hold ? `; MACs per busy cycle: cosim ${out.cosimMacsPerBusyCycle}, bare busy ${out.bareBusyMacsPerBusyCycle}` : '') +
      `; build-cache hit ${out.buildCacheHitSeconds} s`,
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
