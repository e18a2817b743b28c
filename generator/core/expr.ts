/**
 * Expressions and signals: the core IR. Every node carries its ground type and the
 * TypeScript location that built it. Width rules (see README "Width rules"):
 *   add/sub grow by one bit, addWrap/subWrap keep the wider width, mul sums widths,
 *   bitwise ops take the wider width, comparisons give Bool, shl(n) grows by n,
 *   shr(n) drops n bits; UInt and SInt never mix silently.
 */
import { designError, designWarning } from './errors.ts';
import { fromSigned } from './eval.ts';
import { captureLoc, formatLoc, type SourceLoc } from './loc.ts';
import { Bool, Ground, SInt, UInt, signedBitsFor, unsignedBitsFor } from './types.ts';
import { comparisonOutcome, knownValue, rangeOf, type CompareOp } from './value-range.ts';

export type Op =
  | 'const' | 'ref'
  | 'not' | 'neg' | 'orR' | 'andR' | 'xorR'
  | 'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'
  | 'shlDyn' | 'shrDyn'
  | 'slice' | 'concat' | 'mux' | 'extend' | 'cast';

/** A value usable where an expression is expected: plain numbers become constants. */
export type Operand = Expr | number | bigint | boolean;

/** Who owns a signal: the module being built. Kept abstract to avoid an import cycle. */
export interface SignalOwner {
  readonly name: string;
  assign(target: Signal, value: Operand, loc: SourceLoc): void;
}

export type SignalKind = 'input' | 'output' | 'wire' | 'reg' | 'instIn' | 'instOut' | 'memRead';

export class Expr {
  /** The module whose signals this expression reads (undefined for constants). */
  readonly owner: SignalOwner | undefined;
  constructor(
    readonly type: Ground,
    readonly op: Op,
    readonly args: readonly Expr[],
    readonly loc: SourceLoc,
    /** slice: [hi, lo]; const: value; extend: target width */
    readonly param: { hi?: number; lo?: number; value?: bigint } = {},
  ) {
    let owner: SignalOwner | undefined;
    for (const a of args) {
      if (a.owner === undefined) continue;
      if (owner !== undefined && owner !== a.owner) {
        designError('ownership', loc, `this expression mixes signals of modules ${owner.name} and ${a.owner.name}; pass values between modules through ports`);
      }
      owner = a.owner;
    }
    this.owner = owner;
  }

  get width(): number {
    return this.type.width;
  }

  // ---- arithmetic -------------------------------------------------------
  /** a + b, one bit wider than the wider operand (never overflows). */
  add(b: Operand): Expr {
    return arith('add', this, b, 1);
  }
  /** a + b wrapping at the wider operand's width. */
  addWrap(b: Operand): Expr {
    return arith('add', this, b, 0);
  }
  /** a - b, one bit wider than the wider operand. For UInt the extra bit is the borrow. */
  sub(b: Operand): Expr {
    return arith('sub', this, b, 1);
  }
  /** a - b wrapping at the wider operand's width. */
  subWrap(b: Operand): Expr {
    return arith('sub', this, b, 0);
  }
  /** Full-width product: width(a) + width(b). */
  mul(b: Operand): Expr {
    const loc = captureLoc();
    const [x, y] = sameKind('mul', this, b, loc, false);
    return new Expr(Ground.make(x.type.kind, x.width + y.width), 'mul', [x, y], loc);
  }
  /** Two's complement negation of an SInt, one bit wider (so -min fits). */
  neg(): Expr {
    const loc = captureLoc();
    if (this.type.kind !== 'sint') designError('type', loc, `neg() needs an SInt, got ${this.type}; convert with .toSInt() first`);
    return new Expr(SInt(this.width + 1), 'neg', [this], loc);
  }

