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
  /** A shaded band around the line: [x, lo, hi] (mean ± sd over seeds). */
  band?: Array<[number, number, number]>;
  /** Vertical error bars: [x, lo, hi] (a confidence interval). */
  errorBars?: Array<[number, number, number]>;
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
  /** Hard bounds of an axis (e.g. [0, 100] for a percentage): ticks and range never leave them. */
  xLimits?: [number, number];
  yLimits?: [number, number];
}

/** Okabe–Ito palette: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

const W = 640;
const H = 360;
const M = { left: 64, right: 16, top: 36, bottom: 48 };

const LEGEND_ROW = 16;
/** Legend swatch and the gap after it. */
const SWATCH = 26;
/** Width of one character of the 11px legend font, rounded up (wide glyphs included) so estimates never fall short. */
const LEGEND_CHAR = 6.6;

/**
 * Legend under the plot: as many columns as the longest label allows (at most
 * three), and labels longer than a column truncated with "…" (the full name in
 * a tooltip), so no label overlaps the next column or runs past the right edge.
 */
interface LegendLayout {
  columns: number;
  columnWidth: number;
  maxChars: number;
}

function legendLayout(names: string[]): LegendLayout {
  const avail = W - M.left - M.right;
  const longest = Math.max(0, ...names.map((n) => n.length));
  const need = SWATCH + longest * LEGEND_CHAR + 12;
  const columns = Math.max(1, Math.min(3, Math.floor(avail / need)));
  const columnWidth = avail / columns;
  return { columns, columnWidth, maxChars: Math.floor((columnWidth - SWATCH - 12) / LEGEND_CHAR) };
}

function legendSlot(i: number, l: LegendLayout): { x: number; y: number } {
  return { x: M.left + (i % l.columns) * l.columnWidth, y: H + 4 + Math.floor(i / l.columns) * LEGEND_ROW };
}

function legendText(name: string, x: number, y: number, l: LegendLayout): string {
  const short = name.length > l.maxChars ? name.slice(0, Math.max(1, l.maxChars - 1)) + '…' : name;
  return `<text class="legend" x="${x + SWATCH}" y="${y}" dy="0.32em">${short !== name ? `<title>${esc(name)}</title>` : ''}${esc(short)}</text>`;
}

/** The opening tag, sized for the legend rows under the plot. */
function svgOpen(id: string, series: number, l: LegendLayout): string {
  const h = H + Math.ceil(series / l.columns) * LEGEND_ROW + 8;
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

function axis(values: number[], scale: 'linear' | 'log', from: number, to: number, limits?: [number, number]): Axis {
  if (limits && scale === 'linear') {
    // Round ticks over the data, cut to the bounds; the bounds themselves end the axis when the ticks stop short.
    const inside = values.filter((v) => v >= limits[0] && v <= limits[1]);
    const lo = Math.min(...inside, limits[1]), hi = Math.max(...inside, limits[0]);
    const t = niceTicks(lo, hi).filter((v) => v >= limits[0] - 1e-9 && v <= limits[1] + 1e-9);
    const a = Math.max(limits[0], Math.min(t[0] ?? lo, lo)), b = Math.min(limits[1], Math.max(t[t.length - 1] ?? hi, hi));
    return { ticks: t, map: (v) => from + ((v - a) / (b - a || 1)) * (to - from) };
  }
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

function formatAt(v: number, digits: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(digits - 1).replace('e+', 'e').replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(Math.max(4, digits))));
}

function defaultFormat(v: number): string {
  return formatAt(v, 1);
}

/**
 * The tick labels of an axis, with as many significant digits as it takes to
 * tell them apart (1.5e6 and 2e6, not 2e6 twice); a caller's format is kept
 * when its labels are already distinct (the axis title carries the unit).
 */
export function tickLabels(ticks: number[], format?: (v: number) => string): string[] {
  const distinct = (xs: string[]) => new Set(xs).size === xs.length;
  if (format) {
    const own = ticks.map(format);
    if (distinct(own)) return own;
  }
  for (let d = 1; d <= 12; d++) {
    const xs = ticks.map((t) => formatAt(t, d));
    if (distinct(xs)) return xs;
  }
  return ticks.map(String);
}

