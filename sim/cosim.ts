/**
 * `sparsegrad cosim`: the engine RTL against the bit-exact model, on golden
 * gradient streams or synthetic edge cases, sparse engine and dense baseline.
 *
 * For each stimulus and mode the driver (sim/engine/) turns the quantized
 * problem into one simulation job; the harness runs it on the Verilated top;
 * the decoded y / G / counters are compared bit-exactly with the model. On a
 * mismatch the failing run is repeated on a --trace build, writing a VCD of a
 * window around the first wrong value. Results are also dequantized and
 * compared with the float golden when the stimulus came from a dump.
 */
import { requireTool } from '../toolchain/index.ts';
import { addCounts, type EnergyEstimate, energyRatio, estimateEnergy, zeroCounts } from '../energy/estimate.ts';
import { DEFAULT_ENERGY_MODEL, type EnergyModel, loadEnergyModel } from '../energy/model.ts';
import { type EngineConfig, getPreset, denseBaseline } from '../engine/config.ts';
import type { EngineMode } from '../engine/jobs.ts';
import { stableJson } from '../util/json.ts';
import type { Tensor } from '../streams/safetensors.ts';
import { encodeSafetensors } from '../streams/safetensors.ts';
import { compareWithGolden } from '../streams/quantize-layer.ts';
import { type Comparison, describeMismatch, type Mismatch } from './engine/compare.ts';
import type { DecodedEngineResult } from './engine/decode.ts';
import { COUNTER_READS, IDENT_READS } from '../engine/registers.ts';
import { type EngineSimJob } from './engine/encode.ts';
import { measureLayer } from './engine/measure.ts';
import { runEnergy } from './engine/energy.ts';
import type { Backpressure, SimResult } from './harness/job.ts';
import { prepareTestbench, runSimJob, type Testbench } from './harness/run.ts';
import { describeViolation, type Violation } from './harness/rules.ts';
import { DEFAULT_RTL, locateTop } from './rtl-locate.ts';
import { dumpFiles, dumpStimulus, type Stimulus, type SyntheticKind, syntheticStimulus } from './stimulus.ts';
import { type StagedDir, withStagedDir } from './out-dir.ts';

export type CosimMode = EngineMode | 'both';

export interface CosimOptions {
  preset: string;
  /** A dump file or folder; when absent, `synthetic` (default 'random'). */
  streams?: string;
  synthetic?: SyntheticKind;
  layer?: number;
  rtl?: string;
  /** How the report names the RTL (default: --rtl as given, or rtl/); flow's RTL sits in a temp folder. */
  rtlLabel?: string;
  mode: CosimMode;
  backpressure: Backpressure;
  memLatency: number;
  stall?: number;
  seed: number;
  /** Also simulate the dense baseline (default true): it gives denseCycles and speedup. */
  dense?: boolean;
  /** Rerun the first failing simulation with tracing (default true). */
  vcd?: boolean;
  /** Cycles of VCD before the first mismatch (default 2000). */
  vcdWindow?: number;
  out: string;
  /** Energy table by name or JSON file (energy/tables/; default horowitz-45nm). */
  energyModel?: string;
  /** Called as runs finish, for a progress bar. */
  onProgress?: (done: number, total: number, what: string) => void;
}

/** One simulated run: a stimulus, a mode, sparse or dense. */
export interface RunSummary {
  source: string;
  mode: EngineMode;
  engine: 'sparse' | 'dense';
  pass: boolean;
  mismatches: number;
  firstMismatches: string[];
  formatErrors: string[];
  /** Protocol violations the monitors saw (counted apart from mismatches). */
  violations: number;
  /** The first of them, one line each. */
  firstViolations: string[];
  /** Σ CYCLES_BUSY over the run's engine jobs (START to DONE). */
  cycles: number;
  idealCycles: number;
  /** Harness cycles of the whole job, AXI4-Lite set-up and counter reads included. */
  harnessCycles: number;
  macsIssued: number;
  macsSkipped: number;
  rowsFetched: number;
  stallCycles: number;
  /** AXI4 traffic seen by the memory model; maxOutstandingReads shows how deep the engine prefetched. */
  memory: { readBursts: number; readBeats: number; writeBursts: number; writeBeats: number; maxOutstandingReads: number };
  /** Energy of the run from its measured counts of actions (docs/energy.md). */
  energy: EnergyEstimate;
  simSeconds: number;
}

