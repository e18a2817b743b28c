/**
 * The statistics of the multi-seed verdict: mean and sample standard
 * deviation, Student's t distribution (CDF and quantile for any real df > 0),
 * and Welch's confidence interval for a difference of two means with the
 * Welch–Satterthwaite degrees of freedom. No dependency: the t CDF is the
 * regularized incomplete beta function (continued fraction, as in Numerical
 * Recipes §6.4), the quantile is found by bisection on it, so it is exact to
 * ~1e-12 for every df a seed count can give (a table holds only integer df).
 */

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, x) => a + x, 0) / xs.length;
}

/** Sample standard deviation (n − 1 in the denominator); 0 for a single value. */
export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error < 1e-14). */
export function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1, d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d; if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d; h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d; if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) return h;
  }
  return h;
}

/**
 * The regularized incomplete beta function I_x(a, b); `y` = 1 − x, passed when
 * the caller has it exactly (x near 1 loses digits in 1 − x).
 */
export function incompleteBeta(x: number, a: number, b: number, y = 1 - x): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(y));
  // The fraction converges fast only on this side of the mean; use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) otherwise.
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, y)) / b;
}

/** P(T ≤ t) for Student's t with df > 0 degrees of freedom. */
export function tCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be > 0, got ${df}`);
  // df = ∞ is the normal distribution; df = 1e7 is within 3e-7 of it at the 95% quantile (larger df lose
  // digits in the difference of ln Γ values).
  if (df > 1e7) df = 1e7;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5, (t * t) / (df + t * t));
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t (0 < p < 1, df > 0): the t with tCdf(t, df) = p. */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`quantile level must be in (0, 1), got ${p}`);
  if (p < 0.5) return -tQuantile(1 - p, df);
  if (p === 0.5) return 0;
  let lo = 0, hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface WelchInterval {
  /** mean(a) − mean(b). */
  diff: number;
  /** Standard error of the difference, √(s_a²/n_a + s_b²/n_b). */
  se: number;
  /** Welch–Satterthwaite degrees of freedom (Infinity when both samples have zero spread). */
  df: number;
  level: number;
  lo: number;
  hi: number;
}

/** Welch–Satterthwaite df: (v_a + v_b)² / (v_a²/(n_a−1) + v_b²/(n_b−1)) with v = s²/n. */
export function welchDf(sa: number, na: number, sb: number, nb: number): number {
  const va = (sa * sa) / na, vb = (sb * sb) / nb;
  const den = (na > 1 ? (va * va) / (na - 1) : 0) + (nb > 1 ? (vb * vb) / (nb - 1) : 0);
  return den === 0 ? Infinity : (va + vb) ** 2 / den;
}

/**
 * Two-sided `level` confidence interval for mean(a) − mean(b) by Welch's t;
 * null when either sample has fewer than two values (no spread, no interval).
 */
export function welchInterval(a: readonly number[], b: readonly number[], level = 0.95): WelchInterval | null {
  if (a.length < 2 || b.length < 2) return null;
  const sa = sd(a), sb = sd(b);
  const diff = mean(a) - mean(b);
  const se = Math.sqrt((sa * sa) / a.length + (sb * sb) / b.length);
  const df = welchDf(sa, a.length, sb, b.length);
  const half = se === 0 ? 0 : tQuantile(1 - (1 - level) / 2, df) * se;
  return { diff, se, df, level, lo: diff - half, hi: diff + half };
}
