/**
 * `sparsegrad fpga`: write the bundle of every design, then run what can run
 * here (Yosys synthesis per device, nextpnr place and route of the harness on
 * iCE40), and write report.json. A missing tool never stops the bundle: the
 * step is recorded as not run, with how to install the tool.
 *
 * The bundle is assembled in a staging folder beside --out and replaces the old
 * bundle whole at the end (util/atomic.ts), so a failed or interrupted run leaves
 * the previous bundle as it was and no half-written one.
 */
import { chmod, cp, mkdir, readFile, rm, stat, writeFile, copyFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { findTool, notInstalledMessage, toolVersion, type ToolName } from '../toolchain/index.ts';
import { isUserError, UserError } from '../util/errors.ts';
import { StagedDir } from '../util/atomic.ts';
import { isInfrastructureError, runOnSlurm, type SlurmCampaign } from '../cluster/campaign.ts';
import { stableJson } from '../util/json.ts';
import { designBundle, rtlPath, vivadoTclPath, type BundleSettings, type DesignSpec } from './bundle.ts';
import { HARNESS_INSTANCE, harnessModuleName, planHarness } from './io-harness.ts';
import { runYosysScript, synthPaths } from './synth.ts';
import { DoesNotFitError, PNR_SEED, runNextpnr } from './pnr.ts';
import { bindingBound, exceeds, lutFfPairs, type FitBound } from './fit-bound.ts';
import { mapCriticalPath, NetlistSrc, VerilogSrcIndex, type MappedPath } from './srcmap.ts';
import { percentChange, type Resources } from './resources.ts';
import { sha256, treeHash } from './hashes.ts';
import { bundleReadme } from './readme.ts';
import { pool } from '../util/pool.ts';
import type { Device } from './targets.ts';
import { denseEquivalentMMACs, throughputBasis, type ThroughputBasis } from './throughput.ts';
import type { EngineConfig } from '../engine/config.ts';

export const REPORT_KIND = 'sparsegrad-fpga-report';
const MANIFEST_KIND = 'sparsegrad-fpga-manifest';
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Goals of issue 6 for the cost of zero skipping against the dense baseline. */
export const LUT_OVERHEAD_GOAL_PCT = 10;
export const FMAX_LOSS_GOAL_PCT = 5;

export type StepStatus = 'ok' | 'not-run' | 'failed';

export interface DeviceResult {
  top: string;
  role: DesignSpec['role'];
  device: string;
  deviceLabel: string;
  synth: {
    status: StepStatus;
    reason?: string;
    resources?: Resources;
    cellsByType?: Record<string, number>;
    capacity: Device['capacity'];
    /** Whether the design alone fits by count: LUTs, FFs, BRAMs and DSPs within the device's (iCE40: one LUT and one FF per logic cell). */
    fitsAlone?: boolean;
    /** Share of the device's LUTs the design alone uses (undefined for the generic target). */
    lutUtilization?: number;
    /** Area by module definition (hierarchy kept), with --breakdown. */
    modules?: Record<string, Resources>;
  };
  pnr: {
    status: StepStatus;
    reason?: string;
    fmaxMHz?: number;
    constraintMHz?: number;
    meetsTiming?: boolean;
    /** Device-level use including the harness, as nextpnr reports it. */
    utilization?: Record<string, { used: number; available: number }>;
    /** false when design + harness are too big for the device: the lower bound exceeds it, or placement ran out of sites. */
    fits?: boolean;
    harnessFlops?: number;
    /** The lower bound on placement read from the harness netlist (fit-bound.ts): the resource that binds. */
    lowerBound?: FitBound;
    criticalPath?: MappedPath;
  };
  /** Dense-equivalent MACs per second at the placed Fmax (throughput.ts); with --preset, when placement ran. */
  throughput?: { lanes: number; fmaxMHz: number; speedup: number; mmacPerS: number };
}

export interface Comparison {
  device: string;
  sparseTop: string;
  denseTop: string;
  luts: { sparse: number; dense: number; deltaPct?: number; goalMet?: boolean };
  ffs: { sparse: number; dense: number; deltaPct?: number };
  brams: { sparse: number; dense: number };
  dsps: { sparse: number; dense: number };
  fmax?: { sparse: number; dense: number; deltaPct?: number; goalMet?: boolean };
}

export interface FpgaReport {
  kind: typeof REPORT_KIND;
  version: 1;
  preset?: string;
  target: BundleSettings['target'];
  clockMHz: number;
  board?: string;
  /** nextpnr's placement seed. */
  seed: number;
  tools: Record<string, { version?: string; missing?: string }>;
  notRun: string[];
  designs: Array<{ role: DesignSpec['role']; top: string; origin: string; sources: number }>;
  results: DeviceResult[];
  comparisons: Comparison[];
  goals: { lutOverheadPct: number; fmaxLossPct: number };
  /** The layer and cycle-model speedup the results' throughput is taken with (with --preset). */
  throughput?: ThroughputBasis;
}

export interface FpgaRun {
  designs: DesignSpec[];
  settings: BundleSettings;
  outDir: string;
  preset?: string;
  /** The preset's engine configuration (sparse); the dense baseline is the same with skipping off. */
  engine?: EngineConfig;
  /** Extra facts for the manifest (engine configuration, generator manifest). */
  provenance?: Record<string, unknown>;
  progress?: boolean;
  /** Also synthesise with the hierarchy kept and report area by module. */
  breakdown?: boolean;
  /** Run each design × device as a Slurm task instead of here (cluster/campaign.ts). */
  slurm?: SlurmCampaign;
  /** Design × device runs at once here (each runs Yosys and nextpnr, one thread each); 1 by default. */
  jobs?: number;
}

const PHASES = ['synth', 'modules', 'harness-synth', 'lower-bound', 'place-and-route'] as const;

/** Wall-clock seconds of each step of each design × device: not in the bundle, whose files stay byte-identical. */
export interface PhaseTime {
  top: string;
  device: string;
  phase: (typeof PHASES)[number];
  seconds: number;
}

export interface FpgaTimings {
  kind: 'sparsegrad-fpga-timings';
  jobs: number;
  totalSeconds: number;
  phases: PhaseTime[];
}

/** What every task of an FPGA campaign needs: plain data, as the plan holds it. */
interface FpgaPointOptions {
  designs: DesignSpec[];
  settings: BundleSettings;
  tools: FpgaReport['tools'];
  breakdown: boolean;
  /** The bundle folders (one per design) where every node sees them. */
  bundle: string;
}

interface FpgaPoint {
  design: number;
  device: string;
}

/** The point runner of a cluster task: one design on one device, in a copy of its bundle folder. */
export async function fpgaPoint(options: unknown, point: unknown, ctx: { pointDir: string }): Promise<DeviceResult> {
  const o = options as FpgaPointOptions;
  const p = point as FpgaPoint;
  const d = o.designs[p.design]!;
  const dev = o.settings.devices.find((x) => x.name === p.device)!;
  const dir = join(ctx.pointDir, d.top);
  await rm(ctx.pointDir, { recursive: true, force: true });
  await cp(join(o.bundle, d.top), dir, { recursive: true });
  return runDevice(dir, d, dev, o.settings, o.tools, o.breakdown, () => {}, () => {});
}

/**
 * Every design × device as a Slurm task: the bundle folders go to the work folder, each task
 * synthesises and places in its own copy, and what it built comes back into the staged bundle,
 * in the order the local loop would have run them.
 */
async function runDevicesOnSlurm(run: FpgaRun, tmp: string, tools: FpgaReport['tools'], onStep: (done: number, total: number) => void): Promise<DeviceResult[]> {
  const slurm = run.slurm!;
  const s = run.settings;
  const bundle = join(resolve(slurm.work), 'bundle');
  for (const d of run.designs) await cp(join(tmp, d.top), join(bundle, d.top), { recursive: true, force: true });
  const points: FpgaPoint[] = run.designs.flatMap((_, design) => s.devices.map((dev) => ({ design, device: dev.name })));
  const options: FpgaPointOptions = { designs: run.designs, settings: s, tools, breakdown: run.breakdown ?? false, bundle };
  const raw = await runOnSlurm(
    { kind: 'fpga', runner: { module: 'fpga/flow.ts', export: 'fpgaPoint' }, options, points, onProgress: (done, total) => onStep(done, total), log: (l) => run.progress && process.stderr.write(`fpga: ${l}\n`) },
    slurm,
  );
  const results: DeviceResult[] = [];
  for (const [i, r] of raw.entries()) {
    const d = run.designs[points[i]!.design]!;
    const dev = s.devices.find((x) => x.name === points[i]!.device)!;
    if (isInfrastructureError(r)) {
      // Never ran: a failed synthesis in the report (so the command fails), with the cluster's reason.
      results.push({ top: d.top, role: d.role, device: dev.name, deviceLabel: dev.label, synth: { status: 'failed', reason: `infrastructure error: ${r.infrastructureError}`, capacity: dev.capacity }, pnr: { status: 'not-run', reason: 'synthesis did not run' } });
      continue;
    }
    await cp(join(slurm.work, 'points', String(i), d.top), join(tmp, d.top), { recursive: true, force: true });
    results.push(r as DeviceResult);
  }
  return results;
}

/** An existing --out must be an earlier bundle (it is replaced whole) or empty: anything else could be the user's files. */
async function checkOutDir(outDir: string): Promise<void> {
  if (existsSync(outDir) && (await stat(outDir)).isDirectory()) {
    const entries = await readdir(outDir);
    const isBundle = entries.includes('manifest.json') && (await readFile(join(outDir, 'manifest.json'), 'utf8')).includes(MANIFEST_KIND);
    if (entries.length > 0 && !isBundle) {
      throw new UserError(`${outDir} exists and is not an FPGA bundle; give --out an empty or new folder`);
    }
  }
}

export async function writeBundleFiles(dir: string, d: DesignSpec, s: BundleSettings): Promise<string[]> {
  const written: string[] = [];
  for (const f of d.files) {
    const to = join(dir, rtlPath(f));
    await mkdir(dirname(to), { recursive: true });
    await copyFile(f, to);
    written.push(rtlPath(f));
  }
  for (const f of designBundle(d, s)) {
    const to = join(dir, f.path);
    await mkdir(dirname(to), { recursive: true });
    await writeFile(to, f.text);
    if (f.executable) await chmod(to, 0o755);
    written.push(f.path);
  }
  for (const dev of s.devices) await mkdir(join(dir, 'build', dev.name), { recursive: true });
  return written.sort();
}

async function toolInfo(name: ToolName): Promise<{ version?: string; missing?: string }> {
  if (!findTool(name)) return { missing: notInstalledMessage(name) };
  return { version: await toolVersion(name) };
}

function message(e: unknown): string {
  if (isUserError(e)) return e.message;
  throw e;
}

async function mapPath(dir: string, d: DesignSpec, dev: Device, cp: NonNullable<Awaited<ReturnType<typeof runNextpnr>>['criticalPath']>): Promise<MappedPath> {
  const index = new VerilogSrcIndex();
  for (const f of d.files) index.add(f, await readFile(f, 'utf8'));
  const netlist = new NetlistSrc(await readFile(join(dir, synthPaths(dev, 'harness').netlist!), 'utf8'), harnessModuleName(d.top));
  return mapCriticalPath(cp, netlist, index, d.files, HARNESS_INSTANCE, d.top);
}

type PhaseTimer = (phase: PhaseTime['phase'], seconds: number) => void;

/** Runs one step and tells how long it took, whether it succeeded or threw. */
async function timed<T>(phase: PhaseTime['phase'], onPhase: PhaseTimer, body: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await body();
  } finally {
    onPhase(phase, (performance.now() - t0) / 1000);
  }
}