/** Energy per training step (a stimulus: one layer of one dump, every mode run), sparse against dense. */
export interface CosimEnergy {
  model: string;
  unit: string;
  sparse: EnergyEstimate;
  dense: EnergyEstimate | null;
  /** dense ÷ sparse, beside the cycle speedup. */
  ratio: number | null;
}

/** A protocol violation in the report: the monitor's record and the run it happened in. */
export interface ReportedViolation extends Violation {
  run: string;
}

export interface CosimReport {
  /** No mismatch and no protocol violation. */
  pass: boolean;
  mismatches: number;
  /** Protocol violations over every run (data mismatches are counted in `mismatches`). */
  violations: number;
  /** The first violations (at most 20), in run order. */
  violationList: ReportedViolation[];
  firstViolation: string | null;
  /** VCD around the first violation (its run rerun on a --trace build). */
  violationVcd: string | null;
  /** Share of thresholded gradient values that are zero: 1 − nnz / total. */
  sparsity: number;
  nnz: number;
  total: number;
  /** Sparse engine busy cycles over every mode and stimulus. */
  cycles: number;
  denseCycles: number | null;
  idealCycles: number;
  speedup: number | null;
  efficiency: number;
  /** Share of the dense MACs the sparse engine skipped (MACS_SKIPPED / (ISSUED + SKIPPED)). */
  macsRedundant: number;
  preset: string;
  rtl: string;
  mode: CosimMode;
  backpressure: Backpressure;
  memLatency: number;
  stall: number;
  seed: number;
  sources: string[];
  runs: Omit<RunSummary, 'simSeconds'>[];
  /** Relative L2 error of the dequantized RTL results against the float golden (dumps only). */
  goldenError: { data?: { relative: number; maxAbs: number; refMaxAbs: number }; weight?: { relative: number; maxAbs: number; refMaxAbs: number } } | null;
  /** Elements where the engine's threshold on codes and the trainer's on floats disagree. */
  thresholdDisagreements: number | null;
  firstMismatch: string | null;
  vcd: string | null;
  /** Energy per training step of the layer (the mean over stimuli), sparse and dense. */
  energy: CosimEnergy;
}

export interface CosimOutcome {
  report: CosimReport;
  /** Simulator wall time, kept out of the report so reports stay byte-identical. */
  simSeconds: number;
  simulatedCycles: number;
}

interface RunDetail {
  summary: RunSummary;
  ej: EngineSimJob;
  result: SimResult;
  decoded: DecodedEngineResult;
  comparison: Comparison;
  tb: Testbench;
  batch: number;
  nnz: Int32Array;
}

function modesOf(mode: CosimMode): EngineMode[] {
  return mode === 'both' ? ['data', 'weight'] : [mode];
}

function loadStimuli(cfg: EngineConfig, o: CosimOptions): Stimulus[] {
  if (o.streams) return dumpFiles(o.streams).map((f) => dumpStimulus(cfg, f, o.layer ?? 0));
  return [syntheticStimulus(cfg, o.synthetic ?? 'random', o.seed)];
}

async function simulate(
  tb: Testbench,
  cfg: EngineConfig,
  st: Stimulus,
  mode: EngineMode,
  engine: 'sparse' | 'dense',
  o: CosimOptions,
  energyModel: EnergyModel,
): Promise<RunDetail> {
  let result: SimResult | undefined;
  const batch = st.floats?.B ?? 1;
  const m = await measureLayer(
    cfg,
    st.problem,
    mode,
    async (job) => (result = await runSimJob(tb, job)),
    { memLatency: o.memLatency, stallProbability: o.stall ?? 0, backpressure: o.backpressure, seed: o.seed, batch, ...(st.hostile ? { hostile: { seed: o.seed } } : {}) },
  );
  return {
    summary: {
      source: st.source,
      mode,
      engine,
      pass: m.pass,
      mismatches: m.comparison.mismatchCount + m.comparison.formatErrors.length,
      firstMismatches: m.comparison.mismatches.slice(0, 5).map(describeMismatch),
      formatErrors: m.comparison.formatErrors.slice(0, 10),
      violations: m.violationCount,
      firstViolations: m.violations.slice(0, 5).map(describeViolation),
      cycles: m.cyclesBusy,
      idealCycles: m.ideal,
      harnessCycles: m.simCycles,
      macsIssued: m.macsIssued,
      macsSkipped: m.macsSkipped,
      rowsFetched: m.rowsFetched,
      stallCycles: m.stallCycles,
      memory: { ...result!.memory },
      energy: runEnergy(energyModel, m, st.problem, result!).estimate,
      simSeconds: m.simSeconds,
    },
    ej: m.engineJob,
    result: result!,
    decoded: m.decoded,
    comparison: m.comparison,
    tb,
    batch,
    nnz: m.expected.nnzPerVector,
  };
}