  // ---- bitwise / logic --------------------------------------------------
  and(b: Operand): Expr {
    return bitwise('and', this, b);
  }
  or(b: Operand): Expr {
    return bitwise('or', this, b);
  }
  xor(b: Operand): Expr {
    return bitwise('xor', this, b);
  }
  not(): Expr {
    return new Expr(this.type, 'not', [this], captureLoc());
  }
  orR(): Expr {
    return new Expr(Bool(), 'orR', [this], captureLoc());
  }
  andR(): Expr {
    return new Expr(Bool(), 'andR', [this], captureLoc());
  }
  xorR(): Expr {
    return new Expr(Bool(), 'xorR', [this], captureLoc());
  }

  // ---- comparison -------------------------------------------------------
  eq(b: Operand): Expr {
    return compare('eq', this, b);
  }
  ne(b: Operand): Expr {
    return compare('ne', this, b);
  }
  lt(b: Operand): Expr {
    return compare('lt', this, b);
  }
  le(b: Operand): Expr {
    return compare('le', this, b);
  }
  gt(b: Operand): Expr {
    return compare('gt', this, b);
  }
  ge(b: Operand): Expr {
    return compare('ge', this, b);
  }

  // ---- shifts -----------------------------------------------------------
  /** Constant left shift: appends n zero bits (width grows by n). */
  shl(n: number): Expr {
    const loc = captureLoc();
    checkShift(n, loc, Infinity);
    if (n === 0) return this;
    const zeros = constant(0n, UInt(n), loc);
    return castTo(new Expr(UInt(this.width + n), 'concat', [this, zeros], loc), this.type.kind === 'sint' ? 'sint' : 'uint', loc);
  }
  /** Constant right shift: drops the n low bits (arithmetic for SInt, width shrinks by n). */
  shr(n: number): Expr {
    const loc = captureLoc();
    checkShift(n, loc, this.width - 1);
    if (n === 0) return this;
    const kept = new Expr(UInt(this.width - n), 'slice', [this], loc, { hi: this.width - 1, lo: n });
    return castTo(kept, this.type.kind === 'sint' ? 'sint' : 'uint', loc);
  }
  /** Dynamic left shift by a UInt amount, keeping the width (bits shifted out are lost). */
  shiftLeft(amount: Expr): Expr {
    const loc = captureLoc();
    if (amount.type.kind !== 'uint') designError('type', loc, `shift amount must be a UInt, got ${amount.type}`);
    return new Expr(this.type, 'shlDyn', [this, amount], loc);
  }
  /** Dynamic right shift by a UInt amount, keeping the width (arithmetic for SInt). */
  shiftRight(amount: Expr): Expr {
    const loc = captureLoc();
    if (amount.type.kind !== 'uint') designError('type', loc, `shift amount must be a UInt, got ${amount.type}`);
    return new Expr(this.type, 'shrDyn', [this, amount], loc);
  }

  // ---- bits -------------------------------------------------------------
  /** Bits hi..lo inclusive, as a UInt (Verilog x[hi:lo]). */
  bits(hi: number, lo: number): Expr {
    const loc = captureLoc();
    if (!Number.isInteger(hi) || !Number.isInteger(lo) || lo < 0 || hi < lo || hi >= this.width) {
      designError('width', loc, `bits(${hi}, ${lo}) is outside ${this.type} (valid bits are ${this.width - 1}..0)`);
    }
    if (lo === 0 && hi === this.width - 1 && this.type.kind === 'uint') return this;
    return new Expr(UInt(hi - lo + 1), 'slice', [this], loc, { hi, lo });
  }
  /** Bit i as a Bool. */
  bit(i: number): Expr {
    const loc = captureLoc();
    if (!Number.isInteger(i) || i < 0 || i >= this.width) designError('width', loc, `bit(${i}) is outside ${this.type} (valid bits are ${this.width - 1}..0)`);
    if (this.width === 1) return castTo(this, 'bool', loc);
    return new Expr(Bool(), 'slice', [this], loc, { hi: i, lo: i });
  }
  /** The most significant bit (the sign of an SInt). */
  msb(): Expr {
    return this.bit(this.width - 1);
  }

