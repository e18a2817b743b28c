/**
 * How close the co-simulation harness runs to the speed of the bare Verilated
 * model (issue 5: ratio ≥ 0.8), and what a build-cache hit costs.
 *
 *   node --import tsx bench/harness-speed.ts [--preset default] [--vectors 64] [--rounds 3] [--json out/bench/harness-speed.json]
 *   node --import tsx bench/harness-speed.ts --fixture      (the axi_copy fixture, when no engine RTL exists)
 *
 * Contenders, same executable and same build:
 *  - cosim: a full cosim job of the sparse engine on synthetic gradients
 *    (streams, AXI4-Lite script, memory model with latency 20, checkers);
 *    cycles/s of its main loop, and end to end (process start, file I/O);
 *  - bare: `tb --bare N` resets the model and toggles the clock N times with no
 *    I/O at all, two evals per cycle like the harness;
 *  - idle harness: the harness running every model (streams, AXI4-Lite master,
 *    memory) for N cycles of an `idle` script while the design does nothing, so
 *    it shows the harness's own cost apart from the cost of a busy design.
 * Medians over rounds; rates per CPU-second (std::clock of the simulator) are
 * robust to other jobs on a shared machine, wall-clock rates are not; the
 * machine's load is recorded next to the figures.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { isUserError } from '../cli/errors.ts';
import { getPreset } from '../golden/engine-model/config.ts';
import { stableJson } from '../golden/json.ts';
import { buildEngineJob } from '../sim/engine/encode.ts';
import type { SimJob } from '../sim/harness/job.ts';
import { prepareTestbench, runBareLoop, runSimJob, type HarnessTarget } from '../sim/harness/run.ts';
import { DEFAULT_RTL, locateTop, REPO_ROOT } from '../sim/rtl-locate.ts';
import { syntheticStimulus } from '../sim/stimulus.ts';
import { machine, median } from './util.ts';

const program = new Command('harness-speed')
  .option('--preset <name>', 'engine preset', 'default')
  .option('--vectors <n>', 'gradient vectors of the synthetic job', (v) => Number(v), 64)
  .option('--rounds <n>', 'rounds; medians are reported', (v) => Number(v), 3)
  .option('--fixture', 'measure the axi_copy fixture instead of the engine')
  .option('--rtl <dir>', 'engine RTL folder', DEFAULT_RTL)
  .option('--json <file>', 'write the figures as JSON', 'out/bench/harness-speed.json');

function engineCase(preset: string, rtl: string, vectors: number): { target: HarnessTarget; job: SimJob } {
  const cfg = getPreset(preset);
  const st = syntheticStimulus(cfg, 'random', 1);
  // A longer job than the test stimulus, so the loop dominates process start.
  const S = vectors;
  const R = Math.min(cfg.rMax, 256);
  const K = Math.min(cfg.kMax, 128);
  const g = new Int32Array(S * R).map((_, i) => st.problem.g[i % st.problem.g.length]!);
  const W = new Int32Array(R * K).map((_, i) => st.problem.W[i % st.problem.W.length]!);
  const ej = buildEngineJob(cfg, { R, K, S, theta: st.problem.theta, g, W }, 'data', { memLatency: 20 });
  return { target: { top: 'sparse_bwd_engine', rtlFiles: locateTop(rtl, 'sparse_bwd_engine', preset) }, job: ej.job };
}

function fixtureCase(): { target: HarnessTarget; job: SimJob } {
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

  const loopRate: number[] = [];
  const loopCpuRate: number[] = [];
  const bareCpuRate: number[] = [];
  const e2eRate: number[] = [];
  const bareRate: number[] = [];
  let cycles = 0;
  for (let r = 0; r < o.rounds; r++) {
    t0 = performance.now();
    const res = await runSimJob(tb, c.job);
    const wall = (performance.now() - t0) / 1000;
    if (res.timedOut) throw new Error('the benchmark job timed out');
    cycles = res.cycles;
    loopRate.push(res.cycles / res.simSeconds);
    loopCpuRate.push(res.cycles / res.simCpuSeconds);
    e2eRate.push(res.cycles / wall);
    const bare = await runBareLoop(tb, res.cycles);
    bareRate.push(bare.cycles / bare.simSeconds);
    bareCpuRate.push(bare.cycles / bare.simCpuSeconds);
    log(
      `round ${r + 1}: cosim loop ${(loopRate[r]! / 1e6).toFixed(3)} Mcycles/s (${(loopCpuRate[r]! / 1e6).toFixed(3)} per CPU-s), end to end ${(e2eRate[r]! / 1e6).toFixed(3)}, ` +
        `bare ${(bareRate[r]! / 1e6).toFixed(3)} (${(bareCpuRate[r]! / 1e6).toFixed(3)} per CPU-s)`,
    );
  }
  // The harness's own overhead: the same cycle count, design idle, every harness model stepping.
  const idleRate: number[] = [];
  const idleBareRate: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    const idle = await runSimJob(tb, { inputs: {}, script: [{ op: 'idle', cycles }], memory: { load: [], dump: [], size: 1 << 16 }, backpressure: 'none', seed: 1, cycleLimit: cycles + 100 });
    const bare = await runBareLoop(tb, idle.cycles);
    idleRate.push(idle.cycles / idle.simCpuSeconds);
    idleBareRate.push(bare.cycles / bare.simCpuSeconds);
  }
  log(`idle harness: ${(median(idleRate) / 1e6).toFixed(3)} Mcycles per CPU-s vs bare ${(median(idleBareRate) / 1e6).toFixed(3)}`);
  const out = {
    machine: machine(),
    design: c.target.top,
    preset: o.fixture ? null : o.preset,
    cyclesPerRun: cycles,
    rounds: o.rounds,
    cosimLoopCyclesPerSec: Math.round(median(loopRate)),
    cosimEndToEndCyclesPerSec: Math.round(median(e2eRate)),
    bareCyclesPerSec: Math.round(median(bareRate)),
    cosimLoopCyclesPerCpuSec: Math.round(median(loopCpuRate)),
    bareCyclesPerCpuSec: Math.round(median(bareCpuRate)),
    ratioLoop: Number((median(loopRate) / median(bareRate)).toFixed(3)),
    ratioLoopCpu: Number((median(loopCpuRate) / median(bareCpuRate)).toFixed(3)),
    ratioEndToEnd: Number((median(e2eRate) / median(bareRate)).toFixed(3)),
    idleHarnessCyclesPerCpuSec: Math.round(median(idleRate)),
    ratioIdleHarnessCpu: Number((median(idleRate) / median(idleBareRate)).toFixed(3)),
    buildFirstSeconds: Number(firstPrepare.toFixed(3)),
    buildCacheHitSeconds: Number(median(hits).toFixed(3)),
  };
  console.log(
    `${out.design}: cosim ${(out.cosimLoopCyclesPerSec / 1e6).toFixed(3)} Mcycles/s (loop), ${(out.cosimEndToEndCyclesPerSec / 1e6).toFixed(3)} Mcycles/s (end to end); ` +
      `bare ${(out.bareCyclesPerSec / 1e6).toFixed(3)} Mcycles/s; ratio ${out.ratioLoop} (loop, wall), ${out.ratioLoopCpu} (loop, CPU time), ${out.ratioEndToEnd} (end to end), ${out.ratioIdleHarnessCpu} (idle design: the harness's own cost); cache hit ${out.buildCacheHitSeconds} s`,
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