/** The output beat (data mode) holding y[s][k], in the order the driver's plan streams them. */
function resultBeatOf(ej: EngineSimJob, s: number, k: number): number {
  const N = ej.cfg.N;
  let beat = 0;
  for (const job of ej.plan) {
    const per = Math.ceil(job.cols / N);
    if (k >= job.c0 && k < job.c0 + job.cols && s >= job.s0 && s < job.s0 + job.vectors) {
      return beat + (s - job.s0) * per + Math.floor((k - job.c0) / N);
    }
    beat += job.vectors * per;
  }
  return -1;
}

/** The cycle at which the first wrong value became visible, to centre the VCD window on. */
export function mismatchCycle(d: RunDetail, m: Mismatch | undefined): number {
  const { ej, result } = d;
  if (!m) return result.cycles;
  if (m.stream === 'y') {
    const s = (m.timeStep ?? 0) * d.batch + (m.sample ?? 0);
    const beat = resultBeatOf(ej, s, m.index);
    return result.outputCycles.res?.[beat] ?? result.cycles;
  }
  if (m.stream === 'G') {
    const addr = ej.layout.gBase + (m.row ?? 0) * ej.layout.gStride + 8 * m.index;
    const bus = ej.cfg.axiDataBits / 8;
    let cycle = -1;
    for (const w of result.writeBursts) if (addr >= w.addr && addr < w.addr + w.beats * bus) cycle = w.cycle;
    if (cycle >= 0) return cycle;
    // Never written: show the end of the job that should have written it.
    const job = ej.plan.findIndex((j) => m.index >= j.c0 && m.index < j.c0 + j.cols);
    return result.reads[IDENT_READS.length + Math.max(job, 0) * COUNTER_READS.length]?.cycle ?? result.cycles;
  }
  return result.reads[IDENT_READS.length + (m.job ?? 0) * COUNTER_READS.length]?.cycle ?? result.cycles;
}

function tensorsOf(st: Stimulus, cfg: EngineConfig, runs: RunDetail[], prefix: string): Record<string, Tensor> {
  const p = st.problem;
  const narrow = (bits: number, q: Int32Array): Tensor => (bits <= 16 ? { dtype: 'I16', shape: [], data: Int16Array.from(q) } : { dtype: 'I32', shape: [], data: q });
  const withShape = (t: Tensor, shape: number[]): Tensor => ({ ...t, shape });
  const t: Record<string, Tensor> = {
    q_g: withShape(narrow(cfg.gBits, p.g), [p.S, p.R]),
    q_W: withShape(narrow(cfg.wBits, p.W), [p.R, p.K]),
    q_a: withShape(narrow(cfg.aBits, p.a), [p.S, p.K]),
    theta_q: typeof p.theta === 'number'
      ? { dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(p.theta)) }
      : { dtype: 'I64', shape: [p.S], data: BigInt64Array.from(Array.from(p.theta, (v) => BigInt(v))) },
    acc_bits: { dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(cfg.accBits)) },
  };
  if (p.G0) t.G0 = { dtype: 'I64', shape: [p.R, p.K], data: p.G0 };
  const q = st.quantized;
  // Value = code · 2^−exp; exps of the synthetic codes are 0 (they are integers).
  const exps = { g: q?.g.exp ?? 0, W: q?.W.exp ?? 0, a: q?.a.exp ?? 0, y: q?.yExp ?? 0, G: q?.GExp ?? 0 };
  for (const [n, e] of Object.entries(exps)) {
    t[`exp_${n}`] = { dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(e)) };
    t[`scale_${n}`] = { dtype: 'F64', shape: [], data: Float64Array.of(2 ** -e) };
  }
  for (const r of runs) {
    const tag = r.summary.engine === 'sparse' ? '' : '_dense';
    if (r.decoded.y) t[`y${tag}`] = { dtype: 'I64', shape: [p.S, p.K], data: r.decoded.y };
    if (r.decoded.G) t[`G${tag}`] = { dtype: 'I64', shape: [p.R, p.K], data: r.decoded.G };
  }
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [prefix + k, v]));
}

