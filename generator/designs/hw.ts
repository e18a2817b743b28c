/**
 * Small building blocks the engine blocks share: FIFOs, packing of records into
 * bit vectors, popcount, saturation, the AXI burst splitter. They build into
 * the calling module (they take its ModuleBuilder), so they add no hierarchy.
 */
import { Expr, Signal, cat, lit, mux, select } from '../core/expr.ts';
import type { ModuleBuilder } from '../core/module.ts';
import { Bool, SInt, UInt, Vec, log2Up } from '../core/types.ts';

const nextPow2 = (n: number): number => 2 ** log2Up(Math.max(2, n));

export interface Fifo {
  /** Driven by the caller: push `wdata` this cycle (only when !full). */
  push: Signal;
  wdata: Signal;
  /** Driven by the caller: drop the head this cycle (only when valid). */
  pop: Signal;
  valid: Expr;
  data: Expr;
  full: Expr;
  /** Entries held (pushes are visible here at once, also in the BRAM FIFO). */
  count: Signal;
  depth: number;
}

/**
 * First-word-fall-through FIFO in flip-flops: the head is readable in the cycle
 * after its push. For shallow queues (tokens, bus beats) where a block RAM
 * would be mostly empty.
 */
export function regFifo(m: ModuleBuilder, name: string, width: number, depthWanted: number): Fifo {
  const depth = nextPow2(depthWanted);
  const pw = log2Up(depth);
  const push = m.wire(`${name}_push`, Bool());
  const pop = m.wire(`${name}_pop`, Bool());
  const wdata = m.wire(`${name}_wdata`, UInt(width));
  const slots = m.reg(`${name}_slot`, Vec(depth, UInt(width)));
  const wptr = m.reg(`${name}_wptr`, UInt(pw), { reset: 0 });
  const rptr = m.reg(`${name}_rptr`, UInt(pw), { reset: 0 });
  const count = m.reg(`${name}_count`, UInt(pw + 1), { reset: 0 });
  m.when(push, () => {
    slots.forEach((s, i) => m.when(wptr.eq(lit(i, UInt(pw))), () => s.set(wdata)));
    wptr.set(wptr.addWrap(1));
  });
  m.when(pop, () => rptr.set(rptr.addWrap(1)));
  m.when(push.and(pop.not()), () => count.set(count.addWrap(1))).elsewhen(pop.and(push.not()), () => count.set(count.subWrap(1)));
  m.assert(count.le(depth), `FIFO ${name}: count within its depth ${depth}`);
  m.assert(wptr.subWrap(rptr).eq(count.resize(pw)), `FIFO ${name}: count equals write pointer minus read pointer`);
  m.assert(push.not().or(count.ne(depth)).or(pop), `FIFO ${name}: no push into a full FIFO (overflow)`);
  m.assert(pop.not().or(count.ne(0)), `FIFO ${name}: no pop from an empty FIFO (underflow)`);
  return { push, wdata, pop, valid: count.ne(0), data: select(rptr, slots), full: count.eq(depth), count, depth };
}

/**
 * First-word-fall-through FIFO in one simple-dual-port block RAM. The read
 * address runs one entry ahead when popping, so the registered read data is
 * always the head and a pop per cycle has no bubble. A push becomes visible to
 * the reader two cycles later (a same-cycle hit reads an undefined word, so
 * `valid` follows a delayed copy of the write pointer).
 */
export function bramFifo(m: ModuleBuilder, name: string, width: number, depthWanted: number): Fifo {
  const depth = nextPow2(depthWanted);
  const pw = log2Up(depth);
  const push = m.wire(`${name}_push`, Bool());
  const pop = m.wire(`${name}_pop`, Bool());
  const wdata = m.wire(`${name}_wdata`, UInt(width));
  // A same-cycle hit only happens on an entry `valid` does not show yet, so its read data is never used.
  const mem = m.memory(`${name}_ram`, UInt(width), depth, { readUnderWrite: 'undefined' });
  const wptr = m.reg(`${name}_wptr`, UInt(pw + 1), { reset: 0 });
  const wptrSeen = m.reg(`${name}_wptr_seen`, UInt(pw + 1), { reset: 0 });
  const rptr = m.reg(`${name}_rptr`, UInt(pw + 1), { reset: 0 });
  const count = m.named(`${name}_count`, wptr.subWrap(rptr));
  m.when(push, () => {
    mem.write(wptr.bits(pw - 1, 0), wdata);
    wptr.set(wptr.addWrap(1));
  });
  wptrSeen.set(wptr);
  const nextR = m.named(`${name}_rnext`, rptr.addWrap(1));
  const raddr = m.named(`${name}_raddr`, mux(pop, nextR, rptr).bits(pw - 1, 0));
  const rdata = mem.read(raddr, `${name}_head`);
  m.when(pop, () => rptr.set(nextR));
  m.assert(count.le(depth), `FIFO ${name}: count within its depth ${depth}`);
  m.assert(wptrSeen.subWrap(rptr).le(count), `FIFO ${name}: the entries the reader sees were all pushed`);
  m.assert(wptr.subWrap(wptrSeen).le(1), `FIFO ${name}: the reader's copy of the write pointer lags by at most one push`);
  m.assert(push.not().or(count.ne(depth)), `FIFO ${name}: no push into a full FIFO (overflow)`);
  m.assert(pop.not().or(wptrSeen.ne(rptr)), `FIFO ${name}: no pop of an entry the reader cannot see (underflow)`);
  return { push, wdata, pop, valid: wptrSeen.ne(rptr), data: rdata, full: count.eq(depth), count, depth };
}

