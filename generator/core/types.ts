/**
 * Hardware types. The core IR only knows ground types (Bool, UInt, SInt); vectors
 * and bundles are TypeScript shapes of ground signals, flattened with `_` names
 * (`bus_data`, `lane_3`), as in SpinalHDL and Amaranth's `Signal` + `Record`.
 */
export type GroundKind = 'bool' | 'uint' | 'sint';

export class Ground {
  private constructor(readonly kind: GroundKind, readonly width: number) {}
  get signed(): boolean {
    return this.kind === 'sint';
  }
  toString(): string {
    return this.kind === 'bool' ? 'Bool' : `${this.kind === 'uint' ? 'UInt' : 'SInt'}(${this.width})`;
  }
  static make(kind: GroundKind, width: number): Ground {
    if (!Number.isInteger(width) || width < 1 || width > 4096) {
      throw new RangeError(`${kind === 'sint' ? 'SInt' : 'UInt'} width must be an integer from 1 to 4096, got ${width}`);
    }
    return new Ground(kind, width);
  }
}

export const Bool = (): Ground => Ground.make('bool', 1);
export const UInt = (width: number): Ground => Ground.make('uint', width);
export const SInt = (width: number): Ground => Ground.make('sint', width);

export interface VecType<T extends HwType = HwType> {
  readonly kind: 'vec';
  readonly length: number;
  readonly element: T;
}
export interface BundleType<F extends Record<string, HwType> = Record<string, HwType>> {
  readonly kind: 'bundle';
  readonly fields: F;
}
export type HwType = Ground | VecType<any> | BundleType<any>;

export function Vec<T extends HwType>(length: number, element: T): VecType<T> {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`Vec length must be a positive integer, got ${length}`);
  return { kind: 'vec', length, element };
}
export function Bundle<F extends Record<string, HwType>>(fields: F): BundleType<F> {
  if (Object.keys(fields).length === 0) throw new RangeError('Bundle needs at least one field');
  return { kind: 'bundle', fields };
}

/** Total bits of a type, for packing into a flat vector (e.g. a stream's tdata). */
export function bitWidth(t: HwType): number {
  if (t instanceof Ground) return t.width;
  if (t.kind === 'vec') return t.length * bitWidth(t.element);
  return Object.values(t.fields as Record<string, HwType>).reduce((s, f) => s + bitWidth(f), 0);
}

/** Minimum unsigned width holding `n` distinct values (≥ 1). */
export function log2Up(n: number): number {
  if (n <= 1) return 1;
  return Math.ceil(Math.log2(n));
}

/** Bits needed to represent value v as an unsigned number (≥ 1). */
export function unsignedBitsFor(v: bigint): number {
  if (v < 0n) throw new RangeError(`negative value ${v} has no unsigned width`);
  return Math.max(1, v.toString(2).length);
}
/** Bits needed to represent value v as a two's complement signed number (≥ 1). */
export function signedBitsFor(v: bigint): number {
  const magnitudeBits = (x: bigint): number => (x === 0n ? 0 : x.toString(2).length);
  return (v >= 0n ? magnitudeBits(v) : magnitudeBits(-v - 1n)) + 1;
}
