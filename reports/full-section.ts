/**
 * The report's section on the paper's claim at convergence, from
 * `reproduce --full` (reproduce-full.json): per model the verdict, validation
 * and dz-sparsity curves as mean ± sd bands over seeds, the loss against
 * dense with confidence intervals, and the table.
 *
 * The page says "The claim holds" only when the file supports it: a
 * converged, multi-seed, non-quick sweep whose verdict is "holds" (checked
 * again here, so a hand-edited or older file cannot make the page claim more
 * than its runs show).
 */
import type { FullJson, Found } from './inputs.ts';
import { esc, linePlot, PALETTE, type Series } from './svg.ts';

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(2)}%`;
const GATES = ['i', 'f', 'g', 'o'];

export interface FullSection {
  body: string;
  plots: number;
}

type Setting = FullJson['settings'][number];

/** Why the page may not state a claim for this model from this file ('' when it may). */
export function claimBlocker(full: FullJson, model: string): string {
  if (full.options.quick) return 'these are --quick runs (tiny models), not the experiment';
  if (full.complete === false) return `a partial sweep (${full.runs.length} of ${full.runsPlanned ?? '?'} runs finished): a progress note`;
  const runs = full.runs.filter((r) => r.model === model);
  const seeds = new Set(runs.map((r) => r.seed)).size;
  if (seeds < 2) return `${seeds} seed: no confidence interval`;
  const open = runs.filter((r) => !r.converged).length;
  if (open) return `${open} of ${runs.length} runs stopped at the budget before converging`;
  return '';
}

function colorOf(i: number, s: Setting): string {
  return s.setting === 'dense' ? PALETTE[6]! : PALETTE[i % 6]!;
}

function modelSection(f: Found<FullJson>, model: FullJson['models'][number]): FullSection {
  const full = f.data;
  const settings = full.settings.filter((s) => s.model === model.id);
  const verdict = full.verdicts.find((v) => v.model === model.id);
  const blocker = claimBlocker(full, model.id);
  const runs = full.runs.filter((r) => r.model === model.id);
  const converged = runs.filter((r) => r.converged).length;
  const basis = `${new Set(runs.map((r) => r.seed)).size} seed(s) per setting; ${converged} of ${runs.length} runs converged (stopped on a plateau)`;
  let verdictHtml: string;
  if (verdict?.verdict === 'holds' && !blocker) verdictHtml = `<p class="verdict ok">${esc(verdict.text)} <span class="dim">(${esc(basis)})</span></p>`;
  else if (verdict?.verdict === 'does not hold' && !blocker) verdictHtml = `<p class="verdict bad">${esc(verdict.text)} <span class="dim">(${esc(basis)})</span></p>`;
  else verdictHtml = `<p class="verdict warn">No claim is made for ${esc(model.id)}: ${esc(blocker || (verdict?.text ?? 'no verdict in the file'))} <span class="dim">(${esc(basis)})</span></p>`;

  const unit = model.id.startsWith('word') ? 'bits per word' : 'bits per character';
  const valid = linePlot({
    id: `plot-full-valid-${model.id}`,
    title: `Validation ${unit} over training (${model.id})`,
    xLabel: 'step',
    yLabel: unit,
    series: settings.map((s, i) => ({
      name: s.setting,
      points: s.validCurve.map((p) => [p.step, p.bits.mean] as [number, number]),
      band: s.validCurve.map((p) => [p.step, p.bits.mean - p.bits.sd, p.bits.mean + p.bits.sd] as [number, number, number]),
      style: 'line' as const, color: colorOf(i, s), dashed: s.setting !== 'dense',
    })),
  });
  const traj = linePlot({
    id: `plot-full-sparsity-${model.id}`,
    title: `dz sparsity over training (${model.id})`,
    xLabel: 'step',
    yLabel: 'dz sparsity since the last validation (%)',
    series: settings.filter((s) => s.setting !== 'dense').map((s, i) => ({
      name: s.setting,
      points: s.trajectory.map((t) => [t.step, 100 * t.all.mean] as [number, number]),
      band: s.trajectory.map((t) => [t.step, 100 * (t.all.mean - t.all.sd), 100 * (t.all.mean + t.all.sd)] as [number, number, number]),
      style: 'line' as const, color: PALETTE[(i + 1) % 6]!,
    })),
    yInclude: [0, 100],
    yLimits: [0, 100],
    refLines: [{ axis: 'y', value: 80, label: 'paper: ≥ 80%' }],
  });
  const sparse = settings.filter((s) => s.vsDense);
  const loss = linePlot({
    id: `plot-full-loss-${model.id}`,
    title: `Loss against dense vs dz sparsity (${model.id})`,
    xLabel: 'dz sparsity over the run (%)',
    yLabel: `validation ${unit} vs dense (%)`,
    series: sparse.map((s, i): Series => ({
      name: s.setting,
      points: [[100 * s.sparsity.all!.mean, 100 * s.vsDense!.change]],
      errorBars: s.vsDense!.changeLo !== null ? [[100 * s.sparsity.all!.mean, 100 * s.vsDense!.changeLo!, 100 * s.vsDense!.changeHi!]] : [],
      style: 'points', color: PALETTE[(i + 1) % 6]!,
    })),
    xInclude: [0, 100],
    xLimits: [0, 100],
    yInclude: [0, 100 * full.criterion.margin + 0.5],
    refLines: [
      { axis: 'x', value: 100 * full.criterion.claimSparsity, label: '80% sparsity' },
      { axis: 'y', value: 100 * full.criterion.margin, label: `+${Math.round(100 * full.criterion.margin)}%` },
    ],
  });
  const rows = settings.map((s) => [
    esc(s.setting),
    s.theta === null ? `${s.meanTheta.mean.toExponential(2)} (mean)` : String(s.theta),
    `${s.converged}/${s.seeds.length}`,
    `${s.validBits.mean.toFixed(4)} ± ${s.validBits.sd.toFixed(4)}`,
    s.vsDense ? `${signed(s.vsDense.change)}${s.vsDense.changeLo !== null ? ` [${signed(s.vsDense.changeLo)}, ${signed(s.vsDense.changeHi!)}]` : ''}` : '—',
    `${pct(s.sparsity.all!.mean)} ± ${pct(s.sparsity.all!.sd)}`,
    ...GATES.map((g) => pct(s.sparsity[g]?.mean ?? 0)),
    `${pct(s.redundantMacFraction.mean)} ± ${pct(s.redundantMacFraction.sd)}`,
    `${s.wallSeconds.mean.toFixed(0)} ± ${s.wallSeconds.sd.toFixed(0)}`,
    s.vsDense ? esc(s.vsDense.verdict) : '—',
  ]);
  const table = `<table><thead><tr>${['setting', 'θ', 'converged', unit, `Δ vs dense [${Math.round(100 * full.criterion.confidence)}% CI]`, 'dz all', 'dz i', 'dz f', 'dz g', 'dz o', 'MACs redundant', 'wall (s)', 'verdict'].map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  const fig = (svg: string, cap: string) => `<figure class="plot-figure">${svg}<figcaption>${cap}</figcaption></figure>`;
  const body = [
    `<h3>${esc(model.id)}: ${esc(model.title)}</h3>`,
    verdictHtml,
    fig(valid, 'Mean over seeds; the band is ± one standard deviation. Each run stops on its own plateau, so late steps average fewer seeds.'),
    fig(traj, 'Share of dz zeroed by the threshold between consecutive validations, mean ± sd over seeds.'),
    fig(loss, `Each setting's mean dz sparsity against its validation loss relative to dense; the bars are the Welch ${Math.round(100 * full.criterion.confidence)}% confidence interval over seeds. "No loss" holds where the whole bar is below the +${Math.round(100 * full.criterion.margin)}% line.`),
    table,
  ].join('\n');
  return { body, plots: 3 };
}

export function fullSectionBody(f: Found<FullJson>): FullSection {
  const parts = f.data.models.map((m) => modelSection(f, m));
  const crit = f.data.criterion;
  const intro = `<p>Criterion: for each setting, the Welch ${Math.round(100 * crit.confidence)}% confidence interval of its mean validation loss (bits per token) minus dense's, over seeds. "Holds" when the interval's upper end is within +${Math.round(100 * crit.margin)}% of dense, "does not hold" when its lower end is above that, else "cannot tell"; never "holds" unless every run converged. The paper's claim needs such a setting at ≥ ${Math.round(100 * crit.claimSparsity)}% dz sparsity.</p>`;
  return { body: [intro, ...parts.map((p) => p.body), `<p class="sources">From <code>${esc(f.file)}</code>.</p>`].join('\n'), plots: parts.reduce((a, p) => a + p.plots, 0) };
}
