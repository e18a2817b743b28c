import { strict as assert } from 'node:assert';
import { mean, sd, tCdf, tQuantile, welchDf, welchInterval } from '../../golden/stats.ts';

/** Reference quantiles: the printed t table (integer df) and scipy.stats.t.ppf (non-integer df), to the digits given. */
const TABLE: Array<[p: number, df: number, t: number]> = [
  [0.975, 1, 12.706204736174694],
  [0.975, 2, 4.302652729749462],
  [0.975, 3, 3.1824463052837078],
  [0.975, 10, 2.228138851986274],
  [0.975, 30, 2.0422724563012378],
  [0.95, 3, 2.3533634348018233],
  [0.995, 5, 4.032142983555228],
  [0.999, 2, 22.327124770119866],
  [0.975, 2.5, 3.5746548420036817],
  [0.975, 4.7, 2.62072607535317],
  [0.9, 1.3, 2.425947410787918],
  [0.975, 1e6, 1.959966356814107],
];

describe('golden: statistics of the multi-seed verdict', () => {
  it('gives the t quantiles of the table and of scipy (integer and fractional df)', () => {
    for (const [p, df, t] of TABLE) {
      assert.ok(Math.abs(tQuantile(p, df) - t) < 1e-9 * t, `t_{${p}, ${df}}: got ${tQuantile(p, df)}, table ${t}`);
      assert.ok(Math.abs(tQuantile(1 - p, df) + t) < 1e-9 * t, 'symmetric');
      assert.ok(Math.abs(tCdf(t, df) - p) < 1e-9, `cdf(${t}; ${df}) = ${tCdf(t, df)}`);
    }
    // The normal limit.
    assert.ok(Math.abs(tQuantile(0.975, Infinity) - 1.959963985) < 1e-6);
  });

  it('a wrong quantile would be caught: the 95% normal value is not t_{0.975, 3}', () => {
    // Why the table test can fail: using z = 1.96 for small df (a common shortcut) is 38% off at df = 3.
    assert.ok(Math.abs(1.96 - TABLE[2]![2]) > 1e-9 * TABLE[2]![2]);
    assert.throws(() => tQuantile(1, 3), /quantile level/);
    assert.throws(() => tCdf(1, 0), /degrees of freedom/);
  });

  it('computes the Welch–Satterthwaite df as by hand', () => {
    // s_a² = 4, n_a = 3; s_b² = 1, n_b = 3: v = 4/3, 1/3; df = (5/3)² / ((16/9)/2 + (1/9)/2) = (25/9)/(17/18) = 50/17.
    assert.ok(Math.abs(welchDf(2, 3, 1, 3) - 50 / 17) < 1e-12);
    // Equal variances and sizes: df = 2(n − 1).
    assert.ok(Math.abs(welchDf(1, 5, 1, 5) - 8) < 1e-12);
    assert.equal(welchDf(0, 3, 0, 3), Infinity);
  });

  it('gives the interval scipy.stats.ttest_ind(equal_var=False) implies', () => {
    const a = [1.51, 1.6, 1.58, 1.7], b = [1.5, 1.52, 1.55];
    const w = welchInterval(a, b)!;
    assert.ok(Math.abs(w.df - 3.7727356104313814) < 1e-9, `df ${w.df}`);
    assert.ok(Math.abs(w.diff - 0.07416666666666671) < 1e-12);
    assert.ok(Math.abs(w.se - 0.04184130070211063) < 1e-12);
    // t statistic diff/se = 1.77257…, scipy's.
    assert.ok(Math.abs(w.diff / w.se - 1.772570771513455) < 1e-9);
    assert.ok(w.lo < 0 && w.hi > 0.19 && w.hi < 0.2);
    assert.equal(welchInterval([1], [1, 2]), null, 'one value: no interval');
  });

  it('mean and sample sd', () => {
    assert.equal(mean([1, 2, 3]), 2);
    assert.equal(sd([1, 2, 3]), 1);
    assert.equal(sd([5]), 0);
  });
});
