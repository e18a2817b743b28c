/**
 * The engine driver, decoding side: a SimResult of a job built by
 * `buildEngineJob` → y (from m_axis_res beats), G (from the memory dump),
 * per-job counters (from the read log). Malformed output (wrong beat count,
 * misplaced tlast, wrong identity registers) is reported, not thrown, so the
 * caller can print it with the mismatches.
 */
import { geometry } from '../../engine/geometry.ts';
import type { EngineCounters } from '../../engine/jobs.ts';
import type { SimResult } from '../harness/job.ts';
import { COUNTER_READS, ENGINE_ID, IDENT_READS } from '../../engine/registers.ts';
import { type EngineSimJob, G_DUMP } from './encode.ts';
import { checkPokes } from './hostile.ts';
import { decodeG } from './layout.ts';
import { beatStride, readSignedField } from './pack.ts';

export interface MeasuredJob extends EngineCounters {
  cyclesBusy: number;
  stallCycles: number;
}

export interface DecodedEngineResult {
  y?: BigInt64Array;
  G?: BigInt64Array;
  /** Counter registers after each planned job. */
  jobs: MeasuredJob[];
  totals: MeasuredJob;
  /** Everything about the output's shape or the register reads that is wrong; empty when well-formed. */
  formatErrors: string[];
}

function sumJobs(jobs: readonly MeasuredJob[]): MeasuredJob {
  const t: MeasuredJob = { nonzeros: 0, zeros: 0, macsIssued: 0, macsSkipped: 0, rowsFetched: 0, cyclesBusy: 0, stallCycles: 0 };
  for (const j of jobs) for (const k of Object.keys(t) as (keyof MeasuredJob)[]) t[k] += j[k];
  return t;
}

function decodeY(ej: EngineSimJob, bytes: Uint8Array | undefined, errors: string[]): BigInt64Array {
  const { cfg, K, S } = ej;
  const y = new BigInt64Array(S * K);
  const width = cfg.N * cfg.accBits;
  const stride = beatStride(width);
  const data = bytes ?? new Uint8Array(0);
  const expected = ej.plan.reduce((n, job) => n + job.vectors * Math.ceil(job.cols / cfg.N), 0);
  const got = Math.floor(data.length / stride);
  if (data.length % stride !== 0 || got !== expected) {
    errors.push(`m_axis_res: ${got} beats (${data.length} bytes), expected ${expected} beats of ${width} bits`);
  }
  let beat = 0;
  for (const job of ej.plan) {
    const perVector = Math.ceil(job.cols / cfg.N);
    for (let s = job.s0; s < job.s0 + job.vectors; s++) {
      for (let b = 0; b < perVector; b++, beat++) {
        if (beat >= got) return y;
        const at = beat * stride;
        const last = (data[at + stride - 1]! & 1) === 1;
        if (last !== (b === perVector - 1)) {
          errors.push(`m_axis_res beat ${beat} (tile ${job.tile}, vector ${s}, beat ${b} of ${perVector}): tlast ${last ? 'set' : 'clear'}, expected ${last ? 'clear' : 'set'}`);
        }
        for (let i = 0; i < cfg.N; i++) {
          const c = b * cfg.N + i;
          if (c >= job.cols) break;
          y[s * K + job.c0 + c] = readSignedField(data.subarray(at, at + stride - 1), i * cfg.accBits, cfg.accBits);
        }
      }
    }
  }
  return y;
}

export function decodeEngineResult(ej: EngineSimJob, r: SimResult): DecodedEngineResult {
  const errors: string[] = [];
  if (r.timedOut) errors.push(`simulation hit the cycle limit (${ej.job.cycleLimit}) before the script finished (${r.timeoutDetail ?? 'no detail'}): the engine hung or is far slower than the model allows`);
  const g = geometry(ej.cfg);
  const expectReads = IDENT_READS.length + ej.plan.length * COUNTER_READS.length;
  if (r.reads.length !== expectReads) errors.push(`read log has ${r.reads.length} entries, expected ${expectReads} (did the script finish?)`);
  const ident: Record<number, number> = { 0: ENGINE_ID, 1: g.geometryReg, 2: ej.cfg.rMax, 3: ej.cfg.kMax };
  IDENT_READS.forEach((addr, i) => {
    const got = r.reads[i]?.data;
    if (got !== undefined && got >>> 0 !== ident[i]! >>> 0) {
      errors.push(`register 0x${addr.toString(16)}: read 0x${(got >>> 0).toString(16)}, expected 0x${(ident[i]! >>> 0).toString(16)} (is the RTL built from this configuration?)`);
    }
  });
  const jobs: MeasuredJob[] = ej.plan.map((_, n) => {
    const at = IDENT_READS.length + n * COUNTER_READS.length;
    const v = (i: number) => (r.reads[at + i]?.data ?? 0) >>> 0;
    return { cyclesBusy: v(0), macsIssued: v(1), macsSkipped: v(2), rowsFetched: v(3), stallCycles: v(4), nonzeros: v(5), zeros: v(6) };
  });
  // Protocol violations are the monitors' (SimResult.violations), counted apart from these.
  if (ej.pokesPerJob) errors.push(...checkPokes(r.pokes, ej.pokesPerJob, jobs.map((j) => j.cyclesBusy)));
  const out: DecodedEngineResult = { jobs, totals: sumJobs(jobs), formatErrors: errors };
  if (ej.mode === 'data') out.y = decodeY(ej, r.outputs.res, errors);
  else {
    const dump = r.dumps[G_DUMP];
    if (!dump || dump.length !== ej.layout.gBytes) errors.push(`memory dump '${G_DUMP}': ${dump?.length ?? 0} bytes, expected ${ej.layout.gBytes}`);
    else out.G = decodeG(dump, ej.R, ej.K, ej.layout);
    if ((r.outputs.res?.length ?? 0) > 0) errors.push(`m_axis_res produced ${r.outputs.res!.length} bytes in weight mode, expected none`);
  }
  return out;
}
