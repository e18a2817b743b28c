/**
 * An independent, deliberately plain bigint implementation of the engine
 * contract (docs/ARCHITECTURE.md), written from the contract text rather than
 * from golden/engine-model/model.ts, so the two can check each other.
 */
export interface NaiveCfg {
  gBits: number;
  accBits: number;
  skipping: boolean;
}

function sat(v: bigint, accBits: number): bigint {
  const max = (1n << BigInt(accBits - 1)) - 1n;
  const min = -(1n << BigInt(accBits - 1));
  return v > max ? max : v < min ? min : v;
}

type Theta = number | ArrayLike<number>;
const th = (t: Theta, s: number): number => (typeof t === 'number' ? t : t[s]!);

/** |g| as an unsigned number compared with θ. */
function thr(g: number, theta: number): bigint {
  const mag = g < 0 ? -BigInt(g) : BigInt(g);
  return mag < BigInt(theta) ? 0n : BigInt(g);
}

export function naiveData(c: NaiveCfg, g: Int32Array, W: Int32Array, R: number, K: number, S: number, theta: Theta): BigInt64Array {
  const y = new BigInt64Array(S * K);
  for (let s = 0; s < S; s++) {
    for (let k = 0; k < K; k++) {
      let acc = 0n;
      for (let j = 0; j < R; j++) acc = sat(acc + thr(g[s * R + j]!, th(theta, s)) * BigInt(W[j * K + k]!), c.accBits);
      y[s * K + k] = acc;
    }
  }
  return y;
}

export function naiveWeight(c: NaiveCfg, g: Int32Array, a: Int32Array, R: number, K: number, S: number, theta: Theta, G0?: BigInt64Array): BigInt64Array {
  const G = G0 ? BigInt64Array.from(G0) : new BigInt64Array(R * K);
  for (let s = 0; s < S; s++) {
    for (let j = 0; j < R; j++) {
      const gj = thr(g[s * R + j]!, th(theta, s));
      if (gj === 0n) continue;
      for (let k = 0; k < K; k++) G[j * K + k] = sat(G[j * K + k]! + gj * BigInt(a[s * K + k]!), c.accBits);
    }
  }
  return G;
}

/** Whole-layer counters summed over `tiles` column tiles of widths `cols`. */
export function naiveCounters(c: NaiveCfg, g: Int32Array, R: number, S: number, theta: Theta, cols: number[]) {
  let nnz = 0;
  for (let i = 0; i < S * R; i++) if (thr(g[i]!, th(theta, Math.floor(i / R))) !== 0n) nnz++;
  const K = cols.reduce((a, b) => a + b, 0);
  const tiles = cols.length;
  const zeros = S * R - nnz;
  return {
    nonzeros: nnz * tiles,
    zeros: zeros * tiles,
    macsIssued: c.skipping ? nnz * K : S * R * K,
    macsSkipped: c.skipping ? zeros * K : 0,
    rowsFetched: (c.skipping ? nnz : S * R) * tiles,
  };
}
