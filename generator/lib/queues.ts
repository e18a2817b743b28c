/**
 * First-word-fall-through queues built into the calling module (no hierarchy), with
 * a stream at each end: the caller drives `in.valid` and the payload, and `in.ready`
 * says there is room; it reads `out.valid` and the payload, and drives `out.ready`.
 * A beat moves on each side where valid && ready. Both keep tlast, tkeep and tuser
 * with the payload.
 *
 *   regQueue   in flip-flops: the head is readable the cycle after its push. For
 *              shallow queues (tokens, bus beats) where a block RAM would be mostly empty.
 *   shiftQueue in flip-flops like regQueue, but every pop moves the entries one slot
 *              toward the head, so the head is a register and no read select stands
 *              between it and the consumer's logic; the cost is the pop's fan-out into a
 *              mux per stored bit. For a consumer whose first logic on the head is critical.
 *   bramQueue  in one simple-dual-port block RAM: a push is readable two cycles later;
 *              the read address runs one entry ahead when popping, so a pop every cycle
 *              has no bubble and no output register is needed.
 *
 * Capacity is the depth asked for rounded up to a power of two. `count` counts a push
 * at once (also in the block-RAM queue, before the reader sees it), so `count == 0`
 * means nothing is in flight. Unlike fifo() (a module) and queue() (which instantiates
 * it), these add no output register: the block-RAM queue holds exactly its depth.
 */
import { cat, lit, mux, select, type Expr, type Signal } from '../core/expr.ts';
import type { ModuleBuilder } from '../core/module.ts';
import { Bool, UInt, Vec, log2Up } from '../core/types.ts';
import { Stream, dataType, streamWire, type PayloadType, type StreamSpec } from './stream.ts';

export interface InlineQueue<T extends PayloadType = PayloadType> {
  /** Push side: drive valid and the payload; ready is room. */
  in: Stream<T>;
  /** Pop side: valid and the payload of the head; drive ready. */
  out: Stream<T>;
  /** Beats held, pushes counted at once. */
  count: Signal;
  /** Nothing held and nothing in flight (count = 0), without the count's subtraction where the queue can avoid it. */
  empty: Expr;
  full: Expr;
  depth: number;
}

const nextPow2 = (n: number): number => 2 ** log2Up(Math.max(2, n));

/** The word a queue stores: payload at the LSBs, then tlast, tkeep, tuser. */
function storedParts(s: Stream): Signal[] {
  return [s.data, s.last, s.keep, s.user].filter((x): x is Signal => x !== undefined);
}

/** The output stream: the head word's fields under the stream's names, and a ready the caller drives. */
function outStream<T extends PayloadType>(m: ModuleBuilder, name: string, spec: StreamSpec<T>, valid: Expr, word: Expr, ready: Signal): Stream<T> {
  let at = 0;
  const field = (n: string, width: number, as: (bits: Expr) => Expr): Signal => {
    const s = m.named(`${name}_${n}`, as(word.bits(at + width - 1, at)));
    at += width;
    return s;
  };
  const t = dataType(spec.payload);
  const data = field('data', t.width, (b) => (t.kind === 'sint' ? b.asSInt() : t.kind === 'bool' ? b.asBool() : b));
  const last = spec.last ? field('last', 1, (b) => b.asBool()) : undefined;
  const keep = spec.keep ? field('keep', spec.keep, (b) => b) : undefined;
  const user = spec.user ? field('user', spec.user, (b) => b) : undefined;
  return new Stream(`${name}.out`, spec, 'wire', m.named(`${name}_valid`, valid), ready, data, last, keep, user);
}

/** The push side: wires `<name>_in_*` the caller drives. */
function inStream<T extends PayloadType>(m: ModuleBuilder, name: string, spec: StreamSpec<T>): { in: Stream<T>; word: Expr; width: number } {
  const input = streamWire(m, `${name}_in`, spec);
  const parts = storedParts(input);
  return { in: input, word: cat(...[...parts].reverse().map((p) => p.asUInt())), width: parts.reduce((n, p) => n + p.width, 0) };
}

/** A queue in flip-flops, read combinationally at the read pointer (see the file comment). */
export function regQueue<T extends PayloadType>(m: ModuleBuilder, name: string, spec: StreamSpec<T>, depthWanted: number): InlineQueue<T> {
  const depth = nextPow2(depthWanted);
  const pw = log2Up(depth);
  const { in: input, word, width } = inStream(m, name, spec);
  const slots = m.reg(`${name}_slot`, Vec(depth, UInt(width)));
  const wptr = m.reg(`${name}_wptr`, UInt(pw), { reset: 0 });
  const rptr = m.reg(`${name}_rptr`, UInt(pw), { reset: 0 });
  const count = m.reg(`${name}_count`, UInt(pw + 1), { reset: 0 });
  const full = count.eq(depth);
  input.ready.set(full.not());
  const push = m.named(`${name}_push`, input.fire());
  const out = outStream(m, name, spec, count.ne(0), select(rptr, slots), m.wire(`${name}_pop_ready`, Bool()));
  const pop = m.named(`${name}_pop`, out.fire());
  m.when(push, () => {
    slots.forEach((s, i) => m.when(wptr.eq(lit(i, UInt(pw))), () => s.set(word)));
    wptr.set(wptr.addWrap(1));
  });
  m.when(pop, () => rptr.set(rptr.addWrap(1)));
  m.when(push.and(pop.not()), () => count.set(count.addWrap(1))).elsewhen(pop.and(push.not()), () => count.set(count.subWrap(1)));
  m.assert(count.le(depth), `FIFO ${name}: count within its depth ${depth}`);
  m.assert(wptr.subWrap(rptr).eq(count.resize(pw)), `FIFO ${name}: count equals write pointer minus read pointer`);
  return { in: input, out, count, empty: count.eq(0), full, depth };
}

