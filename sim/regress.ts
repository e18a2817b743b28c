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
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { UserError } from '../cli/errors.ts';
import { getPreset } from '../golden/engine-model/config.ts';
import { stableJson } from '../golden/json.ts';
import { type CosimReport, type CosimTestbenches, engineRtl, prepareEngineTestbenches, runCosim } from './cosim.ts';
import type { Backpressure } from './harness/job.ts';
import { withStagedDir } from './out-dir.ts';
import { dumpFiles, SYNTHETIC_KINDS, type SyntheticKind } from './stimulus.ts';

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
  onProgress?: (done: number, total: number, what: string) => void;
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

/** A fixed number of workers taking the next item until none are left; results keep input order. */
export async function pool<T, R>(items: readonly T[], workers: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, items.length)) }, worker));
  return out;
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
    `  <testsuite name="sparsegrad.regress" tests="${results.length}" failures="${failures}" errors="0" skipped="0">`,
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

export async function runRegress(o: RegressOptions): Promise<PointResult[]> {
  const points = expandMatrix(o.matrix);
  if (points.length === 0) throw new UserError('the regress matrix is empty: give at least one preset, source, backpressure, latency and seed');
  // Each preset's engines are built once, before the pool, so workers only simulate.
  const benches = new Map<string, CosimTestbenches>();
  for (const preset of o.matrix.presets) benches.set(preset, await prepareEngineTestbenches(engineRtl(preset, o.rtl, true)));

  return withStagedDir(o.out, async (dir) => {
    let done = 0;
    const results = await pool(points, o.jobs, async (p): Promise<PointResult> => {
      const name = pointName(p);
      const caseDir = dir.path(name);
      const res: PointResult = { ...p, name, pass: false, mismatches: 0, violations: 0, failure: null, report: null, folder: null };
      try {
        const { report } = await runCosim(
          {
            preset: p.preset,
            streams: p.source.startsWith('dump:') ? p.source.slice(5) : undefined,
            synthetic: p.source.startsWith('dump:') ? undefined : (p.source as SyntheticKind),
            rtl: o.rtl,
            mode: 'both',
            backpressure: p.backpressure,
            memLatency: p.memLatency,
            stall: o.stall,
            seed: p.seed,
            out: caseDir,
          },
          benches.get(p.preset),
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
      else res.folder = join(o.out, name);
      o.onProgress?.(++done, points.length, name);
      return res;
    });
    await dir.write('regress.json', stableJson(results));
    await dir.write('junit.xml', junitXml(results));
    return results;
  });
}

/** Totals over the matrix: protocol violations apart from data mismatches. */
export function regressTotals(results: readonly PointResult[]): { mismatches: number; violations: number; pointsWithMismatches: number; pointsWithViolations: number } {
  return {
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
  lines.push('', `${results.length - failed.length} of ${results.length} passed; ${t.mismatches} data mismatches (${t.pointsWithMismatches} points), ${t.violations} protocol violations (${t.pointsWithViolations} points)`);
  for (const f of failed) lines.push(`  FAIL ${f.name}: ${f.failure}${f.folder ? ` (${f.folder})` : ''}`);
  return lines.join('\n');
}

