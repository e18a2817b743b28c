/** Random GEMM cases for the kernel tests and their seeded operand data. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FloatArray, GemmArgs } from '../../golden/kernels/gemm.ts';

/** SPARSEGRAD_SEED replays a run; otherwise a fresh seed (printed by the tests). */
export function testSeed(): number {
  const env = process.env.SPARSEGRAD_SEED;
  return env ? Number(env) | 0 : (Math.random() * 2 ** 31) | 0;
}

/** mulberry32: a small seeded integer stream for operand data. */
export function seededFill(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export interface Case {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  precision: 'float32' | 'float64';
  aOffset: number;
  bOffset: number;
  cOffset: number;
  lda: number;
  ldb: number;
  ldc: number;
  dataSeed: number;
}

export function caseArb(o: { maxDim: number; maxK: number; precision?: Case['precision'] }): fc.Arbitrary<Case> {
  return fc
    .record({
      M: fc.integer({ min: 1, max: o.maxDim }),
      N: fc.integer({ min: 1, max: o.maxDim }),
      K: fc.integer({ min: 1, max: o.maxK }),
      transA: fc.boolean(),
      transB: fc.boolean(),
      alpha: fc.constantFrom(1, -1, 0.5, 1.75),
      beta: fc.constantFrom(0, 1, -0.25),
      precision: o.precision ? fc.constant(o.precision) : fc.constantFrom('float32' as const, 'float64' as const),
      aOffset: fc.integer({ min: 0, max: 5 }),
      bOffset: fc.integer({ min: 0, max: 5 }),
      cOffset: fc.integer({ min: 0, max: 5 }),
      padA: fc.integer({ min: 0, max: 3 }),
      padB: fc.integer({ min: 0, max: 3 }),
      padC: fc.integer({ min: 0, max: 3 }),
      dataSeed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    })
    .map(({ padA, padB, padC, ...c }) => ({
      ...c,
      lda: (c.transA ? c.M : c.K) + padA,
      ldb: (c.transB ? c.K : c.N) + padB,
      ldc: c.N + padC,
    }));
}

function operand(precision: Case['precision'], n: number, next: () => number): FloatArray {
  const x = precision === 'float64' ? new Float64Array(n) : new Float32Array(n);
  // Mixed magnitudes and signs so rounding differences actually show up.
  for (let i = 0; i < n; i++) x[i] = ((next() / 2 ** 32) * 2 - 1) * 2 ** ((next() % 7) - 3);
  return x;
}

/** The operands of a case, deterministic in c.dataSeed; poisonC fills the C window with NaN. */
export function makeArgs(c: Case, o: { poisonC?: boolean } = {}): GemmArgs<FloatArray> & Case {
  const next = seededFill(c.dataSeed);
  const aRows = c.transA ? c.K : c.M, bRows = c.transB ? c.N : c.K;
  const A = operand(c.precision, c.aOffset + aRows * c.lda + 2, next);
  const B = operand(c.precision, c.bOffset + bRows * c.ldb + 2, next);
  const C = operand(c.precision, c.cOffset + c.M * c.ldc + 2, next);
  if (o.poisonC) for (let i = 0; i < c.M; i++) C.fill(NaN, c.cOffset + i * c.ldc, c.cOffset + i * c.ldc + c.N);
  return { ...c, A, B, C };
}

/** Elements of C outside the M×N window (offset, ld padding, tail) keep their initial values. */
export function outsideWindowUntouched(g: GemmArgs<FloatArray> & Case): void {
  const fresh = makeArgs(g).C;
  for (let p = 0; p < g.C.length; p++) {
    const q = p - g.cOffset;
    const inside = q >= 0 && Math.floor(q / g.ldc) < g.M && q % g.ldc < g.N;
    if (!inside) assert.ok(Object.is(g.C[p], fresh[p]), `C[${p}] outside the window was written`);
  }
}
