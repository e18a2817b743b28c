/**
 * `sparsegrad regress`: a matrix of presets × stimulus sources × backpressure
 * × memory latency × seeds, each point a full cosim (both modes, sparse and
 * dense), run concurrently by a pool of workers. The engines of each preset are
 * built once (cache) and shared; the simulations themselves are separate
 * processes, so the pool spreads them across cores.
 *
 * Writes DIR/regress.json (every point), DIR/junit.xml (or --junit FILE), and
 * for each failing point its cosim folder (report, tensors, VCD).
 */
import { join, resolve } from 'node:path';
import { cp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isInfrastructureError, pointDir, runOnSlurm, type SlurmCampaign } from '../cluster/campaign.ts';
import { UserError } from '../util/errors.ts';
import { getPreset } from '../engine/config.ts';
import { writeJsonArray } from '../util/json.ts';
import { type CosimReport, type CosimTestbenches, engineRtl, prepareEngineTestbenches, runCosim } from './cosim.ts';
import type { Backpressure } from './harness/job.ts';
import { prepareTestbench } from './harness/run.ts';
import { copyCacheEntry } from './build/index.ts';
import { withStagedDir } from './out-dir.ts';
import { dumpFiles, SYNTHETIC_KINDS, type SyntheticKind } from './stimulus.ts';
import { pool } from '../util/pool.ts';

export interface RegressMatrix {
  presets: string[];
  /** Synthetic kinds, and `dump:<file>` sources. */
  sources: string[];
  backpressure: Backpressure[];
  memLatency: number[];
  seeds: number[];
}

export interface RegressOptions {
  matrix: RegressMatrix;
  rtl?: string;
  jobs: number;
  out: string;
  junit?: string;
  stall: number;
  /** Run the points as a Slurm job array instead of the local pool (cluster/campaign.ts). */
  slurm?: SlurmCampaign;
  onProgress?: (done: number, total: number, what: string) => void;
  log?: (line: string) => void;
}

/** What every point of a matrix shares, as a cluster task receives it. */
interface PointOptions {
  /** Absolute, for tasks that start elsewhere; `rtlLabel` is --rtl as the user gave it, for the reports. */
  rtl?: string;
  rtlLabel?: string;
  stall: number;
}

export interface RegressPoint {
  preset: string;
  source: string;
  backpressure: Backpressure;
  memLatency: number;
  seed: number;
}

export interface PointResult extends RegressPoint {
  name: string;
  pass: boolean;
  /** Data mismatches (values, counters, output format, hostile responses) and protocol violations, counted apart. */
  mismatches: number;
  violations: number;
  /** Why it failed: the first mismatch, else the first protocol violation, or the error that stopped it. */
  failure: string | null;
  report: CosimReport | null;
  folder: string | null;
  /** Set when the point never ran to a result (a cluster task died every time): not a design failure. */
  infrastructure?: true;
}

/** The default matrix: every edge case on the small and default engines under every kind of backpressure and two memory latencies. */
export function defaultMatrix(streams?: string): RegressMatrix {
  const sources: string[] = [...SYNTHETIC_KINDS];
  if (streams) sources.push(...dumpFiles(streams).map((f) => `dump:${f}`));
  return { presets: ['tiny', 'default'], sources, backpressure: ['none', 'random', 'bursty'], memLatency: [1, 20], seeds: [1] };
}

export function expandMatrix(m: RegressMatrix): RegressPoint[] {
  for (const p of m.presets) getPreset(p);
  for (const s of m.sources) {
    if (!s.startsWith('dump:') && !(SYNTHETIC_KINDS as readonly string[]).includes(s)) {
      throw new UserError(`unknown regress source '${s}'; use ${SYNTHETIC_KINDS.join(', ')} or dump:FILE`);
    }
  }
  const points: RegressPoint[] = [];
  for (const preset of m.presets)
    for (const source of m.sources)
      for (const backpressure of m.backpressure)
        for (const memLatency of m.memLatency) for (const seed of m.seeds) points.push({ preset, source, backpressure, memLatency, seed });
  return points;
}

