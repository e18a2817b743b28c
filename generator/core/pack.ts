/**
 * Packing aggregates into bit vectors and back, e.g. a bundle carried in a stream's
 * tdata or stored in a memory word. Leaves go in declaration order from the least
 * significant bits up (element i of a vector at bits [i*w +: w], as in AXI4-Stream
 * tdata), so `unpack(T, pack(x))` gives x back.
 */
import { designError } from './errors.ts';
import { Expr, cat } from './expr.ts';
import { captureLoc } from './loc.ts';
import { checkedVec } from './vec-index.ts';
import { leaves, type ShapeOf } from './module.ts';
import { Ground, bitWidth, type HwType } from './types.ts';

/** The expression shape of type T (what unpack returns; Hw<T> values fit it too). */
export type Val<T> = ShapeOf<T, Expr>;

/** All leaves of a shape as one UInt, first leaf in the least significant bits. */
export function pack(value: unknown): Expr {
  const loc = captureLoc();
  const parts = leaves(value);
  if (parts.length === 0) designError('structure', loc, 'pack() was given no hardware values');
  return cat(...parts.reverse().map((p) => p.asUInt()));
}

/** View `bits` as a value of type T (the inverse of pack). */
export function unpack<T extends HwType>(type: T, bits: Expr): Val<T> {
  const loc = captureLoc();
  const width = bitWidth(type);
  if (bits.width !== width) designError('width', loc, `unpack needs ${width} bits for this type, got ${bits.type}`);
  let offset = 0;
  const walk = (t: HwType): unknown => {
    if (t instanceof Ground) {
      const slice = bits.bits(offset + t.width - 1, offset);
      offset += t.width;
      return t.kind === 'sint' ? slice.asSInt() : t.kind === 'bool' ? slice.asBool() : slice;
    }
    if (t.kind === 'vec') return checkedVec(Array.from({ length: t.length }, () => walk(t.element)), `unpacked from ${bits.type}`);
    const out: Record<string, unknown> = {};
    for (const [k, f] of Object.entries(t.fields as Record<string, HwType>)) out[k] = walk(f);
    return out;
  };
  return walk(type) as Val<T>;
}