async function runDevice(dir: string, d: DesignSpec, dev: Device, s: BundleSettings, tools: FpgaReport['tools'], breakdown: boolean, tick: () => void, onPhase: PhaseTimer): Promise<DeviceResult> {
  const r: DeviceResult = {
    top: d.top,
    role: d.role,
    device: dev.name,
    deviceLabel: dev.label,
    synth: { status: 'not-run', capacity: dev.capacity },
    pnr: { status: 'not-run' },
  };
  if (!dev.nextpnrArgs) {
    r.pnr.reason =
      dev.target === 'xilinx7'
        ? `place and route for ${dev.label} runs in Vivado: vivado -mode batch -source ${d.top}/${vivadoTclPath(dev)}`
        : 'no place and route for the generic target (technology-independent size only); use --target ice40 or xilinx7 for Fmax';
  }
  if (tools.yosys!.missing) {
    r.synth.reason = tools.yosys!.missing;
    r.pnr.reason ??= tools.yosys!.missing;
    tick();
    if (dev.nextpnrArgs) tick();
    return r;
  }
  try {
    const out = await timed('synth', onPhase, () => runYosysScript(dir, dev, 'engine'));
    r.synth = { status: 'ok', resources: out.resources, cellsByType: out.cellsByType, capacity: dev.capacity, ...fitByCount(out.resources, dev) };
    if (breakdown) r.synth.modules = (await timed('modules', onPhase, () => runYosysScript(dir, dev, 'modules'))).modules;
  } catch (e) {
    r.synth = { status: 'failed', reason: message(e), capacity: dev.capacity };
  }
  tick();
  if (!dev.nextpnrArgs) return r;
  const nextpnrMissing = tools['nextpnr-ice40']!.missing ?? (s.board?.device === dev.name ? tools.icepack!.missing : undefined);
  if (r.synth.status !== 'ok') r.pnr.reason = 'synthesis did not succeed';
  else if (nextpnrMissing) r.pnr.reason = nextpnrMissing;
  else {
    const plan = planHarness(d.top, d.ports);
    try {
      const harness = await timed('harness-synth', onPhase, () => runYosysScript(dir, dev, 'harness'));
      // Placement of an over-full device can take many minutes before it gives up; the netlist's count already says no.
      const bound = await timed('lower-bound', onPhase, async () => {
        const netlist = await readFile(join(dir, synthPaths(dev, 'harness').netlist!), 'utf8');
        return bindingBound(harness.cellsByType, lutFfPairs(netlist, harnessModuleName(d.top)), dev);
      });
      r.pnr.lowerBound = bound;
      if (exceeds(bound)) throw new DoesNotFitError(dev, bound.resource, bound);
      const p = await timed('place-and-route', onPhase, () => runNextpnr(dir, dev, s.clockMHz, s.board, harnessModuleName(d.top), plan.clock, s.seed));
      r.pnr = {
        status: 'ok',
        fits: true,
        fmaxMHz: round(p.fmaxMHz, 2),
        constraintMHz: p.constraintMHz,
        meetsTiming: p.fmaxMHz >= p.constraintMHz,
        utilization: p.utilization,
        harnessFlops: plan.harnessFlops,
        lowerBound: bound,
        ...(p.criticalPath ? { criticalPath: await mapPath(dir, d, dev, p.criticalPath) } : {}),
      };
    } catch (e) {
      // One path for both ways of not fitting: the bound before placement, or nextpnr running out of sites.
      r.pnr = {
        status: 'failed',
        reason: message(e),
        ...(e instanceof DoesNotFitError ? { fits: false, harnessFlops: plan.harnessFlops } : {}),
        ...(r.pnr.lowerBound ? { lowerBound: r.pnr.lowerBound } : {}),
      };
    }
  }
  tick();
  return r;
}