const round = (x: number, digits = 6): number => Number(x.toFixed(digits));

export interface CosimTestbenches {
  sparse: Testbench;
  dense?: Testbench;
}

/** The Verilog of both engines of a preset, found under `rtl` (default: the committed rtl/). */
export function engineRtl(preset: string, rtl: string | undefined, withDense: boolean): { sparse: string[]; dense: string[] } {
  const dir = rtl ?? DEFAULT_RTL;
  return { sparse: locateTop(dir, 'sparse_bwd_engine', preset), dense: withDense ? locateTop(dir, 'dense_bwd_engine', preset) : [] };
}

export async function prepareEngineTestbenches(files: { sparse: string[]; dense: string[] }): Promise<CosimTestbenches> {
  requireTool('verilator');
  const sparse = await prepareTestbench({ top: 'sparse_bwd_engine', rtlFiles: files.sparse });
  if (!files.dense.length) return { sparse };
  return { sparse, dense: await prepareTestbench({ top: 'dense_bwd_engine', rtlFiles: files.dense }) };
}

/** Runs a cosim; `prebuilt` testbenches (regress shares them across cases) skip the build step. */
export async function runCosim(o: CosimOptions, prebuilt?: CosimTestbenches): Promise<CosimOutcome> {
  requireTool('verilator');
  const cfg = getPreset(o.preset);
  const dense = denseBaseline(cfg);
  // Everything the user can get wrong is checked before anything is built or written.
  const stimuli = loadStimuli(cfg, o);
  const energyModel = loadEnergyModel(o.energyModel ?? DEFAULT_ENERGY_MODEL);
  const files = prebuilt ? undefined : engineRtl(o.preset, o.rtl, o.dense !== false);
  const modes = modesOf(o.mode);

  return withStagedDir(o.out, async (dir) => {
    const tbs = prebuilt ?? (await prepareEngineTestbenches(files!));
    const tbSparse = tbs.sparse;
    const tbDense = o.dense === false ? undefined : tbs.dense;
    const total = stimuli.length * modes.length * (tbDense ? 2 : 1);
    let done = 0;
    const details: RunDetail[] = [];
    const tensors: Record<string, Tensor> = {};
    let nnz = 0;
    let count = 0;
    let disagreements: number | null = null;
    const golden: CosimReport['goldenError'] = stimuli.some((s) => s.floats) ? {} : null;
    for (const [i, st] of stimuli.entries()) {
      const mine: RunDetail[] = [];
      for (const mode of modes) {
        for (const [engine, tb, c] of [['sparse', tbSparse, cfg], ['dense', tbDense, dense]] as const) {
          if (!tb) continue;
          const d = await simulate(tb, c, st, mode, engine, o, energyModel);
          mine.push(d);
          o.onProgress?.(++done, total, `${st.source} ${mode} ${engine}`);
        }
      }
      details.push(...mine);
      nnz += mine[0]!.nnz.reduce((a, b) => a + b, 0);
      count += st.problem.S * st.problem.R;
      Object.assign(tensors, tensorsOf(st, cfg, mine, i === 0 ? '' : `case${i}_`));
      if (st.floats && st.quantized && golden) {
        disagreements = (disagreements ?? 0) + st.quantized.thresholdDisagreements;
        const sparse = (m: EngineMode) => mine.find((d) => d.summary.engine === 'sparse' && d.summary.mode === m)?.decoded;
        const g = compareWithGolden(st.floats, st.quantized, { y: sparse('data')?.y, G: sparse('weight')?.G });
        // With several dumps the worst case is reported.
        for (const k of ['data', 'weight'] as const) {
          const e = g[k];
          if (e && (!golden[k] || e.relative > golden[k]!.relative)) golden[k] = { relative: round(e.relative, 9), maxAbs: e.maxAbs, refMaxAbs: e.refMaxAbs };
        }
      }
    }

    const sum = (f: (r: RunSummary) => number, engine: 'sparse' | 'dense') => details.filter((d) => d.summary.engine === engine).reduce((a, d) => a + f(d.summary), 0);
    const cycles = sum((r) => r.cycles, 'sparse');
    const denseCycles = tbDense ? sum((r) => r.cycles, 'dense') : null;
    const ideal = sum((r) => r.idealCycles, 'sparse');
    const issued = sum((r) => r.macsIssued, 'sparse');
    const skipped = sum((r) => r.macsSkipped, 'sparse');
    const mismatches = details.reduce((a, d) => a + d.summary.mismatches, 0);
    const failed = details.find((d) => !d.comparison.pass);
    const runName = (d: RunDetail) => `${d.summary.engine} ${d.summary.mode} (${d.summary.source})`;

    let vcd: string | null = null;
    let firstMismatch: string | null = null;
    if (failed) {
      const m = failed.comparison.mismatches[0];
      firstMismatch = `${runName(failed)}: ${m ? describeMismatch(m) : failed.comparison.formatErrors[0]}`;
      if (o.vcd !== false) vcd = await traceAround(failed, mismatchCycle(failed, m), o, dir, 'cosim-mismatch.vcd');
    }
    const violations = details.reduce((a, d) => a + d.result.violationCount, 0);
    const violationList = details.flatMap((d) => d.result.violations.map((v) => ({ ...v, run: runName(d) }))).slice(0, 20);
    const broke = details.find((d) => d.result.violationCount > 0);
    let violationVcd: string | null = null;
    if (broke && o.vcd !== false) violationVcd = await traceAround(broke, broke.result.violations[0]!.cycle, o, dir, 'cosim-violation.vcd');

    const report: CosimReport = {
      pass: mismatches === 0 && violations === 0,
      mismatches,
      violations,
      violationList,
      firstViolation: broke ? `${runName(broke)}: ${describeViolation(broke.result.violations[0]!)}` : null,
      violationVcd,
      sparsity: count ? round(1 - nnz / count) : 0,
      nnz,
      total: count,
      cycles,
      denseCycles,
      idealCycles: ideal,
      speedup: denseCycles !== null && cycles > 0 ? round(denseCycles / cycles, 4) : null,
      efficiency: cycles > 0 ? round(ideal / cycles, 4) : 0,
      macsRedundant: issued + skipped > 0 ? round(skipped / (issued + skipped)) : 0,
      preset: o.preset,
      rtl: o.rtlLabel ?? o.rtl ?? 'rtl/',
      mode: o.mode,
      backpressure: o.backpressure,
      memLatency: o.memLatency,
      stall: o.stall ?? 0,
      seed: o.seed,
      sources: stimuli.map((s) => s.source),
      runs: details.map(({ summary: { simSeconds: _s, ...rest } }) => rest),
      goldenError: golden,
      thresholdDisagreements: disagreements,
      firstMismatch,
      vcd,
      energy: stepEnergy(energyModel, details.map((d) => d.summary), stimuli.length),
    };
    await dir.write('cosim-report.json', stableJson(report));
    const meta: Record<string, string> = { preset: o.preset, seed: String(o.seed), sources: report.sources.join(';'), mode: o.mode };
    await dir.write('cosim-io.safetensors', encodeSafetensors(tensors, meta));
    return {
      report,
      simSeconds: details.reduce((a, d) => a + d.summary.simSeconds, 0),
      simulatedCycles: details.reduce((a, d) => a + d.summary.harnessCycles, 0),
    };
  });
}

