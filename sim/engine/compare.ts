/**
 * Bit-exact comparison of the engine's decoded results with the model's,
 * naming each mismatch by stream, time step, sample and index so a failing
 * cosim points at the exact value (s = t·B + b, as the exporter lays out S).
 */
import { COUNTER_NAMES, type EngineResult } from '../../engine/jobs.ts';
import type { DecodedEngineResult } from './decode.ts';
import type { EngineSimJob } from './encode.ts';

export interface Mismatch {
  /** 'y' (m_axis_res), 'G' (memory), or 'counter' (a register after a job). */
  stream: 'y' | 'G' | 'counter';
  /** y: time step and sample of the vector; G: row j; counter: job index and register name. */
  timeStep?: number;
  sample?: number;
  row?: number;
  job?: number;
  name?: string;
  index: number;
  expected: string;
  got: string;
}

export interface Comparison {
  pass: boolean;
  /** Number of mismatching values (all of them, not just the listed ones). */
  mismatchCount: number;
  /** The first `limit` mismatches, in stream order. */
  mismatches: Mismatch[];
  formatErrors: string[];
}

export function compareEngine(ej: EngineSimJob, expected: EngineResult, got: DecodedEngineResult, opts: { batch?: number; limit?: number } = {}): Comparison {
  const B = opts.batch ?? 1;
  const limit = opts.limit ?? 20;
  const mismatches: Mismatch[] = [];
  let count = 0;
  const note = (m: Mismatch) => {
    count++;
    if (mismatches.length < limit) mismatches.push(m);
  };
  const { K } = ej;
  if (ej.mode === 'data' && expected.y && got.y) {
    for (let i = 0; i < expected.y.length; i++) {
      if (expected.y[i] !== got.y[i]) {
        const s = Math.floor(i / K);
        note({ stream: 'y', timeStep: Math.floor(s / B), sample: s % B, index: i % K, expected: String(expected.y[i]), got: String(got.y[i]) });
      }
    }
  }
  if (ej.mode === 'weight' && expected.G && got.G) {
    for (let i = 0; i < expected.G.length; i++) {
      if (expected.G[i] !== got.G[i]) note({ stream: 'G', row: Math.floor(i / K), index: i % K, expected: String(expected.G[i]), got: String(got.G[i]) });
    }
  }
  expected.jobs.forEach(({ counters }, n) => {
    const g = got.jobs[n];
    if (!g) return;
    for (const name of COUNTER_NAMES) {
      if (counters[name] !== g[name]) note({ stream: 'counter', job: n, name, index: n, expected: String(counters[name]), got: String(g[name]) });
    }
  });
  return { pass: count === 0 && got.formatErrors.length === 0, mismatchCount: count, mismatches, formatErrors: got.formatErrors };
}

/** One line per mismatch, for the cosim report and the terminal. */
export function describeMismatch(m: Mismatch): string {
  switch (m.stream) {
    case 'y':
      return `y (m_axis_res) t=${m.timeStep} b=${m.sample} k=${m.index}: expected ${m.expected}, got ${m.got}`;
    case 'G':
      return `G (memory) row j=${m.row} k=${m.index}: expected ${m.expected}, got ${m.got}`;
    default:
      return `counter ${m.name} after job ${m.job}: expected ${m.expected}, got ${m.got}`;
  }
}