export function pointName(p: RegressPoint): string {
  const src = p.source.startsWith('dump:') ? `dump-${p.source.slice(5).split('/').pop()!.replace(/\.safetensors$/, '')}` : p.source;
  return `${p.preset}.${src}.bp-${p.backpressure}.lat-${p.memLatency}.seed-${p.seed}`;
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function junitXml(results: readonly PointResult[]): string {
  const failures = results.filter((r) => !r.pass).length;
  const t = regressTotals(results);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sparsegrad regress" tests="${results.length}" failures="${failures}">`,
    `  <testsuite name="sparsegrad.regress" tests="${results.length}" failures="${failures - t.infrastructure}" errors="${t.infrastructure}" skipped="0">`,
    '    <properties>',
    `      <property name="mismatches" value="${t.mismatches}"/>`,
    `      <property name="protocolViolations" value="${t.violations}"/>`,
    `      <property name="pointsWithMismatches" value="${t.pointsWithMismatches}"/>`,
    `      <property name="pointsWithProtocolViolations" value="${t.pointsWithViolations}"/>`,
    '    </properties>',
  ];
  for (const r of results) {
    const attrs = `classname="regress.${xmlEscape(r.preset)}" name="${xmlEscape(r.name)}"`;
    if (r.pass) {
      const c = r.report;
      const props = c ? ` cycles=${c.cycles} dense=${c.denseCycles} efficiency=${c.efficiency}` : '';
      lines.push(`    <testcase ${attrs}><system-out>${xmlEscape(props.trim())}</system-out></testcase>`);
    } else {
      if (r.infrastructure) {
        lines.push(`    <testcase ${attrs}>`, `      <error type="infrastructure" message="${xmlEscape(r.failure ?? 'no result')}"/>`, '    </testcase>');
        continue;
      }
      // The type says which check failed: data (mismatches), protocol (violations only), or error (the run stopped).
      const type = r.mismatches > 0 ? 'mismatch' : r.violations > 0 ? 'protocol' : 'error';
      const counts = `${r.mismatches} mismatches, ${r.violations} protocol violations`;
      lines.push(
        `    <testcase ${attrs}>`,
        `      <failure type="${type}" message="${xmlEscape(r.failure ?? 'failed')}">${xmlEscape(`${counts}${r.folder ? `; see ${r.folder}` : ''}`)}</failure>`,
        '    </testcase>',
      );
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

/** Testbenches of a preset, built once per process (a cluster task finds them in its build cache). */
const benchCache = new Map<string, Promise<CosimTestbenches>>();
function benchesOf(preset: string, rtl: string | undefined): Promise<CosimTestbenches> {
  const key = `${preset}\0${rtl ?? ''}`;
  let b = benchCache.get(key);
  if (!b) {
    b = prepareEngineTestbenches(engineRtl(preset, rtl, true));
    benchCache.set(key, b);
  }
  return b;
}

/** One point of the matrix: its cosim in `caseDir`, removed when it passes. The same on every executor. */
async function regressPoint(o: PointOptions, p: RegressPoint, caseDir: string): Promise<PointResult> {
  const res: PointResult = { ...p, name: pointName(p), pass: false, mismatches: 0, violations: 0, failure: null, report: null, folder: null };
  try {
    const { report } = await runCosim(
      {
        preset: p.preset,
        streams: p.source.startsWith('dump:') ? p.source.slice(5) : undefined,
        synthetic: p.source.startsWith('dump:') ? undefined : (p.source as SyntheticKind),
        rtl: o.rtl,
        rtlLabel: o.rtlLabel,
        mode: 'both',
        backpressure: p.backpressure,
        memLatency: p.memLatency,
        stall: o.stall,
        seed: p.seed,
        out: caseDir,
      },
      await benchesOf(p.preset, o.rtl),
    );
    res.report = report;
    res.pass = report.pass;
    res.mismatches = report.mismatches;
    res.violations = report.violations;
    res.failure = report.pass ? null : (report.firstMismatch ?? report.firstViolation);
  } catch (e) {
    res.failure = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
  // Passing points keep only their line in regress.json; failing ones keep their folder.
  if (res.pass) await rm(caseDir, { recursive: true, force: true });
  return res;
}

/** The point runner of a cluster task (cluster/campaign.ts runTask). */
export async function runRegressPoint(options: unknown, point: unknown, ctx: { pointDir: string }): Promise<PointResult> {
  return regressPoint(options as PointOptions, point as RegressPoint, ctx.pointDir);
}

export async function runRegress(o: RegressOptions): Promise<PointResult[]> {
  const points = expandMatrix(o.matrix);
  if (points.length === 0) throw new UserError('the regress matrix is empty: give at least one preset, source, backpressure, latency and seed');
  // Tasks on other nodes resolve paths from their own working folder: give them absolute ones.
  const shared: PointOptions = { rtl: o.rtl === undefined ? undefined : resolve(o.rtl), rtlLabel: o.rtl, stall: o.stall };
  if (o.slurm) return runRegressOnSlurm(o, points, shared, o.slurm);
  // Each preset's engines are built once, before the pool, so workers only simulate.
  for (const preset of o.matrix.presets) await benchesOf(preset, shared.rtl);

  return withStagedDir(o.out, async (dir) => {
    let done = 0;
    const results = await pool(points, o.jobs, async (p): Promise<PointResult> => {
      const res = await regressPoint(shared, p, dir.path(pointName(p)));
      if (!res.pass) res.folder = join(o.out, res.name);
      o.onProgress?.(++done, points.length, res.name);
      return res;
    });
    // Element by element: a campaign of 100,000 points is more JSON than one string holds.
    writeJsonArray(dir.path('regress.json'), results);
    await dir.write('junit.xml', junitXml(results));
    return results;
  });
}

async function runRegressOnSlurm(o: RegressOptions, points: RegressPoint[], shared: PointOptions, slurm: SlurmCampaign): Promise<PointResult[]> {
  const raw = await runOnSlurm(
    {
      kind: 'regress',
      runner: { module: 'sim/regress.ts', export: 'runRegressPoint' },
      options: shared,
      points,
      prebuild: async (cache) => {
        // Built (or found) in this machine's cache, traced builds too (a failing point reruns with a VCD),
        // then copied into the campaign's cache: an entry is keyed by content, so it serves any node.
        for (const preset of o.matrix.presets) {
          const files = engineRtl(preset, shared.rtl, true);
          for (const [top, rtlFiles] of [['sparse_bwd_engine', files.sparse], ['dense_bwd_engine', files.dense]] as const) {
            const tb = await prepareTestbench({ top, rtlFiles }, { trace: true });
            for (const exe of [tb.exe, tb.traceExe!]) await copyCacheEntry(exe, cache);
          }
        }
      },
      onProgress: o.onProgress,
      log: o.log,
    },
    slurm,
  );
  return withStagedDir(o.out, async (dir) => {
    const results: PointResult[] = [];
    for (const [i, r] of raw.entries()) {
      const p = points[i]!;
      if (isInfrastructureError(r)) {
        results.push({ ...p, name: pointName(p), pass: false, mismatches: 0, violations: 0, failure: r.infrastructureError, report: null, folder: null, infrastructure: true });
        continue;
      }
      const res = r as PointResult;
      // A failing point's cosim folder comes home from the work folder, where local runs would have put it.
      const kept = pointDir(slurm.work, i);
      if (!res.pass && existsSync(kept)) {
        await cp(kept, dir.path(res.name), { recursive: true });
        res.folder = join(o.out, res.name);
      }
      results.push(res);
    }
    // Element by element: a campaign of 100,000 points is more JSON than one string holds.
    writeJsonArray(dir.path('regress.json'), results);
    await dir.write('junit.xml', junitXml(results));
    return results;
  });
}

/** Totals over the matrix: protocol violations apart from data mismatches. */
export function regressTotals(results: readonly PointResult[]): { mismatches: number; violations: number; pointsWithMismatches: number; pointsWithViolations: number; infrastructure: number } {
  return {
    infrastructure: results.filter((r) => r.infrastructure).length,
    mismatches: results.reduce((a, r) => a + r.mismatches, 0),
    violations: results.reduce((a, r) => a + r.violations, 0),
    pointsWithMismatches: results.filter((r) => r.mismatches > 0).length,
    pointsWithViolations: results.filter((r) => r.violations > 0).length,
  };
}

export function summaryTable(results: readonly PointResult[]): string {
  const rows = results.map((r) => [
    r.name,
    r.pass ? 'pass' : 'FAIL',
    String(r.mismatches),
    String(r.violations),
    String(r.report?.cycles ?? '-'),
    String(r.report?.denseCycles ?? '-'),
    r.report ? r.report.efficiency.toFixed(3) : '-',
    r.report ? `${(100 * r.report.sparsity).toFixed(1)}%` : '-',
  ]);
  const head = ['point', 'result', 'mismatches', 'violations', 'cycles', 'dense', 'efficiency', 'sparsity'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const lines = [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
  const failed = results.filter((r) => !r.pass);
  const t = regressTotals(results);
  lines.push('', `${results.length - failed.length} of ${results.length} passed; ${t.mismatches} data mismatches (${t.pointsWithMismatches} points), ${t.violations} protocol violations (${t.pointsWithViolations} points)${t.infrastructure ? `; ${t.infrastructure} points never ran (infrastructure errors, not design failures)` : ''}`);
  for (const f of failed) lines.push(`  FAIL ${f.name}: ${f.failure}${f.folder ? ` (${f.folder})` : ''}`);
  return lines.join('\n');
}