/** Energy per training step: every run of an engine summed, over the number of stimuli. */
function stepEnergy(model: EnergyModel, runs: readonly RunSummary[], steps: number): CosimEnergy {
  const per = (engine: 'sparse' | 'dense'): EnergyEstimate | null => {
    const mine = runs.filter((r) => r.engine === engine);
    if (!mine.length) return null;
    const total = mine.reduce((t, r) => addCounts(t, r.energy.counts), zeroCounts());
    return estimateEnergy(model, Object.fromEntries(Object.entries(total).map(([k, v]) => [k, v / Math.max(1, steps)])) as typeof total);
  };
  const sparse = per('sparse')!;
  const dense = per('dense');
  return { model: model.name, unit: model.unit, sparse, dense, ratio: dense ? energyRatio(dense, sparse) : null };
}

/** Reruns a run on a --trace build with a VCD of `vcdWindow` cycles before `at` and 200 after. */
async function traceAround(d: RunDetail, at: number, o: CosimOptions, dir: StagedDir, name: string): Promise<string> {
  const before = o.vcdWindow ?? 2000;
  const job = { ...d.ej.job, vcd: { fromCycle: Math.max(0, at - before), toCycle: at + 200 } };
  await runSimJob(d.tb, job, { vcdPath: dir.path(name) });
  return name;
}