/** A queue in flip-flops whose head is always the first slot (see the file comment). */
export function shiftQueue<T extends PayloadType>(m: ModuleBuilder, name: string, spec: StreamSpec<T>, depthWanted: number): InlineQueue<T> {
  const depth = nextPow2(depthWanted);
  const { in: input, word, width } = inStream(m, name, spec);
  const slots = m.reg(`${name}_slot`, Vec(depth, UInt(width)));
  // Fill as a thermometer code (held[i]: slot i holds an entry) rather than a count: the head's
  // valid is a flip-flop, and the pop reaches each flag through one 2:1 choice, where a count
  // put a compare in front of the consumer and an adder's enable behind its pop.
  const held = m.reg(`${name}_held`, Vec(depth, Bool()), { reset: false });
  const full = held[depth - 1]!;
  input.ready.set(full.not());
  const push = m.named(`${name}_push`, input.fire());
  const out = outStream(m, name, spec, held[0]!, slots[0]!, m.wire(`${name}_pop_ready`, Bool()));
  const pop = m.named(`${name}_pop`, out.fire());
  const heldAt = (i: number): Expr => (i < 0 ? lit(true, Bool()) : i >= depth ? lit(false, Bool()) : held[i]!);
  // Slot i is where a push lands when i entries are held.
  const landsAt = (i: number): Expr => heldAt(i - 1).and(heldAt(i).not());
  // A slot past the fill holds nothing, so it may take the input word whether or not a push
  // comes: each slot loads the word where a push would land (or one slot nearer the head while
  // the head leaves), else shifts on a pop. Only the last 2:1 choice hangs on the pop (the
  // consumer's, often long, path), and none at all in the last slot.
  slots.forEach((slot, i) => {
    const keepOrLand = mux(landsAt(i), word, slot);
    slot.set(i + 1 < depth ? mux(pop, mux(landsAt(i + 1), word, slots[i + 1]!), keepOrLand) : keepOrLand);
    held[i]!.set(mux(pop, heldAt(i + 1).or(push.and(heldAt(i))), heldAt(i).or(push.and(heldAt(i - 1)))));
  });
  const count = m.named(`${name}_count`, held.map((h) => h.asUInt().resize(log2Up(depth) + 1)).reduce((x, y) => x.addWrap(y)));
  m.assert(held.slice(1).map((h, i) => h.not().or(held[i]!)).reduce((x, y) => x.and(y)), `FIFO ${name}: the held flags fill from the head`);
  return { in: input, out, count, empty: held[0]!.not(), full, depth };
}

/** A queue in one block RAM, the read address one entry ahead while popping (see the file comment). */
export function bramQueue<T extends PayloadType>(m: ModuleBuilder, name: string, spec: StreamSpec<T>, depthWanted: number): InlineQueue<T> {
  const depth = nextPow2(depthWanted);
  const pw = log2Up(depth);
  const { in: input, word, width } = inStream(m, name, spec);
  // A same-cycle hit only happens on an entry `valid` does not show yet, so its read data is never used.
  const mem = m.memory(`${name}_ram`, UInt(width), depth, { readUnderWrite: 'undefined' });
  const wptr = m.reg(`${name}_wptr`, UInt(pw + 1), { reset: 0 });
  const wptrSeen = m.reg(`${name}_wptr_seen`, UInt(pw + 1), { reset: 0 });
  const rptr = m.reg(`${name}_rptr`, UInt(pw + 1), { reset: 0 });
  const count = m.named(`${name}_count`, wptr.subWrap(rptr));
  // Full when the pointers differ only in their wrap bit: an equality, where count = depth put a
  // subtraction's carry chain in front of the producer's ready.
  const full = m.named(`${name}_full`, wptr.bit(pw).ne(rptr.bit(pw)).and(wptr.bits(pw - 1, 0).eq(rptr.bits(pw - 1, 0))));
  m.assert(full.eq(count.eq(depth)), `FIFO ${name}: full exactly when it holds ${depth} entries`);
  // Empty by pointer equality too: count = 0 put the subtraction's carry chain in front of its user
  // (the G writer's idle, and behind it DONE).
  const empty = wptr.eq(rptr);
  m.assert(empty.eq(count.eq(0)), `FIFO ${name}: empty exactly when it holds nothing`);
  input.ready.set(full.not());
  const push = m.named(`${name}_push`, input.fire());
  m.when(push, () => {
    mem.write(wptr.bits(pw - 1, 0), word);
    wptr.set(wptr.addWrap(1));
  });
  wptrSeen.set(wptr);
  // The pop decides the read address, and the pop needs the head's valid only: no loop through the data.
  const valid = wptrSeen.ne(rptr);
  const ready = m.wire(`${name}_pop_ready`, Bool());
  const pop = m.named(`${name}_pop`, valid.and(ready));
  const nextR = m.named(`${name}_rnext`, rptr.addWrap(1));
  const raddr = m.named(`${name}_raddr`, mux(pop, nextR, rptr).bits(pw - 1, 0));
  const head = mem.read(raddr, `${name}_head`);
  m.when(pop, () => rptr.set(nextR));
  const out = outStream(m, name, spec, valid, head, ready);
  m.assert(count.le(depth), `FIFO ${name}: count within its depth ${depth}`);
  m.assert(wptrSeen.subWrap(rptr).le(count), `FIFO ${name}: the entries the reader sees were all pushed`);
  m.assert(wptr.subWrap(wptrSeen).le(1), `FIFO ${name}: the reader's copy of the write pointer lags by at most one push`);
  return { in: input, out, count, empty, full, depth };
}
