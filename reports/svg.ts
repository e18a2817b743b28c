/**
 * A small plotting library that writes static SVG: line/scatter plots with
 * linear or log axes, and grouped bar charts. Output is deterministic text
 * (fixed number formatting), and every data mark carries class "mark" so a
 * test can check that a plot really drew something.
 */

export interface Series {
  name: string;
  points: Array<[number, number]>;
  /** 'line' joins points in x order; 'points' draws markers only; 'both' does both. */
  style?: 'line' | 'points' | 'both';
  dashed?: boolean;
  color?: string;
}

export interface RefLine {
  axis: 'x' | 'y';
  value: number;
  label: string;
}

export interface LinePlot {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xScale?: 'linear' | 'log';
  yScale?: 'linear' | 'log';
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  refLines?: RefLine[];
  /** Force the y range to include these values (e.g. 0 and 100 for percentages). */
  yInclude?: number[];
  xInclude?: number[];
}

/** Okabe–Ito palette: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

const W = 640;
const H = 360;
const M = { left: 64, right: 16, top: 36, bottom: 48 };

const LEGEND_ROW = 16;

function legendRows(n: number): number {
  return Math.ceil(n / 2);
}

function legendSlot(i: number): { x: number; y: number } {
  return { x: M.left + (i % 2) * ((W - M.left - M.right) / 2), y: H + 4 + Math.floor(i / 2) * LEGEND_ROW };
}

/** The opening tag, sized for the legend rows under the plot. */
function svgOpen(id: string, series: number): string {
  const h = H + legendRows(series) * LEGEND_ROW + 8;
  return `<svg class="plot" id="${esc(id)}" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-labelledby="${esc(id)}-title">`;
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** Round-number ticks (1, 2, 5 × 10^k) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) {
    const d = Math.abs(lo) || 1;
    return niceTicks(lo - d / 2, hi + d / 2, target);
  }
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[0]! > lo) out.unshift(Number((out[0]! - step).toPrecision(12)));
  if (out[out.length - 1]! < hi) out.push(Number((out[out.length - 1]! + step).toPrecision(12)));
  return out;
}

function logTicks(lo: number, hi: number): number[] {
  const first = Math.floor(Math.log10(lo));
  const last = Math.max(first + 1, Math.ceil(Math.log10(hi)));
  // Over a decade or two, 2× and 5× ticks keep the axis readable; the ends stay powers of ten.
  const steps = last - first <= 2 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = first; e <= last; e++) for (const m of steps) if (e < last || m === 1) out.push(Number((m * 10 ** e).toPrecision(6)));
  return out;
}

interface Axis {
  ticks: number[];
  map: (v: number) => number;
}

function axis(values: number[], scale: 'linear' | 'log', from: number, to: number): Axis {
  if (scale === 'log') {
    const pos = values.filter((v) => v > 0);
    const ticks = logTicks(Math.min(...pos), Math.max(...pos));
    const a = Math.log10(ticks[0]!);
    const b = Math.log10(ticks[ticks.length - 1]!);
    return { ticks, map: (v) => from + ((Math.log10(v) - a) / (b - a || 1)) * (to - from) };
  }
  const ticks = niceTicks(Math.min(...values), Math.max(...values));
  const a = ticks[0]!;
  const b = ticks[ticks.length - 1]!;
  return { ticks, map: (v) => from + ((v - a) / (b - a || 1)) * (to - from) };
}

function defaultFormat(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}

