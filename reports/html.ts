/**
 * The study report: one self-contained HTML page (inline CSS, inline SVG, a
 * few lines of inline script, no network). Each section draws from the
 * outputs it needs; when they are missing, the section says which command
 * produces them instead of drawing an empty plot.
 */
import type { CosimJson, FpgaJson, Found, ReproduceJson, StudyInputs, TrainJson } from './inputs.ts';
import { barChart, esc, linePlot, PALETTE, type Series } from './svg.ts';
import { fullSectionBody } from './full-section.ts';

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
const GATES = ['i', 'f', 'g', 'o'];

interface Section {
  id: string;
  title: string;
  body: string;
  /** Plots drawn in this section (for the summary and the drawn-check). */
  plots: number;
  missing?: string;
}

function figure(svg: string, caption: string): string {
  return `<figure class="plot-figure">${svg}<figcaption>${caption}</figcaption></figure>`;
}

function missing(what: string, how: string): string {
  return `<div class="missing"><strong>Not drawn: no ${what} found.</strong> Produce it with <code>${esc(how)}</code>, keeping the output under the results folder, then run <code>sparsegrad report</code> again.</div>`;
}

function table(head: string[], rows: string[][]): string {
  return `<table class="data"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function sources(files: string[]): string {
  return `<p class="sources">From ${files.map((f) => `<code>${esc(f)}</code>`).join(', ')}.</p>`;
}

/** The reproduce run the report plots: the last one found (sorted paths make that deterministic). */
function latest<T>(xs: Found<T>[]): Found<T> | undefined {
  return xs[xs.length - 1];
}

function claimSection(inp: StudyInputs): Section {
  const title = "The paper's claim at convergence (several seeds)";
  const full = latest(inp.full);
  if (!full) return { id: 'claim', title, plots: 0, body: missing('reproduce-full.json', 'sparsegrad reproduce --full --out results/full'), missing: 'reproduce-full.json' };
  const { body, plots } = fullSectionBody(full);
  return { id: 'claim', title, plots, body };
}

/**
 * The verdict line of a single-seed, fixed-budget reproduce.json: what the run
 * showed, never "the claim holds" (older files said so; their text is not shown).
 */
function indicativeVerdict(rep: ReproduceJson): string {
  const dense = rep.runs.find((r) => r.theta === 0);
  const within = rep.runs.filter((r) => r !== dense && r.sparsity.all !== undefined && r.sparsity.all >= 0.8 && r.bpcChange <= 0.02);
  return `Indicative only, not a claim (one seed at a fixed budget, not trained to convergence; the claim is judged from reproduce --full above): ` +
    (within.length ? `${within.map((r) => r.name).join(', ')} reached ≥ 80% dz sparsity within +2% of dense bpc in this run.` : 'no run reached ≥ 80% dz sparsity within +2% of dense bpc in this run.');
}

function sparsitySection(inp: StudyInputs): Section {
  const rep = latest(inp.reproduce);
  const title = 'dz sparsity against the threshold θ';
  if (!rep) return { id: 'sparsity', title, plots: 0, body: missing('reproduce.json', 'sparsegrad reproduce --out results/reproduce'), missing: 'reproduce.json' };
  const runs = rep.data.runs;
  const fixed = runs.filter((r) => r.theta !== null && r.theta > 0);
  const target = runs.filter((r) => r.theta === null && r.meanTheta > 0);
  const dense = runs.find((r) => r.theta === 0);
  const series: Series[] = [
    { name: 'all gates', points: fixed.map((r) => [r.theta!, 100 * (r.sparsity.all ?? 0)]), style: 'both', color: PALETTE[6] },
    ...GATES.map((g, i) => ({ name: `gate ${g}`, points: fixed.map((r) => [r.theta!, 100 * (r.sparsity[g] ?? 0)] as [number, number]), style: 'both' as const, dashed: true, color: PALETTE[i] })),
  ];
  if (target.length) series.push({ name: 'target-sparsity runs (mean θ)', points: target.map((r) => [r.meanTheta, 100 * (r.sparsity.all ?? 0)]), style: 'points', color: PALETTE[4] });
  const plot = linePlot({
    id: 'plot-sparsity-theta',
    title: 'dz sparsity after thresholding vs θ',
    xLabel: 'threshold θ (log scale)',
    yLabel: 'dz sparsity (%)',
    xScale: 'log',
    series,
    yInclude: [0, 100],
    yLimits: [0, 100],
    refLines: [{ axis: 'y', value: 80, label: 'paper: ≥ 80%' }],
  });
  const bpc = linePlot({
    id: 'plot-bpc-sparsity',
    title: 'Validation bpc change vs dz sparsity',
    xLabel: 'dz sparsity (%)',
    yLabel: 'validation bpc vs dense (%)',
    series: runs
      .filter((r) => r !== dense)
      .map((r, i) => ({ name: r.name, points: [[100 * (r.sparsity.all ?? 0), 100 * r.bpcChange]] as Array<[number, number]>, style: 'points' as const, color: PALETTE[i % PALETTE.length] })),
    xInclude: [0, 100],
    xLimits: [0, 100],
    yInclude: [0, 2.5],
    refLines: [
      { axis: 'x', value: 80, label: '80% sparsity' },
      { axis: 'y', value: 2, label: '+2% bpc' },
    ],
  });
  const rows = runs.map((r) => [
    esc(r.name),
    r.theta === null ? `${r.meanTheta.toExponential(2)} (mean)` : String(r.theta),
    r.validBpc.toFixed(4),
    r === dense ? '—' : `${(100 * r.bpcChange).toFixed(2)}%`,
    ...GATES.map((g) => pct(r.sparsity[g] ?? 0)),
    pct(r.sparsity.all ?? 0),
    pct(r.redundantMacFraction),
  ]);
  const body = [
    `<p class="verdict dim">${esc(indicativeVerdict(rep.data))}</p>`,
    figure(plot, `Share of linear gate gradients dz that are exactly zero after thresholding, per gate and overall, over the fixed-θ runs${target.length ? '; target-sparsity runs are placed at their mean θ' : ''}. The dense run (θ = 0) has no place on a log axis: its sparsity is ${dense ? pct(dense.sparsity.all ?? 0) : 'not in this file'}.`),
    figure(bpc, 'Each thresholded run: how much validation bits-per-character it gives up against the dense baseline, against the sparsity it reaches. The paper\'s claim is the lower-right corner: ≥ 80% sparsity within +2% bpc.'),
    table(['run', 'θ', 'valid bpc', 'Δ bpc', 'dz i', 'dz f', 'dz g', 'dz o', 'dz all', 'MACs redundant'], rows),
    sources([rep.file]),
  ].join('\n');
  return { id: 'sparsity', title, plots: 2, body };
}

/** Trailing mean over `w` steps: training loss per step is too noisy to compare runs by eye. */
function smooth(points: Array<[number, number]>, w: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    sum += points[i]![1];
    if (i >= w) sum -= points[i - w]![1];
    out.push([points[i]![0], sum / Math.min(i + 1, w)]);
  }
  return out;
}

interface Curve {
  name: string;
  dense: boolean;
  train: Array<[number, number]>;
  valid: Array<[number, number]>;
  file: string;
}

function curves(inp: StudyInputs): Curve[] {
  const rep = latest(inp.reproduce);
  const fromRep: Curve[] = (rep?.data.runs ?? [])
    .filter((r) => r.trainLoss && r.trainLoss.length)
    .map((r) => ({ name: r.name, dense: r.theta === 0, train: r.trainLoss!, valid: (r.validation ?? []).map((v) => [v[0], v[1]] as [number, number]), file: rep!.file }));
  if (fromRep.length) return fromRep;
  return inp.train.map((t: Found<TrainJson>) => {
    const m = t.data.thresholdMode;
    const dense = m.kind !== 'target' && (m.theta ?? 0) === 0;
    const name = dense ? 'dense (θ = 0)' : m.kind === 'target' ? `target sparsity ${m.targetSparsity}` : `θ = ${m.theta}`;
    return { name: `${name} — ${t.file}`, dense, train: t.data.trainLoss, valid: t.data.validation.map((v) => [v[0], v[1]] as [number, number]), file: t.file };
  });
}

function lossSection(inp: StudyInputs): Section {
  const title = 'Training and validation loss, dense vs sparsified';
  const cs = curves(inp);
  const how = 'sparsegrad train --threshold 0 --out results/train-dense  and  sparsegrad train --threshold θ --out results/train-sparse';
  if (cs.length === 0) return { id: 'loss', title, plots: 0, body: missing('training loss curves (train report.json)', how), missing: 'train report.json' };
  const note = cs.some((c) => c.dense) ? '' : '<p class="warn">No dense run (θ = 0) among the curves: add one to compare against.</p>';
  const window = Math.max(1, Math.round(Math.max(...cs.map((c) => c.train.length)) / 40));
  const color = (i: number, c: Curve) => (c.dense ? PALETTE[6] : PALETTE[i % 6]);
  const train = linePlot({
    id: 'plot-train-loss',
    title: 'Training loss',
    xLabel: 'step',
    yLabel: 'loss (nats / char)',
    series: cs.map((c, i) => ({ name: c.name, points: smooth(c.train, window), style: 'line' as const, color: color(i, c), dashed: !c.dense })),
  });
  const withValid = cs.filter((c) => c.valid.length > 0);
  const parts = [note, figure(train, `Mean cross-entropy per character of each training batch, smoothed over ${window} step(s); dense in black, thresholded runs dashed.`)];
  let plots = 1;
  if (withValid.length) {
    parts.push(
      figure(
        linePlot({
          id: 'plot-valid-loss',
          title: 'Validation loss',
          xLabel: 'step',
          yLabel: 'loss (nats / char)',
          series: withValid.map((c, i) => ({ name: c.name, points: c.valid, style: 'both' as const, color: color(i, c), dashed: !c.dense })),
        }),
        'Cross-entropy on the held-out 10% of the corpus at each evaluation.',
      ),
    );
    plots++;
  } else parts.push('<p class="warn">These runs recorded no validation points.</p>');
  parts.push(sources([...new Set(cs.map((c) => c.file))]));
  return { id: 'loss', title, plots, body: parts.join('\n') };
}

interface CyclePoint {
  sparsity: number;
  sparse: number;
  dense: number | null;
  ideal: number;
  mode: string;
  file: string;
  pass: boolean;
  efficiency: number;
}

function cyclePoints(cosim: Found<CosimJson>[]): CyclePoint[] {
  const out: CyclePoint[] = [];
  for (const c of cosim) {
    const runs = c.data.runs ?? [];
    const modes = [...new Set(runs.map((r) => r.mode))];
    if (modes.length > 1) {
      // Per mode: the same stimulus, so the same sparsity; cycles summed over the mode's runs.
      for (const m of modes) {
        const sum = (engine: string, f: (r: (typeof runs)[number]) => number) => runs.filter((r) => r.mode === m && r.engine === engine).reduce((s, r) => s + f(r), 0);
        const dense = runs.some((r) => r.mode === m && r.engine === 'dense') ? sum('dense', (r) => r.cycles) : null;
        const sparse = sum('sparse', (r) => r.cycles);
        const ideal = sum('sparse', (r) => r.idealCycles);
        out.push({ sparsity: c.data.sparsity, sparse, dense, ideal, mode: m, file: c.file, pass: c.data.pass, efficiency: sparse ? ideal / sparse : 0 });
      }
    } else {
      out.push({ sparsity: c.data.sparsity, sparse: c.data.cycles, dense: c.data.denseCycles, ideal: c.data.idealCycles, mode: c.data.mode, file: c.file, pass: c.data.pass, efficiency: c.data.efficiency });
    }
  }
  return out.sort((a, b) => a.sparsity - b.sparsity || (a.mode < b.mode ? -1 : 1));
}

function cyclesSection(inp: StudyInputs): Section {
  const title = 'Engine cycles against gradient sparsity';
  const pts = cyclePoints(inp.cosim);
  if (pts.length === 0) return { id: 'cycles', title, plots: 0, body: missing('cosim-report.json', 'sparsegrad cosim --out results/cosim-<n>  (one run per stream or θ)'), missing: 'cosim-report.json' };
  const modes = [...new Set(pts.map((p) => p.mode))];
  const series: Series[] = [];
  modes.forEach((m, i) => {
    const mp = pts.filter((p) => p.mode === m);
    const tag = modes.length > 1 ? ` (${m})` : '';
    series.push({ name: `sparse engine${tag}`, points: mp.map((p) => [100 * p.sparsity, p.sparse]), style: 'both', color: PALETTE[i * 3] });
    const d = mp.filter((p) => p.dense !== null);
    if (d.length) series.push({ name: `dense baseline${tag}`, points: d.map((p) => [100 * p.sparsity, p.dense!]), style: 'both', dashed: true, color: PALETTE[i * 3 + 1] });
    series.push({ name: `ideal bound${tag}`, points: mp.map((p) => [100 * p.sparsity, p.ideal]), style: 'line', dashed: true, color: PALETTE[i * 3 + 2] });
  });
  const plot = linePlot({ id: 'plot-cycles-sparsity', title: 'Busy cycles vs dz sparsity', xLabel: 'dz sparsity of the stream (%)', yLabel: 'cycles', series, yInclude: [0], xLimits: [0, 100] });
  const rows = pts.map((p) => [
    esc(p.file),
    esc(p.mode),
    pct(p.sparsity),
    String(p.sparse),
    p.dense === null ? '—' : String(p.dense),
    String(p.ideal),
    p.dense === null ? '—' : `${(p.dense / p.sparse).toFixed(2)}×`,
    p.efficiency.toFixed(3),
    p.pass ? 'pass' : '<strong>FAIL</strong>',
  ]);
  const lone = pts.length === 1 ? '<p class="warn">A single stream gives a single point per series: run cosim on streams of several sparsities (several θ) to see the trend.</p>' : '';
  const body = [
    lone,
    figure(plot, 'Cycles with BUSY set, measured in Verilator co-simulation, for the zero-skipping engine and the dense baseline (which visits every row), with the ideal bound Σ max(nnz·⌈K/N⌉, ⌈R/P⌉) + latency. Efficiency = ideal / measured.'),
    table(['cosim report', 'mode', 'sparsity', 'sparse cycles', 'dense cycles', 'ideal', 'speedup', 'efficiency', 'bit-exact'], rows),
    sources([...new Set(pts.map((p) => p.file))]),
  ].join('\n');
  return { id: 'cycles', title, plots: 1, body };
}

function energySection(inp: StudyInputs): Section {
  const title = 'Energy: sparse engine vs dense baseline';
  const reports = inp.cosim.filter((c) => c.data.energy).sort((a, b) => a.data.sparsity - b.data.sparsity);
  if (reports.length === 0) return { id: 'energy', title, plots: 0, body: missing('cosim-report.json with energy', 'sparsegrad cosim --out results/cosim-<n>  (energy per step is in every report; docs/energy.md)'), missing: 'cosim energy' };
  const en = (c: (typeof reports)[number]) => c.data.energy!;
  const withDense = reports.filter((c) => en(c).ratio !== null);
  const series: Series[] = [];
  if (withDense.length) {
    series.push({ name: 'energy ratio (dense / sparse)', points: withDense.map((c) => [100 * c.data.sparsity, en(c).ratio!]), style: 'both', color: PALETTE[0] });
    const sp = withDense.filter((c) => c.data.speedup != null);
    if (sp.length) series.push({ name: 'cycle speedup', points: sp.map((c) => [100 * c.data.sparsity, c.data.speedup!]), style: 'both', dashed: true, color: PALETTE[1] });
  }
  const plot = series.length ? linePlot({ id: 'plot-energy-sparsity', title: 'Energy ratio and speedup vs dz sparsity', xLabel: 'dz sparsity of the stream (%)', yLabel: 'dense ÷ sparse', series, yInclude: [0, 1], xLimits: [0, 100] }) : '';
  const fmt = (x: number, unit: string) => (unit === 'pJ' ? `${(x / 1e6).toPrecision(4)} µJ` : `${x.toPrecision(4)} ${esc(unit)}`);
  const rows = reports.map((c) => {
    const e = en(c);
    return [
      esc(c.file),
      pct(c.data.sparsity),
      esc(e.model),
      fmt(e.sparse.total, e.unit),
      e.dense ? fmt(e.dense.total, e.unit) : '—',
      e.ratio === null ? '—' : `${e.ratio.toFixed(2)}×`,
      c.data.speedup == null ? '—' : `${c.data.speedup.toFixed(2)}×`,
      pct(e.sparse.memoryShare),
      e.dense ? pct(e.dense.memoryShare) : '—',
    ];
  });
  const body = [
    plot ? figure(plot, 'Energy per training step of the layer (both modes), counts of actions measured in co-simulation times the energy table named in the report; the cycle speedup of the same runs beside it.') : '',
    table(['cosim report', 'sparsity', 'energy table', 'sparse / step', 'dense / step', 'energy ratio', 'speedup', 'DRAM share (sparse)', 'DRAM share (dense)'], rows),
    '<p>What is counted and what is not (static power, clock tree) is in docs/energy.md.</p>',
    sources(reports.map((c) => c.file)),
  ].join('\n');
  return { id: 'energy', title, plots: plot ? 1 : 0, body };
}

function areaSection(inp: StudyInputs): Section {
  const title = 'Area and Fmax: sparse engine vs dense baseline';
  if (inp.fpga.length === 0) return { id: 'area', title, plots: 0, body: missing('FPGA report.json', 'sparsegrad fpga --preset default --target ice40 --out results/fpga'), missing: 'fpga report.json' };
  const parts: string[] = [];
  let plots = 0;
  for (const f of inp.fpga) {
    const rep: FpgaJson = f.data;
    const rows = rep.results.map((r) => {
      const res = r.synth.resources;
      const cap = r.synth.capacity;
      const of = (v: number, c: number) => (c ? `${v} <span class="dim">/ ${c}</span>` : String(v));
      const fmax =
        r.pnr.status === 'ok'
          ? `${r.pnr.fmaxMHz!.toFixed(1)}${r.pnr.meetsTiming ? '' : ' <span class="bad">(misses ' + rep.clockMHz + ')</span>'}`
          : r.pnr.fits === false
            ? '<span class="bad">does not fit</span>'
            : `<span class="dim">${esc(r.pnr.status === 'failed' ? 'failed' : 'not run')}</span>`;
      const fits = r.synth.fitsAlone === undefined ? '—' : r.synth.fitsAlone ? '<span class="ok">yes</span>' : '<span class="bad">no</span>';
      return [
        esc(r.top),
        esc(r.deviceLabel),
        res ? of(res.luts, cap.luts) : `<span class="dim">${esc(r.synth.reason ?? r.synth.status)}</span>`,
        res ? of(res.ffs, cap.ffs) : '—',
        res ? String(res.carries) : '—',
        res ? of(res.brams, cap.brams) : '—',
        res ? of(res.dsps, cap.dsps) : '—',
        fits,
        fmax,
      ];
    });
    parts.push(`<h3>${esc(f.file)} <span class="dim">(clock target ${rep.clockMHz} MHz)</span></h3>`);
    parts.push(table(['design', 'device', 'LUTs', 'FFs', 'carry', 'BRAM', 'DSP', 'fits (alone)', 'Fmax (MHz)'], rows));
    const unfit = rep.results.filter((r) => r.pnr.fits === false || r.pnr.status === 'failed');
    if (unfit.length) parts.push(`<ul class="warn">${unfit.map((r) => `<li>${esc(r.top)} on ${esc(r.device)}: ${esc(r.pnr.reason ?? 'place and route failed')}</li>`).join('')}</ul>`);
    const comps = rep.comparisons as Array<{ device: string; luts: { sparse: number; dense: number; deltaPct?: number; goalMet?: boolean }; ffs: { sparse: number; dense: number }; fmax?: { sparse: number; dense: number; deltaPct?: number; goalMet?: boolean } }>;
    if (comps.length) {
      parts.push(
        '<ul class="goals">' +
          comps
            .map((c) => {
              const lut = c.luts.deltaPct === undefined ? 'LUTs: —' : `LUTs ${c.luts.deltaPct >= 0 ? '+' : ''}${c.luts.deltaPct.toFixed(1)}% <span class="${c.luts.goalMet ? 'ok' : 'bad'}">(goal ≤ +${rep.goals.lutOverheadPct}%: ${c.luts.goalMet ? 'met' : 'not met'})</span>`;
              const fm = c.fmax?.deltaPct === undefined ? 'Fmax: not measured' : `Fmax ${c.fmax.deltaPct >= 0 ? '+' : ''}${c.fmax.deltaPct.toFixed(1)}% <span class="${c.fmax.goalMet ? 'ok' : 'bad'}">(goal within −${rep.goals.fmaxLossPct}%: ${c.fmax.goalMet ? 'met' : 'not met'})</span>`;
              return `<li><strong>${esc(c.device)}</strong>: zero skipping costs ${lut}; ${fm}</li>`;
            })
            .join('') +
          '</ul>',
      );
      const groups = comps.flatMap((c) => [`${c.device} LUTs`, `${c.device} FFs`]);
      parts.push(
        figure(
          barChart({
            id: `plot-area-${plots}`,
            title: 'LUTs and flip-flops, sparse vs dense',
            yLabel: 'cells',
            groups,
            series: [
              { name: 'sparse engine', values: comps.flatMap((c) => [c.luts.sparse, c.ffs.sparse]), color: PALETTE[0] },
              { name: 'dense baseline', values: comps.flatMap((c) => [c.luts.dense, c.ffs.dense]), color: PALETTE[1] },
            ],
          }),
          'Synthesis of each design alone (Yosys), per device.',
        ),
      );
      plots++;
      const withF = comps.filter((c) => c.fmax);
      if (withF.length) {
        parts.push(
          figure(
            barChart({
              id: `plot-fmax-${plots}`,
              title: 'Fmax after place and route (nextpnr)',
              yLabel: 'MHz',
              groups: withF.map((c) => c.device),
              series: [
                { name: 'sparse engine', values: withF.map((c) => c.fmax!.sparse), color: PALETTE[0] },
                { name: 'dense baseline', values: withF.map((c) => c.fmax!.dense), color: PALETTE[1] },
              ],
            }),
            'Achieved clock frequency of the design clock after routing (fixed placer seed).',
          ),
        );
        plots++;
      }
    }
    const cps = rep.results.filter((r) => r.pnr.criticalPath);
    if (cps.length) {
      parts.push('<details><summary>Critical paths, mapped to the TypeScript that built them</summary><ul class="paths">');
      for (const r of cps) {
        const cp = r.pnr.criticalPath!;
        parts.push(`<li><strong>${esc(r.top)}</strong> on ${esc(r.device)} (${cp.delayNs.toFixed(2)} ns): ${cp.sources.map((s) => `<code>${esc(s.src)}</code> ${s.delayNs.toFixed(2)}`).join(' → ')}</li>`);
      }
      parts.push('</ul></details>');
    }
    if (rep.notRun.length) parts.push(`<div class="missing"><strong>Not run when this report was made:</strong><ul>${rep.notRun.map((x) => `<li>${esc(x)}</li>`).join('')}</ul></div>`);
  }
  parts.push(sources(inp.fpga.map((f) => f.file)));
  return { id: 'area', title, plots, body: parts.join('\n') };
}

const CSS = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:980px;padding:24px;color:#1a1a1a;background:#fff}
h1{font-size:26px;margin:0 0 4px} h2{margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px} h3{font-size:16px}
.sub{color:#555;margin-top:0} .dim{color:#777} .ok{color:#087a3a} .bad{color:#b00020} .warn{color:#8a5a00}
.missing{border:1px solid #e0b400;background:#fff8e1;padding:10px 14px;border-radius:6px;margin:12px 0}
.verdict{font-weight:600} figure{margin:16px 0} figcaption{color:#444;font-size:13px;max-width:640px}
table{border-collapse:collapse;font-size:13px;margin:12px 0;display:block;overflow-x:auto;max-width:100%} th,td{border:1px solid #ddd;padding:4px 8px;text-align:right} th{background:#f4f4f4} td:first-child,th:first-child{text-align:left}
code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#f4f4f4;padding:1px 4px;border-radius:3px}
svg.plot{max-width:100%;height:auto;font:11px system-ui,sans-serif}
svg .title{font-size:14px;font-weight:600} svg .grid{stroke:#eee} svg .frame{fill:none;stroke:#999}
svg .ref{stroke:#b00020;stroke-dasharray:3 3} svg .reflabel{fill:#b00020;font-size:11px} svg .label{font-size:12px} svg .legend{font-size:11px}
nav ul{padding-left:18px} .sources{font-size:12px;color:#666}
`;

/**
 * Marks each figure as drawn when its SVG has size and visible marks, and
 * records layout problems as the browser lays the plot out (data-layout: "ok"
 * or the problems): tick labels of an axis that repeat, ticks of a percentage
 * axis outside 0..100, legend labels that overlap each other or leave the
 * plot. Tests read these attributes from the rendered page.
 */
export const DRAWN_CHECK = `
function layoutProblems(svg) {
  var out = [], vb = svg.viewBox.baseVal;
  ['x-tick', 'y-tick'].forEach(function (cls) {
    var ts = svg.querySelectorAll('text.' + cls), seen = {};
    for (var k = 0; k < ts.length; k++) {
      var t = ts[k].textContent;
      if (seen[t]) out.push(cls + ' label "' + t + '" repeats');
      seen[t] = true;
    }
    var label = svg.querySelector('text.' + cls.charAt(0) + '-label');
    if (label && /%/.test(label.textContent) && /sparsity/.test(label.textContent)) {
      for (var k = 0; k < ts.length; k++) {
        var v = Number(ts[k].getAttribute('data-value'));
        if (!(v >= 0 && v <= 100)) out.push(cls + ' ' + v + ' outside 0..100%');
      }
    }
  });
  var ls = svg.querySelectorAll('text.legend'), boxes = [];
  for (var k = 0; k < ls.length; k++) {
    var b = ls[k].getBBox();
    if (b.x + b.width > vb.width + 0.5 || b.x < 0) out.push('legend "' + ls[k].textContent + '" leaves the plot');
    for (var j = 0; j < boxes.length; j++) {
      var o = boxes[j];
      if (b.x < o.x + o.width && o.x < b.x + b.width && b.y < o.y + o.height && o.y < b.y + b.height) out.push('legend "' + ls[k].textContent + '" overlaps another');
    }
    boxes.push(b);
  }
  return out;
}
(function(){
  var figs = document.querySelectorAll('figure.plot-figure'), drawn = 0;
  for (var i = 0; i < figs.length; i++) {
    var svg = figs[i].querySelector('svg.plot'), visible = 0, ok = false;
    if (svg) {
      var box = svg.getBoundingClientRect(), marks = svg.querySelectorAll('.mark');
      for (var k = 0; k < marks.length; k++) { var b = marks[k].getBBox(); if (b.width > 0 || b.height > 0) visible++; }
      ok = box.width > 0 && box.height > 0 && visible > 0;
    }
    figs[i].setAttribute('data-marks', String(visible));
    if (svg) {
      var lay = layoutProblems(svg);
      figs[i].setAttribute('data-layout', lay.length ? lay.join('; ') : 'ok');
    }
    figs[i].setAttribute('data-drawn', ok ? 'yes' : 'no');
    if (ok) drawn++;
  }
  document.documentElement.setAttribute('data-plots-drawn', drawn + '/' + figs.length);
})();
`;

export interface RenderedReport {
  html: string;
  plots: number;
  missing: string[];
}

export function renderReport(inp: StudyInputs, resultsLabel: string): RenderedReport {
  const sections = [claimSection(inp), sparsitySection(inp), lossSection(inp), cyclesSection(inp), energySection(inp), areaSection(inp)];
  const missingInputs = sections.filter((s) => s.missing).map((s) => s.missing!);
  const plots = sections.reduce((n, s) => n + s.plots, 0);
  const summary: string[] = [];
  summary.push(`<p class="sub">Results read from <code>${esc(resultsLabel)}</code>: ${inp.full.length} reproduce --full, ${inp.reproduce.length} reproduce, ${inp.train.length} train, ${inp.cosim.length} cosim and ${inp.fpga.length} FPGA report(s); ${plots} plot(s).</p>`);
  if (missingInputs.length) summary.push(`<div class="missing"><strong>Missing inputs:</strong> ${missingInputs.map(esc).join(', ')}. Their sections say which command produces them.</div>`);
  if (inp.unusable.length) {
    summary.push(`<div class="missing"><strong>Unusable files</strong> (they look like results but lack a field the report needs):<ul>${inp.unusable.map((u) => `<li><code>${esc(u.file)}</code> (${esc(u.kind)}): ${esc(u.problem)}</li>`).join('')}</ul></div>`);
  }
  const html = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>sparsegrad study report</title>',
    `<style>${CSS}</style></head>`,
    '<body>',
    '<h1>sparsegrad: sparsified LSTM gradients, in hardware</h1>',
    '<p class="sub">Zhu, Xie, Rhu, Clemons, Keckler (2016), "Training LSTM with Sparsified Stochastic Gradient Descent": thresholding the linear gate gradients dz, and an engine that skips the zeros.</p>',
    ...summary,
    `<nav><ul>${sections.map((s) => `<li><a href="#${s.id}">${esc(s.title)}</a>${s.missing ? ' <span class="warn">(missing input)</span>' : ''}</li>`).join('')}</ul></nav>`,
    ...sections.map((s) => `<section id="${s.id}"><h2>${esc(s.title)}</h2>\n${s.body}\n</section>`),
    `<script>${DRAWN_CHECK}</script>`,
    '</body></html>',
    '',
  ].join('\n');
  return { html, plots, missing: missingInputs };
}