/** The terminal summary of a report: what passed, the figures, and the first mismatches. */
export function formatCosimReport(r: CosimReport, out: string): string {
  const lines: string[] = [];
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  lines.push(`cosim ${r.pass ? 'PASS' : 'FAIL'}: preset ${r.preset}, mode ${r.mode}, backpressure ${r.backpressure}, memory latency ${r.memLatency}, seed ${r.seed}`);
  lines.push(`  sparsity ${pct(r.sparsity)} (${r.nnz} of ${r.total} nonzero), MACs redundant ${pct(r.macsRedundant)}`);
  lines.push(`  cycles ${r.cycles} sparse, ${r.denseCycles ?? '-'} dense, ${r.idealCycles} ideal; speedup ${r.speedup ?? '-'}x, efficiency ${r.efficiency}`);
  const en = r.energy;
  lines.push(`  energy per step (${en.model}): ${formatEnergy(en.sparse.total, en.unit)} sparse, ${en.dense ? formatEnergy(en.dense.total, en.unit) : '-'} dense; ratio ${en.ratio === null ? "-" : en.ratio.toFixed(2)}x; DRAM ${pct(en.sparse.memoryShare)} of sparse`);
  if (r.goldenError) {
    const e = (x?: { relative: number }) => (x ? x.relative.toExponential(3) : '-');
    lines.push(`  vs float golden: relative error y ${e(r.goldenError.data)}, G ${e(r.goldenError.weight)}`);
  }
  if (r.mismatches > 0) {
    lines.push(`  ${r.mismatches} mismatches; first: ${r.firstMismatch}`);
    for (const run of r.runs.filter((x) => x.mismatches > 0)) {
      for (const m of [...run.formatErrors, ...run.firstMismatches]) lines.push(`    ${run.engine} ${run.mode}: ${m}`);
    }
    if (r.vcd) lines.push(`  VCD around the first mismatch: ${out}/${r.vcd}`);
  }
  if (r.violations > 0) {
    lines.push(`  ${r.violations} protocol violations; first: ${r.firstViolation}`);
    for (const run of r.runs.filter((x) => x.violations > 0)) {
      for (const v of run.firstViolations) lines.push(`    ${run.engine} ${run.mode}: ${v}`);
    }
    if (r.violationVcd) lines.push(`  VCD around the first violation: ${out}/${r.violationVcd}`);
  }
  lines.push(`  report: ${out}/cosim-report.json, tensors: ${out}/cosim-io.safetensors`);
  return lines.join('\n');
}

/** An energy with an SI prefix when the unit is the joule (pJ tables), else as a plain number. */
export function formatEnergy(x: number, unit: string): string {
  if (unit !== 'pJ') return `${x.toPrecision(4)} ${unit}`;
  const steps: [number, string][] = [[1e12, 'J'], [1e9, 'mJ'], [1e6, 'µJ'], [1e3, 'nJ'], [1, 'pJ']];
  const [div, name] = steps.find(([d]) => x >= d) ?? [1, 'pJ'];
  return `${(x / div).toPrecision(4)} ${name}`;
}