/** The engine pair only: a sparse engine gains the model's speedup, its dense baseline none. */
function addThroughput(r: DeviceResult, cfg: EngineConfig, basis: ThroughputBasis): void {
  if (r.pnr.fmaxMHz === undefined || (r.role !== 'sparse' && r.role !== 'dense')) return;
  const speedup = r.role === 'sparse' ? basis.speedup.layer : 1;
  r.throughput = { lanes: cfg.N, fmaxMHz: r.pnr.fmaxMHz, speedup, mmacPerS: denseEquivalentMMACs(cfg.N, r.pnr.fmaxMHz, speedup) };
}

function fitByCount(res: Resources, dev: Device): Pick<DeviceResult['synth'], 'fitsAlone' | 'lutUtilization'> {
  const c = dev.capacity;
  if (!c.luts) return {};
  return {
    fitsAlone: res.luts <= c.luts && res.ffs <= c.ffs && res.brams <= c.brams && res.dsps <= c.dsps,
    lutUtilization: round(res.luts / c.luts, 4),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function compare(results: DeviceResult[], designs: DesignSpec[]): Comparison[] {
  const sparse = designs.find((d) => d.role === 'sparse');
  const dense = designs.find((d) => d.role === 'dense');
  if (!sparse || !dense) return [];
  const out: Comparison[] = [];
  for (const sr of results.filter((r) => r.top === sparse.top)) {
    const dr = results.find((r) => r.top === dense.top && r.device === sr.device);
    const a = dr?.synth.resources;
    const b = sr.synth.resources;
    if (!a || !b) continue;
    const lutPct = percentChange(a.luts, b.luts);
    const c: Comparison = {
      device: sr.device,
      sparseTop: sparse.top,
      denseTop: dense.top,
      luts: { sparse: b.luts, dense: a.luts, ...(lutPct !== undefined ? { deltaPct: round(lutPct, 2), goalMet: lutPct <= LUT_OVERHEAD_GOAL_PCT } : {}) },
      ffs: { sparse: b.ffs, dense: a.ffs, ...(percentChange(a.ffs, b.ffs) !== undefined ? { deltaPct: round(percentChange(a.ffs, b.ffs)!, 2) } : {}) },
      brams: { sparse: b.brams, dense: a.brams },
      dsps: { sparse: b.dsps, dense: a.dsps },
    };
    const fs = sr.pnr.fmaxMHz;
    const fd = dr!.pnr.fmaxMHz;
    if (fs !== undefined && fd !== undefined) {
      const pct = percentChange(fd, fs)!;
      c.fmax = { sparse: fs, dense: fd, deltaPct: round(pct, 2), goalMet: pct >= -FMAX_LOSS_GOAL_PCT };
    }
    out.push(c);
  }
  return out;
}

/** The run, and how long each of its steps took (for --timings and the summary line). */
export async function runFpgaFlowTimed(run: FpgaRun): Promise<{ report: FpgaReport; timings: FpgaTimings }> {
  const started = performance.now();
  const phases: PhaseTime[] = [];
  const outDir = resolve(run.outDir);
  const s = run.settings;
  await checkOutDir(outDir);
  const staged = await StagedDir.open(outDir, { replaceWhole: true });
  const tmp = staged.staging;
  try {
    const tools: FpgaReport['tools'] = {
      yosys: await toolInfo('yosys'),
      'nextpnr-ice40': await toolInfo('nextpnr-ice40'),
      icepack: await toolInfo('icepack'),
    };
    const manifestDesigns = [];
    for (const d of run.designs) {
      const files = await writeBundleFiles(join(tmp, d.top), d, s);
      const sources = [];
      for (const f of d.files) sources.push({ path: `${d.top}/${rtlPath(f)}`, sha256: sha256(await readFile(f)) });
      const bundleFiles = [];
      for (const f of files) bundleFiles.push({ path: `${d.top}/${f}`, sha256: sha256(await readFile(join(tmp, d.top, f))) });
      manifestDesigns.push({ role: d.role, top: d.top, origin: d.origin, parameters: d.parameters, sources, files: bundleFiles });
    }
    const steps = run.designs.length * s.devices.reduce((n, dev) => n + (dev.nextpnrArgs ? 2 : 1), 0);
    const bar = run.progress ? new cliProgress.SingleBar({ format: 'fpga {bar} {value}/{total} {step}', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
    bar?.start(steps, 0, { step: '' });
    let results: DeviceResult[] = [];
    if (run.slurm) {
      bar?.setTotal(run.designs.length * s.devices.length);
      results = await runDevicesOnSlurm(run, tmp, tools, (done) => bar?.update(done, { step: 'on Slurm' }));
    } else {
      // Two devices of one design share its folder but write only under build/<device>/, so they can run at once;
      // results keep the (design, device) order, so the report does not depend on --jobs.
      const points = run.designs.flatMap((d) => s.devices.map((dev) => ({ d, dev })));
      results = await pool(points, run.jobs ?? 1, ({ d, dev }) => {
        bar?.update({ step: `${d.top} on ${dev.label}` });
        return runDevice(join(tmp, d.top), d, dev, s, tools, run.breakdown ?? false, () => bar?.increment(), (phase, seconds) => phases.push({ top: d.top, device: dev.name, phase, seconds: round(seconds, 2) }));
      });
    }
    bar?.stop();
    const basis = run.engine ? throughputBasis(run.engine) : undefined;
    if (basis) for (const r of results) addThroughput(r, run.engine!, basis);
    const notRun = [...new Set(results.flatMap((r) => [r.synth, r.pnr].filter((x) => x.status === 'not-run' && x.reason).map((x) => x.reason!)))];
    const report: FpgaReport = {
      kind: REPORT_KIND,
      version: 1,
      ...(run.preset ? { preset: run.preset } : {}),
      target: s.target,
      clockMHz: s.clockMHz,
      ...(s.board ? { board: s.board.name } : {}),
      seed: s.seed ?? PNR_SEED,
      tools,
      notRun,
      designs: run.designs.map((d) => ({ role: d.role, top: d.top, origin: d.origin, sources: d.files.length })),
      results,
      comparisons: compare(results, run.designs),
      goals: { lutOverheadPct: LUT_OVERHEAD_GOAL_PCT, fmaxLossPct: FMAX_LOSS_GOAL_PCT },
      ...(basis ? { throughput: basis } : {}),
    };
    const manifest = {
      kind: MANIFEST_KIND,
      version: 1,
      generator: treeHash(REPO_ROOT, 'generator', (p) => p.endsWith('.ts')),
      flow: treeHash(REPO_ROOT, 'fpga', (p) => p.endsWith('.ts')),
      ...(run.provenance ? { provenance: run.provenance } : {}),
      settings: { target: s.target, devices: s.devices.map((d) => d.name), clockMHz: s.clockMHz, ...(s.board ? { board: s.board.name } : {}) },
      designs: manifestDesigns,
    };
    await writeFile(join(tmp, 'manifest.json'), stableJson(manifest));
    await writeFile(join(tmp, 'report.json'), stableJson(report));
    await writeFile(join(tmp, 'README.md'), bundleReadme(run, report));
    staged.commitSync();
    const order = (p: PhaseTime) => [run.designs.findIndex((d) => d.top === p.top), s.devices.findIndex((d) => d.name === p.device), PHASES.indexOf(p.phase)];
    phases.sort((a, b) => order(a).map((x, i) => x - order(b)[i]!).find((x) => x !== 0) ?? 0);
    return { report, timings: { kind: 'sparsegrad-fpga-timings', jobs: run.jobs ?? 1, totalSeconds: round((performance.now() - started) / 1000, 2), phases } };
  } catch (e) {
    staged.discardSync();
    throw e;
  }
}