export function linePlot(p: LinePlot): string {
  const xs = p.series.flatMap((s) => s.points.map((q) => q[0])).concat(p.xInclude ?? []);
  const ys = p.series.flatMap((s) => s.points.map((q) => q[1])).concat(p.yInclude ?? []);
  const xScale = p.xScale ?? 'linear';
  const yScale = p.yScale ?? 'linear';
  const keep = (s: Series) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (xScale !== 'log' || x > 0) && (yScale !== 'log' || y > 0));
  const X = axis(xs.filter((v) => Number.isFinite(v) && (xScale !== 'log' || v > 0)), xScale, M.left, W - M.right);
  const Y = axis(ys.filter((v) => Number.isFinite(v) && (yScale !== 'log' || v > 0)), yScale, H - M.bottom, M.top);
  const fx = p.xFormat ?? defaultFormat;
  const fy = p.yFormat ?? defaultFormat;
  const L: string[] = [];
  L.push(`<svg class="plot" id="${esc(p.id)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${esc(p.id)}-title">`);
  L.push(`<title id="${esc(p.id)}-title">${esc(p.title)}</title>`);
  L.push(`<text class="title" x="${W / 2}" y="20" text-anchor="middle">${esc(p.title)}</text>`);
  const x0 = M.left;
  const x1 = W - M.right;
  const y0 = H - M.bottom;
  const y1 = M.top;
  for (const t of X.ticks) {
    const x = num(X.map(t));
    L.push(`<line class="grid" x1="${x}" y1="${y1}" x2="${x}" y2="${y0}"/><text class="tick" x="${x}" y="${y0 + 16}" text-anchor="middle">${esc(fx(t))}</text>`);
  }
  for (const t of Y.ticks) {
    const y = num(Y.map(t));
    L.push(`<line class="grid" x1="${x0}" y1="${y}" x2="${x1}" y2="${y}"/><text class="tick" x="${x0 - 6}" y="${y}" dy="0.32em" text-anchor="end">${esc(fy(t))}</text>`);
  }
  L.push(`<rect class="frame" x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}"/>`);
  L.push(`<text class="label" x="${(x0 + x1) / 2}" y="${H - 10}" text-anchor="middle">${esc(p.xLabel)}</text>`);
  L.push(`<text class="label" transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
  for (const r of p.refLines ?? []) {
    if (r.axis === 'y') {
      const y = num(Y.map(r.value));
      L.push(`<line class="ref" x1="${x0}" y1="${y}" x2="${x1}" y2="${y}"/><text class="reflabel" x="${x1 - 4}" y="${y}" dy="-4" text-anchor="end">${esc(r.label)}</text>`);
    } else {
      const x = num(X.map(r.value));
      L.push(`<line class="ref" x1="${x}" y1="${y1}" x2="${x}" y2="${y0}"/><text class="reflabel" x="${x}" y="${y1 + 12}" dx="4">${esc(r.label)}</text>`);
    }
  }
  p.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const pts = keep(s);
    const style = s.style ?? 'both';
    if (style !== 'points' && pts.length > 1) {
      const d = [...pts].sort((a, b) => a[0] - b[0]).map(([x, y], k) => `${k ? 'L' : 'M'}${num(X.map(x))},${num(Y.map(y))}`).join(' ');
      L.push(`<path class="mark series-line" d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${esc(s.name)}</title></path>`);
    }
    if (style !== 'line' || pts.length === 1) {
      for (const [x, y] of pts) {
        L.push(`<circle class="mark" cx="${num(X.map(x))}" cy="${num(Y.map(y))}" r="3.5" fill="${color}"><title>${esc(`${s.name}: ${fx(x)}, ${fy(y)}`)}</title></circle>`);
      }
    }
  });
  // Legend below the plot, two columns, so it never hides data.
  p.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const { x, y } = legendSlot(i);
    L.push(`<line x1="${x}" y1="${y}" x2="${x + 20}" y2="${y}" stroke="${color}" stroke-width="3"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/><text class="legend" x="${x + 26}" y="${y}" dy="0.32em">${esc(s.name)}</text>`);
  });
  L.push('</svg>');
  L[0] = svgOpen(p.id, p.series.length);
  return L.join('\n');
}

export interface BarChart {
  id: string;
  title: string;
  yLabel: string;
  /** Group labels along x (e.g. devices × resource). */
  groups: string[];
  /** One bar per series in each group; values[i] belongs to groups[i]. */
  series: Array<{ name: string; values: number[]; color?: string }>;
  yFormat?: (v: number) => string;
}

export function barChart(b: BarChart): string {
  const values = b.series.flatMap((s) => s.values).filter(Number.isFinite);
  const Y = axis([0, ...values], 'linear', H - M.bottom, M.top);
  const fy = b.yFormat ?? defaultFormat;
  const x0 = M.left;
  const x1 = W - M.right;
  const y0 = H - M.bottom;
  const y1 = M.top;
  const groupW = (x1 - x0) / Math.max(1, b.groups.length);
  const barW = (groupW * 0.7) / Math.max(1, b.series.length);
  const L: string[] = [];
  L.push(`<svg class="plot" id="${esc(b.id)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${esc(b.id)}-title">`);
  L.push(`<title id="${esc(b.id)}-title">${esc(b.title)}</title>`);
  L.push(`<text class="title" x="${W / 2}" y="20" text-anchor="middle">${esc(b.title)}</text>`);
  for (const t of Y.ticks) {
    const y = num(Y.map(t));
    L.push(`<line class="grid" x1="${x0}" y1="${y}" x2="${x1}" y2="${y}"/><text class="tick" x="${x0 - 6}" y="${y}" dy="0.32em" text-anchor="end">${esc(fy(t))}</text>`);
  }
  L.push(`<rect class="frame" x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}"/>`);
  L.push(`<text class="label" transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${esc(b.yLabel)}</text>`);
  b.groups.forEach((g, gi) => {
    const gx = x0 + gi * groupW + groupW * 0.15;
    L.push(`<text class="tick" x="${num(x0 + (gi + 0.5) * groupW)}" y="${y0 + 16}" text-anchor="middle">${esc(g)}</text>`);
    b.series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === undefined || !Number.isFinite(v)) return;
      const top = Y.map(v);
      const color = s.color ?? PALETTE[si % PALETTE.length]!;
      L.push(`<rect class="mark" x="${num(gx + si * barW)}" y="${num(top)}" width="${num(barW - 2)}" height="${num(Math.max(0, Y.map(Y.ticks[0]!) - top))}" fill="${color}"><title>${esc(`${s.name}, ${g}: ${fy(v)}`)}</title></rect>`);
    });
  });
  b.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const { x, y } = legendSlot(i);
    L.push(`<rect x="${x}" y="${y - 5}" width="20" height="10" fill="${color}"/><text class="legend" x="${x + 26}" y="${y}" dy="0.32em">${esc(s.name)}</text>`);
  });
  L.push('</svg>');
  L[0] = svgOpen(b.id, b.series.length);
  return L.join('\n');
}
