/**
 * A small reader of the VCD files the harness writes (IEEE 1364 §18 value
 * change dumps, as Verilator emits them): the signals a caller names, their
 * value at every sample time, and how many bits of each flipped. Enough to
 * count memory write enables and datapath toggles of a run; not a waveform
 * viewer.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.ts';

export interface VcdVar {
  /** Hierarchical name, scopes joined by dots (TOP.sparse_bwd_engine.u_lanes.res). */
  path: string;
  /** The last component, without any bit range. */
  name: string;
  width: number;
}

export interface VcdWatch {
  /** Which variables to follow, by their path. */
  select: (v: VcdVar) => boolean;
  /**
   * Called once per sample time (a multiple of `period` — the harness dumps each cycle at
   * 10·cycle with the clock low, before the edge) with the values of the selected
   * variables as bit strings, most significant bit first, in `vars` order.
   */
  onSample?: (time: number, values: readonly string[], vars: readonly VcdVar[]) => void;
  period?: number;
}

export interface VcdSummary {
  vars: VcdVar[];
  /** Bits flipped per selected variable after its first value (x/z to a value counts as a flip). */
  toggles: number[];
  samples: number;
}

function pad(v: string, width: number): string {
  if (v.length >= width) return v.slice(v.length - width);
  // Verilog left-extends a shorter vector with 0, or with x/z when that is its top digit.
  const fill = v[0] === 'x' || v[0] === 'z' ? v[0] : '0';
  return fill.repeat(width - v.length) + v;
}

function flips(a: string, b: string): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

export function readVcd(file: string, watch: VcdWatch): VcdSummary {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read VCD ${file}: ${(e as Error).message}`);
  }
  const period = watch.period ?? 10;
  const scopes: string[] = [];
  const vars: VcdVar[] = [];
  const byId = new Map<string, number[]>();
  let pos = 0;
  // Header: $scope/$upscope/$var up to $enddefinitions.
  const headerEnd = text.indexOf('$enddefinitions');
  if (headerEnd < 0) throw new UserError(`${file} is not a VCD file (no $enddefinitions)`);
  for (const line of text.slice(0, headerEnd).split('\n')) {
    const t = line.trim().split(/\s+/);
    if (t[0] === '$scope') scopes.push(t[2]!);
    else if (t[0] === '$upscope') scopes.pop();
    else if (t[0] === '$var') {
      const width = Number(t[2]);
      const id = t[3]!;
      const name = t[4]!;
      const v: VcdVar = { path: [...scopes, name].join('.'), name, width };
      if (!watch.select(v)) continue;
      const list = byId.get(id) ?? [];
      list.push(vars.length);
      byId.set(id, list);
      vars.push(v);
    }
  }
  pos = text.indexOf('\n', headerEnd) + 1;
  const values = vars.map((v) => 'x'.repeat(v.width));
  const toggles = vars.map(() => 0);
  const seen = vars.map(() => false);
  let time = -1;
  let samples = 0;
  const set = (id: string, raw: string): void => {
    const idx = byId.get(id);
    if (!idx) return;
    for (const i of idx) {
      const nv = pad(raw, vars[i]!.width);
      // The first value a variable takes is its initial state, not a flip.
      if (seen[i]) toggles[i]! += flips(values[i]!, nv);
      seen[i] = true;
      values[i] = nv;
    }
  };
  const close = (): void => {
    if (time >= 0 && time % period === 0) {
      samples++;
      watch.onSample?.(time, values, vars);
    }
  };
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end).trim();
    pos = end + 1;
    if (line === '') continue;
    const c = line[0]!;
    if (c === '#') {
      close();
      time = Number(line.slice(1));
    } else if (c === 'b' || c === 'B' || c === 'r' || c === 'R') {
      const sp = line.indexOf(' ');
      if (c === 'b' || c === 'B') set(line.slice(sp + 1), line.slice(1, sp));
    } else if (c === '0' || c === '1' || c === 'x' || c === 'X' || c === 'z' || c === 'Z') {
      set(line.slice(1), c.toLowerCase());
    }
    // $dumpvars/$end and other keywords carry no values of their own.
  }
  close();
  return { vars, toggles, samples };
}
