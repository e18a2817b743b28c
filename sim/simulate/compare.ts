/** The first difference between what an output stream delivered and what the model expects, in one line. */
import type { BeatIn, MonitoredBeat } from './streams.ts';
import { differences, isPlainObject, sameValue, show, type SimValue } from './values.ts';

/** The first difference between monitored beats and expected ones, as one readable line (undefined when equal). */
export function firstMismatch(stream: string, got: readonly MonitoredBeat[], want: readonly BeatIn[]): { message: string; cycle?: number } | undefined {
  const beatOf = (w: BeatIn) => (isPlainObject(w) && 'data' in w ? (w as { data: SimValue; last?: boolean; keep?: number | bigint; user?: number | bigint }) : { data: w as SimValue });
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) {
    const wb = beatOf(want[i]!);
    const g = got[i]!;
    const fields = differences(wb.data, g.data);
    const diffs = fields.map(([p, e, x]) => `${p ? `field ${p}` : 'data'} expected ${show(e)}, got ${show(x)}`);
    if (wb.last !== undefined && wb.last !== (g.last ?? false)) diffs.push(`tlast expected ${wb.last}, got ${g.last ?? false}`);
    for (const k of ['keep', 'user'] as const) {
      if (wb[k] !== undefined && !sameValue(wb[k], g[k])) diffs.push(`t${k} expected ${show(wb[k])}, got ${show(g[k])}`);
    }
    if (diffs.length) {
      // A field of an aggregate is shown with the whole value around it; a scalar is its own whole.
      const whole = fields.some(([p]) => p !== '') || (fields.length === 0 && typeof g.data === 'object') ? `; expected ${show(wb.data)}, got ${show(g.data)}` : '';
      return { message: `${stream} beat ${i} (cycle ${g.cycle}): ${diffs.join('; ')}${whole}`, cycle: g.cycle };
    }
  }
  if (got.length < want.length) {
    const last = got.at(-1);
    return { message: `${stream} delivered ${got.length} beats, expected ${want.length}; the first missing is beat ${got.length}, expected ${show(beatOf(want[got.length]!).data)}${last ? ` (the last beat came in cycle ${last.cycle})` : ''}`, cycle: last?.cycle };
  }
  if (got.length > want.length) {
    const x = got[want.length]!;
    return { message: `${stream} delivered ${got.length} beats, expected ${want.length}; the first extra is beat ${want.length} (cycle ${x.cycle}): ${show(x.data)}`, cycle: x.cycle };
  }
  return undefined;
}
