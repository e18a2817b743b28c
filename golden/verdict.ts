/**
 * The multi-seed table and the verdict on the paper's claim (docs/results/README.md
 * states the criterion):
 *
 * "No loss" at a setting means: validation bits per token within +2% of dense.
 * With the Welch 95% confidence interval [lo, hi] of mean(setting) − mean(dense)
 * over seeds, in bits per token, and m = 0.02 · mean(dense):
 *   - holds          hi ≤ m  (the loss is below the margin with 95% confidence)
 *   - does not hold  lo > m  (the loss exceeds the margin with 95% confidence)
 *   - cannot tell    otherwise, and whenever a run of the setting or of dense did
 *                    not converge (stopped by the budget, not on a plateau), or a
 *                    side has fewer than two seeds (no interval).
 * The paper's claim for a model (≥ 80% dz sparsity without loss) holds when a
 * setting with mean dz sparsity ≥ 80% holds; it does not hold when every such
 * setting does not hold; otherwise it cannot be told.
 */
import { mean, sd, welchInterval, type WelchInterval } from './stats.ts';
import { GATES } from './accounting.ts';

export const NO_LOSS_MARGIN = 0.02;
export const CLAIM_SPARSITY = 0.8;
export const CONFIDENCE = 0.95;

export type Verdict = 'holds' | 'does not hold' | 'cannot tell';

/** What one finished run contributes to the table. */
export interface RunResult {
  model: string;
  setting: string;
  seed: number;
  theta: number | null;
  targetSparsity: number | null;
  meanTheta: number;
  /** Validation bits per token (bpc for characters, bits per word for words): the best of the run. */
  validBits: number;
  converged: boolean;
  stopReason: string;
  steps: number;
  bestStep: number;
  /** dz sparsity after thresholding over the whole run: all, i, f, g, o. */
  sparsity: Record<string, number>;
  redundantMacFraction: number;
  wallSeconds: number;
  /** [step, all, i, f, g, o] between validations. */
  trajectory: number[][];
  /** [step, validation bits]. */
  validCurve: Array<[number, number]>;
}

export interface MeanSd {
  mean: number;
  sd: number;
}

export interface SettingSummary {
  model: string;
  setting: string;
  theta: number | null;
  targetSparsity: number | null;
  seeds: number[];
  converged: number;
  validBits: MeanSd;
  meanTheta: MeanSd;
  sparsity: Record<string, MeanSd>;
  redundantMacFraction: MeanSd;
  wallSeconds: MeanSd;
  /** Mean ± sd over the seeds that reached each step: [step, mean, sd, n] per quantity. */
  trajectory: Array<{ step: number; n: number; all: MeanSd; gates: Record<string, MeanSd> }>;
  validCurve: Array<{ step: number; n: number; bits: MeanSd }>;
  /** Against dense (null for dense itself). */
  vsDense: null | {
    /** Relative difference of means, (mean − dense) / dense. */
    change: number;
    /** Welch interval of the difference in bits (null with fewer than two seeds on a side). */
    interval: WelchInterval | null;
    /** The interval relative to the dense mean. */
    changeLo: number | null;
    changeHi: number | null;
    verdict: Verdict;
    why: string;
  };
}

export interface ModelVerdict {
  model: string;
  verdict: Verdict;
  text: string;
}

const ms = (xs: number[]): MeanSd => ({ mean: mean(xs), sd: sd(xs) });

/** Mean ± sd at each step, over the runs that reached it. */
function alignByStep<T>(runs: RunResult[], rows: (r: RunResult) => Array<[number, T]>): Map<number, T[]> {
  const by = new Map<number, T[]>();
  for (const r of runs) for (const [step, v] of rows(r)) by.set(step, [...(by.get(step) ?? []), v]);
  return new Map([...by.entries()].sort((a, b) => a[0] - b[0]));
}