export function linePlot(p: LinePlot): string {
  const xs = p.series.flatMap((s) => s.points.map((q) => q[0])).concat(p.xInclude ?? []);
  const ys = p.series.flatMap((s) => s.points.map((q) => q[1])).concat(p.yInclude ?? []);
  const xScale = p.xScale ?? 'linear';
  const yScale = p.yScale ?? 'linear';
  const keep = (s: Series) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (xScale !== 'log' || x > 0) && (yScale !== 'log' || y > 0));
  const bandYs = p.series.flatMap((s) => [...(s.band ?? []), ...(s.errorBars ?? [])].flatMap((b) => [b[1], b[2]]));
  const X = axis(xs.filter((v) => Number.isFinite(v) && (xScale !== 'log' || v > 0)), xScale, M.left, W - M.right, p.xLimits);
  const Y = axis(ys.concat(bandYs).filter((v) => Number.isFinite(v) && (yScale !== 'log' || v > 0)), yScale, H - M.bottom, M.top, p.yLimits);
  const clampY = (v: number) => (p.yLimits ? Math.min(p.yLimits[1], Math.max(p.yLimits[0], v)) : v);
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
  const xl = tickLabels(X.ticks, p.xFormat), yl = tickLabels(Y.ticks, p.yFormat);
  X.ticks.forEach((t, i) => {
    const x = num(X.map(t));
    L.push(`<line class="grid" x1="${x}" y1="${y1}" x2="${x}" y2="${y0}"/><text class="tick x-tick" data-value="${t}" x="${x}" y="${y0 + 16}" text-anchor="middle">${esc(xl[i]!)}</text>`);
  });
  Y.ticks.forEach((t, i) => {
    const y = num(Y.map(t));
    L.push(`<line class="grid" x1="${x0}" y1="${y}" x2="${x1}" y2="${y}"/><text class="tick y-tick" data-value="${t}" x="${x0 - 6}" y="${y}" dy="0.32em" text-anchor="end">${esc(yl[i]!)}</text>`);
  });
  L.push(`<rect class="frame" x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}"/>`);
  L.push(`<text class="label x-label" x="${(x0 + x1) / 2}" y="${H - 10}" text-anchor="middle">${esc(p.xLabel)}</text>`);
  L.push(`<text class="label y-label" transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
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
    const band = (s.band ?? []).filter((b) => b.every(Number.isFinite)).sort((a, b) => a[0] - b[0]);
    if (band.length > 1) {
      const upper = band.map(([x, , hi]) => `${num(X.map(x))},${num(Y.map(clampY(hi)))}`);
      const lower = band.map(([x, lo]) => `${num(X.map(x))},${num(Y.map(clampY(lo)))}`).reverse();
      L.push(`<path class="band" d="M${upper.join(' L')} L${lower.join(' L')} Z" fill="${color}" fill-opacity="0.18" stroke="none"><title>${esc(`${s.name}: mean ± sd`)}</title></path>`);
    }
    for (const [x, lo, hi] of (s.errorBars ?? []).filter((b) => b.every(Number.isFinite))) {
      const cx = num(X.map(x));
      L.push(`<path class="errorbar" d="M${cx},${num(Y.map(clampY(lo)))} L${cx},${num(Y.map(clampY(hi)))} M${num(X.map(x) - 4)},${num(Y.map(clampY(lo)))} l8,0 M${num(X.map(x) - 4)},${num(Y.map(clampY(hi)))} l8,0" stroke="${color}" stroke-width="1.5" fill="none"><title>${esc(`${s.name}: ${fy(lo)} … ${fy(hi)}`)}</title></path>`);
    }
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
  // Legend below the plot, so it never hides data.
  const lay = legendLayout(p.series.map((s) => s.name));
  p.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const { x, y } = legendSlot(i, lay);
    L.push(`<line x1="${x}" y1="${y}" x2="${x + 20}" y2="${y}" stroke="${color}" stroke-width="3"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>${legendText(s.name, x, y, lay)}`);
  });
  L.push('</svg>');
  L[0] = svgOpen(p.id, p.series.length, lay);
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
  const yl = tickLabels(Y.ticks, b.yFormat);
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
  Y.ticks.forEach((t, i) => {
    const y = num(Y.map(t));
    L.push(`<line class="grid" x1="${x0}" y1="${y}" x2="${x1}" y2="${y}"/><text class="tick y-tick" data-value="${t}" x="${x0 - 6}" y="${y}" dy="0.32em" text-anchor="end">${esc(yl[i]!)}</text>`);
  });
  L.push(`<rect class="frame" x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}"/>`);
  L.push(`<text class="label y-label" transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${esc(b.yLabel)}</text>`);
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
  const lay = legendLayout(b.series.map((s) => s.name));
  b.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const { x, y } = legendSlot(i, lay);
    L.push(`<rect x="${x}" y="${y - 5}" width="20" height="10" fill="${color}"/>${legendText(s.name, x, y, lay)}`);
  });
  L.push('</svg>');
  L[0] = svgOpen(b.id, b.series.length, lay);
  return L.join('\n');
}