export interface Slot {
  /** Driven by the caller: load `wdata` (only when ready). */
  push: Signal;
  wdata: Signal;
  /** Driven by the caller: the consumer takes the held value this cycle. */
  pop: Signal;
  valid: Signal;
  data: Signal;
  /** Can take a value this cycle: empty, or emptied by this cycle's pop. */
  ready: Expr;
}

/**
 * A one-entry pipeline register with a pass-through ready: full throughput at
 * half the flip-flops of a two-entry FIFO, for the wide bus-beat paths where
 * every stored bit costs a logic cell.
 */
export function pipeSlot(m: ModuleBuilder, name: string, width: number): Slot {
  const push = m.wire(`${name}_push`, Bool());
  const pop = m.wire(`${name}_pop`, Bool());
  const wdata = m.wire(`${name}_wdata`, UInt(width));
  const valid = m.reg(`${name}_valid`, Bool(), { reset: false });
  const data = m.reg(`${name}_data`, UInt(width), { enable: push });
  data.set(wdata);
  m.when(push, () => valid.set(true)).elsewhen(pop, () => valid.set(false));
  m.assert(push.not().or(valid.not()).or(pop), `slot ${name}: no push over a held value that is not taken`);
  m.assert(pop.not().or(valid), `slot ${name}: no pop of an empty slot`);
  return { push, wdata, pop, valid, data, ready: valid.not().or(pop) };
}

/** A record of named unsigned fields packed into one bit vector, first field in the low bits. */
export class Packing<F extends string> {
  readonly width: number;
  private readonly offsets = new Map<F, [number, number]>();
  constructor(fields: readonly (readonly [F, number])[]) {
    let off = 0;
    for (const [name, w] of fields) {
      this.offsets.set(name, [off, w]);
      off += w;
    }
    this.width = off;
  }
  pack(values: Record<F, Expr>): Expr {
    const parts = [...this.offsets.entries()].map(([name, [, w]]) => {
      const v = values[name];
      return v.width === w ? v.asUInt() : v.asUInt().resize(w);
    });
    return cat(...parts.reverse());
  }
  field(packed: Expr, name: F): Expr {
    const [off, w] = this.offsets.get(name)!;
    return packed.bits(off + w - 1, off);
  }
}

/** The i-th `width`-bit slice of a bit vector. */
export function lane(v: Expr, i: number, width: number): Expr {
  return v.bits((i + 1) * width - 1, i * width);
}

/** Number of true bits among `bits`, as UInt(width). */
export function popcount(bits: readonly Expr[], width: number): Expr {
  return bits.map((b) => b.asUInt().resize(width)).reduce((a, b) => a.addWrap(b));
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
  // Beats to the next 4 KiB boundary (a full page when aligned), kept in a register beside
  // the address rather than subtracted from it: that subtraction, the two min compares and
  // the address add in one cycle were the default engine's critical path.
  const toPage = m.reg(`${name}_to_page`, UInt(pageBits + 1));
  const cap = Math.min(256, pageBeats);
  const w = Math.max(beatBits, pageBits + 1, 9);
  // toPage never exceeds a page, so the 256-beat cap only binds where a page holds more beats
  // (a 64-bit bus); elsewhere its compare would sit in series on the address-step path.
  const inPage = umin(left.resize(w), toPage.resize(w));
  const burst = m.named(`${name}_burst`, pageBeats > cap ? umin(inPage, lit(cap, UInt(w))) : inPage);
  const lastOfRow = m.named(`${name}_last_of_row`, burst.eq(left.resize(w)));
  m.when(start, () => {
    busy.set(true);
    addr.set(startAddr);
    left.set(startBeats);
    toPage.set(lit(pageBeats, UInt(pageBits + 1)).subWrap(startAddr.bits(11, offBits).resize(pageBits + 1)));
  }).elsewhen(fire, () => {
    addr.set(addr.addWrap(burst.resize(addrBits).shl(offBits).resize(addrBits)));
    left.set(left.subWrap(burst.resize(beatBits)));
    // A burst ends at the page boundary (next one starts a whole page) or short of it.
    toPage.set(mux(burst.eq(toPage.resize(w)), lit(pageBeats, UInt(pageBits + 1)), toPage.subWrap(burst.resize(pageBits + 1))));
    m.when(lastOfRow, () => busy.set(false));
  });
  return { start, startAddr, startBeats, busy, addr, len: burst.subWrap(1).resize(8), lastOfRow, fire };
}
