/** fast-check generators of engine configurations and problems, biased towards edges. */
import fc from 'fast-check';
import { type EngineConfig, parseEngineConfig } from '../../engine/config.ts';
import type { EngineProblem } from '../../engine/jobs.ts';

export const smallConfig: fc.Arbitrary<EngineConfig> = fc
  .record({
    P: fc.integer({ min: 1, max: 5 }),
    N: fc.integer({ min: 1, max: 5 }),
    gBits: fc.integer({ min: 2, max: 16 }),
    wBits: fc.integer({ min: 2, max: 16 }),
    aBits: fc.integer({ min: 2, max: 16 }),
    accExtra: fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 40 })),
    kMax: fc.constantFrom(4, 8, 12),
    skipping: fc.boolean(),
  })
  .map((r) => {
    // accExtra 0 makes accBits exactly the product width: saturation on nearly every sum of extremes.
    const accBits = Math.min(64, r.gBits + Math.max(r.wBits, r.aBits) + r.accExtra);
    return parseEngineConfig({
      P: r.P, N: r.N, gBits: r.gBits, wBits: r.wBits, aBits: r.aBits, accBits,
      rMax: 64, kMax: r.kMax, queueDepth: 4, maxOutstanding: 2, axiDataBits: 64, axiAddrBits: 32, skipping: r.skipping,
    });
  });

/** Signed `bits` values: the extremes, zero, ±1 and anything in range. */
export function signedValue(bits: number): fc.Arbitrary<number> {
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  return fc.oneof(fc.constantFrom(lo, hi, 0, 1, -1), fc.integer({ min: lo, max: hi }));
}

export function theta(bits: number): fc.Arbitrary<number> {
  return fc.oneof(fc.constantFrom(0, 1, 2 ** (bits - 1), 2 ** (bits - 1) + 1, 2 ** bits - 1), fc.integer({ min: 0, max: 2 ** bits - 1 }));
}

export function int32s(n: number, v: fc.Arbitrary<number>): fc.Arbitrary<Int32Array> {
  return fc.array(v, { minLength: n, maxLength: n }).map((a) => Int32Array.from(a));
}

export interface Case {
  cfg: EngineConfig;
  p: EngineProblem;
}

/** A problem for `cfg`; K may exceed kMax (tiling) and R may reach rMax's neighbourhood of small sizes. */
export function problem(cfg: EngineConfig, maxR = 12, maxK = 30, maxS = 4): fc.Arbitrary<EngineProblem> {
  return fc
    .record({ R: fc.integer({ min: 1, max: maxR }), K: fc.integer({ min: 1, max: maxK }), S: fc.integer({ min: 1, max: maxS }) })
    .chain(({ R, K, S }) =>
      fc.record({
        R: fc.constant(R),
        K: fc.constant(K),
        S: fc.constant(S),
        // Sometimes one θ per vector (target-sparsity dumps), drawn from few values so runs repeat.
        theta: fc.oneof(theta(cfg.gBits), fc.array(fc.constantFrom(0, 1, 3, 2 ** (cfg.gBits - 1)), { minLength: S, maxLength: S })) as fc.Arbitrary<number | number[]>,
        g: int32s(S * R, signedValue(cfg.gBits)),
        W: int32s(R * K, signedValue(cfg.wBits)),
        a: int32s(S * K, signedValue(cfg.aBits)),
        G0: fc.option(
          fc.array(fc.bigInt({ min: -(1n << BigInt(cfg.accBits - 1)), max: (1n << BigInt(cfg.accBits - 1)) - 1n }), { minLength: R * K, maxLength: R * K }).map((a) => BigInt64Array.from(a)),
          { nil: undefined },
        ),
      }),
    );
}

export const caseArb: fc.Arbitrary<Case> = smallConfig.chain((cfg) => problem(cfg).map((p) => ({ cfg, p })));
