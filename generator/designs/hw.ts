/**
 * Small building blocks the engine blocks share that are arithmetic rather than
 * interfaces: lane slices, popcount, saturation, the AXI burst splitter. They
 * build into the calling module (they take its ModuleBuilder), so they add no
 * hierarchy. Queues, pipe stages and records in streams come from generator/lib.
 */
import { Expr, Signal, lit, mux } from '../core/expr.ts';
import type { ModuleBuilder } from '../core/module.ts';
import { Bool, SInt, UInt, log2Up } from '../core/types.ts';

/** The i-th `width`-bit slice of a bit vector. */
export function lane(v: Expr, i: number, width: number): Expr {
  return v.bits((i + 1) * width - 1, i * width);
}

/** Number of true bits among `bits`, as UInt(width). */
export function popcount(bits: readonly Expr[], width: number): Expr {
  return bits.map((b) => b.asUInt().resize(width)).reduce((a, b) => a.addWrap(b));
}

/**
 * Whether at most one of `bits` is true, as plain logic (halves combined: neither has two, and
 * not both have one). Written as x & (x − 1) == 0 it becomes a carry chain and a compare.
 */
export function atMostOneSet(bits: readonly Expr[]): Expr {
  const walk = (bs: readonly Expr[]): { any: Expr; atMostOne: Expr } => {
    if (bs.length === 1) return { any: bs[0]!, atMostOne: lit(true, Bool()) };
    const h = bs.length >> 1;
    const a = walk(bs.slice(0, h));
    const b = walk(bs.slice(h));
    return { any: a.any.or(b.any), atMostOne: a.atMostOne.and(b.atMostOne).and(a.any.and(b.any).not()) };
  };
  return walk(bits).atMostOne;
}

/** Index of the lowest true bit (the last when none is set), as UInt(max(1, log2 n)). */
export function lowestSet(bits: readonly Expr[]): Expr {
  const w = log2Up(bits.length);
  let idx: Expr = lit(bits.length - 1, UInt(w));
  for (let i = bits.length - 2; i >= 0; i--) idx = mux(bits[i]!, lit(i, UInt(w)), idx);
  return idx;
}

/** A signed `sum` of any width clamped to the signed range of `width` bits. */
export function saturate(sum: Expr, width: number): Expr {
  const max = lit((1n << BigInt(width - 1)) - 1n, SInt(width));
  const min = lit(-(1n << BigInt(width - 1)), SInt(width));
  if (sum.width <= width) return sum.resize(width);
  if (sum.width === width + 1) {
    // One extra bit: it overflowed exactly when the two top bits differ, and the top bit is the true sign.
    const sign = sum.bit(width);
    return mux(sign.ne(sum.bit(width - 1)), mux(sign, min, max), sum.resize(width));
  }
  return mux(sum.gt(max), max, mux(sum.lt(min), min, sum.resize(width)));
}

/** Smaller of two unsigned values, at the wider width. */
export function umin(a: Expr, b: Expr): Expr {
  const w = Math.max(a.width, b.width);
  return mux(a.lt(b), a.resize(w), b.resize(w));
}

export interface BurstSplitter {
  /** Driven by the caller: start a row at `startAddr` of `startBeats` beats (only when !busy). */
  start: Signal;
  startAddr: Signal;
  startBeats: Signal;
  busy: Signal;
  addr: Signal;
  /** AXI len (beats − 1) of the burst on offer. */
  len: Expr;
  /** This burst ends the row. */
  lastOfRow: Expr;
  /** Driven by the caller: the burst on offer was accepted. */
  fire: Signal;
}

/**
 * Cuts a row of `beats` bus beats into INCR bursts of at most 256 beats that do
 * not cross a 4 KiB boundary. Shared by the read (AR) and write (AW) sides, so a
 * row is written back with exactly the bursts it was read with.
 */
export function burstSplitter(m: ModuleBuilder, name: string, addrBits: number, beatBits: number, busBytes: number): BurstSplitter {
  const offBits = log2Up(busBytes);
  const pageBeats = 4096 / busBytes;
  const pageBits = log2Up(pageBeats);
  const start = m.wire(`${name}_start`, Bool());
  const startAddr = m.wire(`${name}_start_addr`, UInt(addrBits));
  const startBeats = m.wire(`${name}_start_beats`, UInt(beatBits));
  const fire = m.wire(`${name}_fire`, Bool());
  const busy = m.reg(`${name}_busy`, Bool(), { reset: false });
  const addr = m.reg(`${name}_next_addr`, UInt(addrBits));
  const left = m.reg(`${name}_left`, UInt(beatBits));
  const cap = Math.min(256, pageBeats);
  const w = Math.max(beatBits, pageBits + 1, 9);
  // The burst on offer is a register. Only a row's first burst can start inside a page; every
  // later one starts on a page boundary, so its length is min(beats left, the cap), a constant
  // cap. Computed in front of the address add in the same cycle (page distance, two min
  // compares, the add) it was the engine's critical path.
  const burst = m.reg(`${name}_burst`, UInt(w));
  const capped = (v: Expr): Expr => (pageBeats > cap ? umin(v, lit(cap, UInt(w))) : v);
  const toPage = lit(pageBeats, UInt(pageBits + 1)).subWrap(startAddr.bits(11, offBits).resize(pageBits + 1));
  const lastOfRow = m.named(`${name}_last_of_row`, burst.eq(left.resize(w)));
  m.when(start, () => {
    busy.set(true);
    addr.set(startAddr);
    left.set(startBeats);
    burst.set(capped(umin(startBeats.resize(w), toPage.resize(w))));
  }).elsewhen(fire, () => {
    const rest = left.subWrap(burst.resize(beatBits));
    addr.set(addr.addWrap(burst.resize(addrBits).shl(offBits).resize(addrBits)));
    left.set(rest);
    burst.set(umin(rest.resize(w), lit(cap, UInt(w))));
    m.when(lastOfRow, () => busy.set(false));
  });
  return { start, startAddr, startBeats, busy, addr, len: burst.subWrap(1).resize(8), lastOfRow, fire };
}
