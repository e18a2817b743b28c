/** The printed summary of an FPGA run (also embedded in the bundle README). */
import type { Comparison, DeviceResult, FpgaReport } from './flow.ts';
import { UNITS, type Resources } from './resources.ts';
import { boundText, exceeds } from './fit-bound.ts';
import type { ThroughputBasis } from './throughput.ts';

function cell(r: DeviceResult, pick: (x: NonNullable<DeviceResult['synth']['resources']>) => number, cap?: number): string {
  const res = r.synth.resources;
  if (!res) return '-';
  const v = pick(res);
  return cap ? `${v} (${((100 * v) / cap).toFixed(0)}%)` : String(v);
}

function fmax(r: DeviceResult): string {
  if (r.pnr.status === 'ok') return `${r.pnr.fmaxMHz!.toFixed(1)}${r.pnr.meetsTiming ? '' : ' (miss)'}`;
  if (r.pnr.fits === false) return r.pnr.lowerBound && exceeds(r.pnr.lowerBound) ? `does not fit (lower bound: ${boundText(r.pnr.lowerBound)})` : 'does not fit';
  return r.pnr.status === 'failed' ? 'failed' : 'not run';
}

function fitsAlone(r: DeviceResult): string {
  return r.synth.fitsAlone === undefined ? '-' : r.synth.fitsAlone ? 'yes' : 'NO';
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

function pct(x: number | undefined): string {
  return x === undefined ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`;
}

function comparisonLine(c: Comparison, goals: FpgaReport['goals']): string {
  const lut = `LUTs ${pct(c.luts.deltaPct)} (goal ≤ +${goals.lutOverheadPct}%: ${c.luts.goalMet ? 'met' : 'NOT met'})`;
  const f = c.fmax ? `Fmax ${pct(c.fmax.deltaPct)} (goal ≥ -${goals.fmaxLossPct}%: ${c.fmax.goalMet ? 'met' : 'NOT met'})` : 'Fmax not measured';
  return `  ${c.device}: zero skipping costs ${lut}, FFs ${pct(c.ffs.deltaPct)}, ${f}`;
}

/** What the throughput column is, and that its speedup is the model's bound, with the measured figure beside it. */
export function throughputNote(tp: ThroughputBasis): string[] {
  const pct = (100 * tp.sparsity).toFixed(2);
  return [
    `dense-eq MMAC/s = lanes × Fmax × speedup, in millions of dense-equivalent MACs per second; the sparse engine's speedup is ${tp.speedup.layer.toFixed(2)}× (data ${tp.speedup.data.toFixed(2)}×, weight ${tp.speedup.weight.toFixed(2)}×), the dense baseline's 1.`,
    `The speedup is the cycle model's bound (engine/cycles.ts idealCycles over the engine/jobs.ts plan), not a measurement: one layer's backward pass (data and weight mode) with R = rMax = ${tp.R}, K = kMax = ${tp.K}, S = ${tp.S} vectors of ${tp.nnzPerVector} nonzero gradients (${pct} % sparsity), memory latency ${tp.memLatencyCycles} cycles.`,
    `Measured: ${tp.measured}.`,
  ];
}

export function formatReportTable(rep: FpgaReport): string {
  // Distributed RAM and shift registers exist on 7-series only; elsewhere the columns would always read 0.
  const xilinx = rep.target === 'xilinx7';
  const head = ['design', 'device', 'LUTs', 'FFs', 'carry', 'BRAM', 'DSP'];
  if (xilinx) head.splice(3, 0, 'LUT-RAM', 'SRL');
  const tp = rep.throughput;
  const rows: string[][] = [[...head, 'fits', `Fmax MHz @${rep.clockMHz}`, 'LCs with harness', ...(tp ? ['dense-eq MMAC/s'] : [])]];
  for (const r of rep.results) {
    const cap = r.synth.capacity;
    const lc = r.pnr.utilization?.ICESTORM_LC;
    const area = [
      cell(r, (x) => x.luts, cap.luts || undefined),
      ...(xilinx ? [cell(r, (x) => x.lutrams), cell(r, (x) => x.srls)] : []),
      cell(r, (x) => x.ffs, cap.ffs || undefined),
      cell(r, (x) => x.carries),
      cell(r, (x) => x.brams, cap.brams || undefined),
      cell(r, (x) => x.dsps, cap.dsps || undefined),
    ];
    rows.push([r.top, r.device, ...area, fitsAlone(r), fmax(r), lc ? `${lc.used}/${lc.available}` : '-', ...(tp ? [r.throughput ? r.throughput.mmacPerS.toFixed(1) : '-'] : [])]);
  }
  const out = [pad(rows)];
  const units = UNITS[rep.target];
  out.push(`BRAM: ${units.bram} blocks; DSP: ${units.dsp}.`);
  if (rep.results.some((r) => r.pnr.fmaxMHz !== undefined)) out.push(`Fmax: nextpnr seed ${rep.seed}; another seed (--seed) moves it by a MHz or two at high fill.`);
  if (tp) out.push(...throughputNote(tp));
  if (xilinx) {
    out.push('LUTs are logic LUTs only; LUT-RAM (distributed RAM) and SRL (shift registers) are LUTs of SLICEMs used as memory.');
    const inv = rep.results.filter((r) => (r.synth.resources?.inverters ?? 0) > 0);
    if (inv.length) {
      out.push(
        `Not in LUTs: ${inv.map((r) => `${r.synth.resources!.inverters} inverters (${r.top} on ${r.device})`).join(', ')}. Vivado folds an inverter on a flip-flop's reset, set or data input into the flip-flop (IS_*_INVERTED); one on a carry chain or a clock enable can take a LUT1, so LUTs may grow by up to that many.`,
      );
    }
  }
  const spram = rep.results.filter((r) => (r.synth.resources?.sprams ?? 0) > 0);
  if (spram.length) out.push(`SPRAM (SB_SPRAM256KA, 256 Kb, not in BRAM): ${spram.map((r) => `${r.synth.resources!.sprams} (${r.top} on ${r.device})`).join(', ')}.`);
  if (rep.comparisons.length) out.push('', 'cost of zero skipping (sparse vs dense baseline):', ...rep.comparisons.map((c) => comparisonLine(c, rep.goals)));
  for (const r of rep.results.filter((x) => x.synth.modules)) {
    const mods = Object.entries(r.synth.modules!).sort(([, a], [, b]) => b.luts - a.luts);
    out.push('', `area by module, ${r.top} on ${r.device} (hierarchy kept; each module counted once, without its submodules):`);
    const cols: Array<[string, (m: Resources) => number]> = [['LUTs', (m) => m.luts], ...(xilinx ? ([['LUT-RAM', (m) => m.lutrams], ['SRL', (m) => m.srls]] as Array<[string, (m: Resources) => number]>) : []), ['FFs', (m) => m.ffs], ['carry', (m) => m.carries], ['BRAM', (m) => m.brams], ['DSP', (m) => m.dsps]];
    out.push(pad([['module', ...cols.map(([h]) => h)], ...mods.map(([n, m]) => [`  ${n}`, ...cols.map(([, pick]) => String(pick(m)))])]));
  }
  const paths = rep.results.filter((r) => r.pnr.criticalPath);
  if (paths.length) {
    out.push('', 'critical paths, by TypeScript source (ns):');
    for (const r of paths) {
      const cp = r.pnr.criticalPath!;
      const srcs = cp.sources.map((s) => `${s.src} (${s.delayNs.toFixed(2)})`).join(' → ');
      out.push(`  ${r.top} on ${r.device}, ${cp.delayNs.toFixed(2)} ns: ${srcs}`);
    }
  }
  const failed = rep.results.flatMap((r) =>
    [r.synth, r.pnr].filter((x) => x.status === 'failed').map((x) => `  ${r.top} on ${r.device}: ${x.reason}${'fits' in x && x.fits === false && !(r.pnr.lowerBound && exceeds(r.pnr.lowerBound)) ? ` (design alone ${r.synth.resources?.luts} LUTs / ${r.synth.resources?.ffs} FFs, with the harness)` : ''}`),
  );
  if (failed.length) out.push('', 'failed:', ...failed);
  if (rep.notRun.length) out.push('', 'not run here:', ...rep.notRun.map((x) => `  ${x}`));
  return out.join('\n') + '\n';
}