  // ---- conversions ------------------------------------------------------
  /** Zero- or sign-extends (by the signal's own signedness) or drops high bits to `width`. */
  resize(width: number): Expr {
    const loc = captureLoc();
    return resizeTo(this, width, loc);
  }
  /** Same bits, read as unsigned. */
  asUInt(): Expr {
    return castTo(this, 'uint', captureLoc());
  }
  /** Same bits, read as two's complement. */
  asSInt(): Expr {
    return castTo(this, 'sint', captureLoc());
  }
  /** A 1-bit value as Bool. */
  asBool(): Expr {
    const loc = captureLoc();
    if (this.width !== 1) designError('width', loc, `asBool() needs a 1-bit value, got ${this.type}; compare instead, e.g. x.ne(0)`);
    return castTo(this, 'bool', loc);
  }
  /** The same value as an SInt (UInt gains a zero sign bit). */
  toSInt(): Expr {
    const loc = captureLoc();
    if (this.type.kind === 'sint') return this;
    return castTo(resizeTo(castTo(this, 'uint', loc), this.width + 1, loc), 'sint', loc);
  }
}

/** A named wire, register or port. Reading it is an expression; `set` drives it. */
export class Signal extends Expr {
  readonly signalOwner: SignalOwner;
  constructor(
    type: Ground,
    readonly name: string,
    readonly kind: SignalKind,
    owner: SignalOwner,
    loc: SourceLoc,
    /** Register reset value (registers only). */
    readonly resetValue?: bigint,
  ) {
    super(type, 'ref', [], loc);
    this.signalOwner = owner;
    (this as { owner: SignalOwner | undefined }).owner = owner;
  }
  /**
   * Drive this signal: a combinational assignment for wires and outputs, the next
   * value for registers. Later assignments win, as in Chisel; use when() to guard.
   */
  set(value: Operand): void {
    this.signalOwner.assign(this, value, captureLoc());
  }
  override toString(): string {
    return `${this.name}: ${this.type}`;
  }
}

// ---- construction helpers ----------------------------------------------

export function constant(value: bigint, type: Ground, loc: SourceLoc): Expr {
  const fits = type.kind === 'sint'
    ? signedBitsFor(value) <= type.width
    : value >= 0n && unsignedBitsFor(value) <= type.width;
  if (!fits) designError('width', loc, `constant ${value} does not fit in ${type}`);
  return new Expr(type, 'const', [], loc, { value });
}

/** Literal of a given type: `lit(5, UInt(8))`. */
export function lit(value: number | bigint | boolean, type?: Ground): Expr {
  const loc = captureLoc();
  if (typeof value === 'boolean') return constant(value ? 1n : 0n, type ?? Bool(), loc);
  const v = toBigInt(value, loc);
  return constant(v, type ?? (v < 0n ? SInt(signedBitsFor(v)) : UInt(unsignedBitsFor(v))), loc);
}

function toBigInt(value: number | bigint, loc: SourceLoc): bigint {
  if (typeof value === 'bigint') return value;
  if (!Number.isSafeInteger(value)) designError('type', loc, `constant ${value} is not a safe integer; pass a bigint`);
  return BigInt(value);
}

/** Turns a number into a constant shaped like `like` (the other operand). */
export function lift(v: Operand, like: Ground | undefined, loc: SourceLoc): Expr {
  if (v instanceof Expr) return v;
  if (typeof v === 'boolean') return constant(v ? 1n : 0n, Bool(), loc);
  const n = toBigInt(v, loc);
  if (like?.kind === 'sint') return constant(n, SInt(signedBitsFor(n)), loc);
  if (n < 0n) designError('type', loc, `negative constant ${n} used with ${like ?? 'an unsigned value'}; use an SInt operand`);
  if (like?.kind === 'bool' && n <= 1n) return constant(n, Bool(), loc);
  return constant(n, UInt(unsignedBitsFor(n)), loc);
}