export function summariseSetting(runs: RunResult[], dense: RunResult[] | null): SettingSummary {
  const r0 = runs[0]!;
  const traj = alignByStep(runs, (r) => r.trajectory.map((t) => [t[0]!, t] as [number, number[]]));
  const curve = alignByStep(runs, (r) => r.validCurve);
  const s: SettingSummary = {
    model: r0.model, setting: r0.setting, theta: r0.theta, targetSparsity: r0.targetSparsity,
    seeds: runs.map((r) => r.seed),
    converged: runs.filter((r) => r.converged).length,
    validBits: ms(runs.map((r) => r.validBits)),
    meanTheta: ms(runs.map((r) => r.meanTheta)),
    sparsity: Object.fromEntries(['all', ...GATES].map((g) => [g, ms(runs.map((r) => r.sparsity[g] ?? 0))])),
    redundantMacFraction: ms(runs.map((r) => r.redundantMacFraction)),
    wallSeconds: ms(runs.map((r) => r.wallSeconds)),
    trajectory: [...traj.entries()].map(([step, rows]) => ({
      step, n: rows.length, all: ms(rows.map((t) => t[1]!)),
      gates: Object.fromEntries(GATES.map((g, k) => [g, ms(rows.map((t) => t[2 + k]!))])),
    })),
    validCurve: [...curve.entries()].map(([step, v]) => ({ step, n: v.length, bits: ms(v) })),
    vsDense: null,
  };
  if (dense && dense !== runs) s.vsDense = compareToDense(runs, dense);
  return s;
}

export function compareToDense(runs: RunResult[], dense: RunResult[]): NonNullable<SettingSummary['vsDense']> {
  const a = runs.map((r) => r.validBits), b = dense.map((r) => r.validBits);
  const denseMean = mean(b);
  const interval = welchInterval(a, b, CONFIDENCE);
  const change = (mean(a) - denseMean) / denseMean;
  const base = { change, interval, changeLo: interval ? interval.lo / denseMean : null, changeHi: interval ? interval.hi / denseMean : null };
  const notConverged = [...runs, ...dense].filter((r) => !r.converged);
  if (notConverged.length) {
    return { ...base, verdict: 'cannot tell', why: `${notConverged.length} run(s) stopped at the budget before converging (${notConverged.map((r) => `${r.setting} seed ${r.seed}`).join(', ')})` };
  }
  if (!interval) return { ...base, verdict: 'cannot tell', why: `fewer than two seeds (${runs.length} here, ${dense.length} dense): no confidence interval` };
  const margin = NO_LOSS_MARGIN * denseMean;
  if (interval.hi <= margin) return { ...base, verdict: 'holds', why: `the ${pctS(CONFIDENCE)} interval's upper end ${signedPct(base.changeHi!)} is within +${pctS(NO_LOSS_MARGIN)}` };
  if (interval.lo > margin) return { ...base, verdict: 'does not hold', why: `the ${pctS(CONFIDENCE)} interval's lower end ${signedPct(base.changeLo!)} is above +${pctS(NO_LOSS_MARGIN)}` };
  return { ...base, verdict: 'cannot tell', why: `the ${pctS(CONFIDENCE)} interval [${signedPct(base.changeLo!)}, ${signedPct(base.changeHi!)}] straddles +${pctS(NO_LOSS_MARGIN)}` };
}

const pctS = (x: number) => `${Math.round(100 * x)}%`;
export const signedPct = (x: number, digits = 2) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(digits)}%`;

/** The claim for one model, from its settings' verdicts. */
export function modelVerdict(model: string, settings: SettingSummary[]): ModelVerdict {
  const sparse = settings.filter((s) => s.vsDense && s.sparsity.all!.mean >= CLAIM_SPARSITY);
  const holding = sparse.filter((s) => s.vsDense!.verdict === 'holds');
  if (holding.length) {
    return { model, verdict: 'holds', text: `The claim holds for ${model}: ${holding.map((s) => `${s.setting} (${(100 * s.sparsity.all!.mean).toFixed(1)}% dz sparsity, ${signedPct(s.vsDense!.change)} bits, 95% CI [${signedPct(s.vsDense!.changeLo!)}, ${signedPct(s.vsDense!.changeHi!)}])`).join('; ')}.` };
  }
  if (sparse.length && sparse.every((s) => s.vsDense!.verdict === 'does not hold')) {
    return { model, verdict: 'does not hold', text: `The claim does not hold for ${model}: every setting with ≥ 80% dz sparsity loses more than ${pctS(NO_LOSS_MARGIN)} against dense with 95% confidence.` };
  }
  const reasons = sparse.map((s) => `${s.setting}: ${s.vsDense!.why}`);
  return { model, verdict: 'cannot tell', text: `Cannot tell for ${model} whether the claim holds${reasons.length ? ` (${reasons.join('; ')})` : ': no setting reached 80% dz sparsity'}.` };
}