function describe(e: Expr): string {
  return e instanceof Signal ? `${e.name} (${e.type})` : e.op === 'const' ? `constant ${e.param.value} (${e.type})` : `${e.type} value`;
}

function sameKind(what: string, a: Expr, bIn: Operand, loc: SourceLoc, allowBool: boolean): [Expr, Expr] {
  const b = lift(bIn, a.type, loc);
  const ka = a.type.kind;
  const kb = b.type.kind;
  if (!allowBool && (ka === 'bool' || kb === 'bool')) {
    designError('type', loc, `${what} on a Bool (${describe(ka === 'bool' ? a : b)}); convert with .asUInt() first`);
  }
  const norm = (k: string): string => (k === 'bool' && allowBool ? 'uint' : k);
  if (norm(ka) !== norm(kb)) {
    designError('type', loc, `${what} mixes ${describe(a)} and ${describe(b)}; convert one side with .toSInt() or .asUInt()`);
  }
  return [a, b];
}

function arith(op: 'add' | 'sub', a: Expr, b: Operand, grow: number): Expr {
  const loc = captureLoc();
  const [x, y] = sameKind(op, a, b, loc, false);
  return new Expr(Ground.make(x.type.kind, Math.max(x.width, y.width) + grow), op, [x, y], loc);
}

function bitwise(op: 'and' | 'or' | 'xor', a: Expr, b: Operand): Expr {
  const loc = captureLoc();
  const [x, y] = sameKind(op, a, b, loc, true);
  const kind = x.type.kind === 'bool' && y.type.kind === 'bool' ? 'bool' : x.type.kind === 'bool' ? y.type.kind : x.type.kind;
  return new Expr(Ground.make(kind, Math.max(x.width, y.width)), op, [x, y], loc);
}

function compare(op: CompareOp, a: Expr, b: Operand): Expr {
  const loc = captureLoc();
  const [x, y] = sameKind(op, a, b, loc, op === 'eq' || op === 'ne');
  const e = new Expr(Bool(), op, [x, y], loc);
  const outcome = comparisonOutcome(e);
  if (outcome !== undefined) designWarning('constant', loc, `${op}(${describe(x)}, ${describe(y)}) is always ${outcome}: ${whyConstant(x, y)}; drop it or widen the signal`);
  return e;
}

/** Why a comparison cannot change, in the words of its operands. */
function whyConstant(x: Expr, y: Expr): string {
  const numberOf = (e: Expr, k: bigint): bigint => (e.type.signed ? fromSigned(k, e.width) : k);
  const fixed = (e: Expr, k: bigint): string => (e.op === 'const' ? `${numberOf(e, k)}` : `the ${e.type} side, which is ${numberOf(e, k)} whatever the inputs (its structure fixes every bit)`);
  const kx = knownValue(x);
  const ky = knownValue(y);
  if (kx !== undefined && ky !== undefined) return `it compares ${fixed(x, kx)}${x.op === 'const' ? '' : ','} with ${fixed(y, ky)}`;
  const [v, c, k] = kx !== undefined ? [y, x, kx] : [x, y, ky!];
  return `${describe(v)} only takes values ${rangeOf(v).join('..')}, so the comparison with ${fixed(c, k)}${c.op === 'const' ? '' : ','} cannot change`;
}

function checkShift(n: number, loc: SourceLoc, max: number): void {
  if (!Number.isInteger(n) || n < 0 || n > max) designError('width', loc, `shift amount ${n} must be an integer from 0 to ${max}`);
}

export function castTo(e: Expr, kind: 'uint' | 'sint' | 'bool', loc: SourceLoc): Expr {
  if (e.type.kind === kind) return e;
  if (kind === 'bool' && e.width !== 1) designError('width', loc, `cannot read ${describe(e)} as Bool`);
  return new Expr(Ground.make(kind, e.width), 'cast', [e], loc);
}

export function resizeTo(e: Expr, width: number, loc: SourceLoc): Expr {
  if (!Number.isInteger(width) || width < 1) designError('width', loc, `resize width must be a positive integer, got ${width}`);
  if (width === e.width && e.type.kind !== 'bool') return e;
  const kind = e.type.kind === 'bool' ? 'uint' : e.type.kind;
  if (width < e.width) {
    return castTo(new Expr(UInt(width), 'slice', [e], loc, { hi: width - 1, lo: 0 }), kind, loc);
  }
  return new Expr(Ground.make(kind, width), 'extend', [e], loc);
}

/** `sel ? whenTrue : whenFalse`; both sides must have the same signedness. */
export function mux(sel: Expr, whenTrue: Operand, whenFalse: Operand): Expr {
  const loc = captureLoc();
  if (sel.width !== 1) designError('width', loc, `mux select must be 1 bit wide, got ${describe(sel)}; compare it, e.g. sel.ne(0)`);
  const likeT = whenTrue instanceof Expr ? whenTrue.type : whenFalse instanceof Expr ? whenFalse.type : undefined;
  const t = lift(whenTrue, likeT, loc);
  const [a, b] = sameKind('mux', t, lift(whenFalse, t.type, loc), loc, true);
  const kind = a.type.kind === 'bool' && b.type.kind === 'bool' ? 'bool' : a.type.kind === 'bool' ? b.type.kind : a.type.kind;
  return new Expr(Ground.make(kind, Math.max(a.width, b.width)), 'mux', [sel, a, b], loc);
}

/** Concatenation, most significant part first (Verilog `{a, b}`); result is a UInt. */
export function cat(...parts: Expr[]): Expr {
  const loc = captureLoc();
  if (parts.length === 0) designError('width', loc, 'cat() needs at least one part');
  if (parts.length === 1) return castTo(parts[0]!, 'uint', loc);
  return new Expr(UInt(parts.reduce((s, p) => s + p.width, 0)), 'concat', parts, loc);
}

/**
 * Element `index` of a vector of expressions (index values past the end read the last element).
 * A table longer than the index can address is an error: its tail could never be read.
 * Built as a balanced tree on the index bits, not a chain of compares: Yosys keeps a
 * chain as it is, and a 64-entry select then becomes 64 LUT levels.
 */
export function select(index: Expr, items: readonly Operand[]): Expr {
  const loc = captureLoc();
  if (items.length === 0) designError('width', loc, 'select() needs at least one item');
  if (index.type.kind !== 'uint') designError('type', loc, `select index must be a UInt, got ${describe(index)}`);
  if (index.width < 31 && items.length > 2 ** index.width) {
    designError('index', loc, `select() has ${items.length} entries but its index ${describe(index)} addresses only ${2 ** index.width} (0..${2 ** index.width - 1}); widen the index to ${Math.ceil(Math.log2(items.length))} bits or shorten the table`);
  }
  const like = items.find((i): i is Expr => i instanceof Expr)?.type;
  const leaves = items.map((i) => lift(i, like, loc));
  const last = leaves[leaves.length - 1]!;
  const n = leaves.length;
  const treeBits = Math.min(index.width, Math.ceil(Math.log2(n)));
  // Items base … base + 2^(bit+1) − 1, chosen by index bits bit … 0; entries past the end read as the last item.
  const tree = (bit: number, base: number): Expr => {
    if (bit < 0) return base < n ? leaves[base]! : last;
    const lo = tree(bit - 1, base);
    const hi = base + 2 ** bit < n ? tree(bit - 1, base + 2 ** bit) : last;
    return hi === lo ? lo : mux(index.bit(bit), hi, lo);
  };
  const low = tree(treeBits - 1, 0);
  if (index.width === treeBits || low === last) return low;
  return mux(index.bits(index.width - 1, treeBits).ne(0), last, low);
}

export function describeSignal(s: Signal): string {
  return `${s.name} (${s.type}, declared at ${formatLoc(s.loc)})`;
}
