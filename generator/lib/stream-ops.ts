/**
 * Stream operators, built in the calling module: queue, map, fork, join, arbiter,
 * widthConvert (pipe and skid are in stages.ts). Each reads its input streams (valid,
 * payload, tlast, tkeep, tuser), drives their ready, and returns streams the caller
 * reads and whose ready it drives. No operator drops tlast, tkeep or tuser silently:
 * one it cannot carry is a design error at the caller's line.
 */
import { designError } from '../core/errors.ts';
import { Expr, cat, lit, mux, select, type Operand, type Signal } from '../core/expr.ts';
import { captureLoc, type SourceLoc } from '../core/loc.ts';
import type { ModuleBuilder } from '../core/module.ts';
import { Bool, Bundle, Ground, UInt, log2Up, type HwType } from '../core/types.ts';
import { connectStreams, sameType, streamWire, typeName, Stream, type PayloadOf, type PayloadType, type StreamSpec } from './stream.ts';
import { fifo } from './fifo.ts';
import { fixType, type FixFormat } from './fixed.ts';

/** The same stream under another name (for messages). */
function renamed<T extends PayloadType>(s: Stream<T>, name: string): Stream<T> {
  return new Stream(name, s.spec, s.flow, s.valid, s.ready, s.data, s.last, s.keep, s.user);
}

/**
 * A FIFO of `depth` beats between `input` and the returned stream: 'bram' storage
 * (block RAM, capacity depth + 1, one cycle more latency) or 'registers'.
 */
export function queue<T extends PayloadType>(m: ModuleBuilder, name: string, input: Stream<T>, depth: number, options: { storage?: 'bram' | 'registers' } = {}): Stream<T> {
  const loc = captureLoc();
  const { spec } = input;
  const u = m.instance(name, fifo({ data: spec.payload, depth, storage: options.storage ?? 'bram', last: spec.last ?? false, ...(spec.keep ? { keep: spec.keep } : {}), ...(spec.user ? { user: spec.user } : {}) }));
  connectStreams(input, u.in, loc);
  m.unused(u.count);
  return renamed(u.out, `${name}.out`);
}

/**
 * A combinational stage: the payload through `fn`, as a stream of type `to`; tlast,
 * tkeep and tuser pass unchanged; valid and ready pass through.
 */
export function map<T extends PayloadType, U extends PayloadType>(m: ModuleBuilder, name: string, input: Stream<T>, to: U, fn: (payload: PayloadOf<T>) => PayloadOf<U> | Expr | Operand): Stream<U> {
  const out = streamWire(m, name, { ...input.spec, payload: to });
  out.valid.set(input.valid);
  out.setPayload(fn(input.payload) as PayloadOf<U>);
  passSideband(input, out);
  input.ready.set(out.ready);
  return out;
}

function passSideband(from: Stream, to: Stream): void {
  if (from.last) to.last!.set(from.last);
  if (from.keep) to.keep!.set(from.keep);
  if (from.user) to.user!.set(from.user);
}

/**
 * `n` copies of the input stream. Each output takes each beat once, at its own pace;
 * the input moves on when every output has taken the beat (SpinalHDL's eager fork).
 */
export function fork<T extends PayloadType>(m: ModuleBuilder, name: string, input: Stream<T>, n: number): Stream<T>[] {
  const loc = captureLoc();
  if (!Number.isInteger(n) || n < 2) designError('interface', loc, `fork() makes at least 2 copies, got ${n}`);
  const outs = Array.from({ length: n }, (_, i) => streamWire(m, `${name}_${i}`, input.spec));
  const done = outs.map((_, i) => m.reg(`${name}_done_${i}`, Bool(), { reset: 0 }) as Signal);
  outs.forEach((o, i) => {
    o.valid.set(input.valid.and(done[i]!.not()));
    o.data.set(input.data);
    passSideband(input, o);
  });
  const taken = outs.map((o, i) => done[i]!.or(o.ready));
  input.ready.set(m.named(`${name}_all_taken`, taken.reduce((a, b) => a.and(b))));
  outs.forEach((o, i) => {
    m.when(input.fire(), () => done[i]!.set(false)).elsewhen(o.fire(), () => done[i]!.set(true));
  });
  return outs;
}

type Joined<S extends Record<string, Stream>> = { [K in keyof S]: S[K] extends Stream<infer T> ? (T extends FixFormat ? Ground : T) : never };

/**
 * One stream of Bundle({k: payload of inputs[k]}) that moves a beat when every input
 * has one. Inputs carrying tlast need `lastFrom`, the input whose tlast the output
 * takes (the others' are read by nothing, on purpose); tkeep and tuser cannot be joined.
 */
export function join<S extends Record<string, Stream>>(m: ModuleBuilder, name: string, inputs: S, options: { lastFrom?: keyof S & string } = {}): Stream<ReturnType<typeof Bundle<Joined<S>>>> {
  const loc = captureLoc();
  const keys = Object.keys(inputs);
  if (keys.length < 2) designError('interface', loc, `join() needs at least 2 streams, got ${keys.length}`);
  for (const k of keys) {
    const s = inputs[k]!;
    if (s.keep || s.user) designError('interface', loc, `join(): stream ${s.name} carries ${s.keep ? 'tkeep' : 'tuser'}, which join cannot merge; map it into the payload first`);
  }
  const withLast = keys.filter((k) => inputs[k]!.last);
  if (withLast.length && options.lastFrom === undefined) {
    designError('interface', loc, `join(): ${withLast.map((k) => inputs[k]!.name).join(', ')} carr${withLast.length > 1 ? 'y' : 'ies'} tlast, which the joined stream would lose; pass { lastFrom: '${withLast[0]}' } to keep one`);
  }
  if (options.lastFrom !== undefined && !inputs[options.lastFrom]?.last) designError('interface', loc, `join(): lastFrom '${options.lastFrom}' names no input that carries tlast`);
  const fields: Record<string, HwType> = {};
  for (const k of keys) {
    const p = inputs[k]!.spec.payload;
    fields[k] = 'intBits' in p ? fixType(p as FixFormat) : (p as HwType);
  }
  const type = Bundle(fields) as ReturnType<typeof Bundle<Joined<S>>>;
  const out = streamWire(m, name, { payload: type, last: options.lastFrom !== undefined });
  const all = m.named(`${name}_all_valid`, keys.map((k) => inputs[k]!.valid as Expr).reduce((a, b) => a.and(b)));
  out.valid.set(all);
  // Bundle fields are packed first field at the LSBs, as each input's own data already is.
  out.data.set(cat(...keys.map((k) => inputs[k]!.data.asUInt()).reverse()));
  if (options.lastFrom !== undefined) out.last!.set(inputs[options.lastFrom]!.last!);
  for (const k of withLast) if (k !== options.lastFrom) m.unused(inputs[k]!.last!);
  for (const k of keys) inputs[k]!.ready.set(out.ready.and(all));
  return out;
}

/**
 * Merge streams of one type into one. 'round-robin' (default) starts looking after the
 * input served last; 'priority' always prefers the lowest index. A beat on offer holds
 * the grant until it is taken (the transfer rule), and with tlast a packet is never
 * interleaved: the grant holds from its first beat to its last.
 */
export function arbiter<T extends PayloadType>(m: ModuleBuilder, name: string, inputs: readonly Stream<T>[], options: { policy?: 'round-robin' | 'priority' } = {}): Stream<T> {
  const loc = captureLoc();
  const n = inputs.length;
  if (n < 2) designError('interface', loc, `arbiter() needs at least 2 streams, got ${n}`);
  const first = inputs[0]!;
  for (const s of inputs) checkSameSpec(first, s, 'arbiter()', loc);
  const policy = options.policy ?? 'round-robin';
  const bits = log2Up(n);
  const valids = inputs.map((s) => s.valid as Expr);
  /** The first valid input in the order start, start+1, …, as an index (n − 1 when none). */
  const firstFrom = (start: number): Expr => {
    let pick: Expr = lit((start + n - 1) % n, UInt(bits));
    for (let k = n - 2; k >= 0; k--) {
      const i = (start + k) % n;
      pick = mux(valids[i]!, i, pick);
    }
    return pick;
  };
  const next = policy === 'round-robin' ? m.reg(`${name}_next`, UInt(bits), { reset: 0 }) as Signal : undefined;
  const locked = m.reg(`${name}_locked`, Bool(), { reset: 0 }) as Signal;
  const grant = m.reg(`${name}_grant`, UInt(bits), { reset: 0 }) as Signal;
  const free = next ? select(next, Array.from({ length: n }, (_, s) => firstFrom(s))) : firstFrom(0);
  const chosen = m.named(`${name}_chosen`, mux(locked, grant, free));
  const out = streamWire(m, name, first.spec);
  out.valid.set(select(chosen, valids));
  out.data.set(select(chosen, inputs.map((s) => s.data)));
  if (out.last) out.last.set(select(chosen, inputs.map((s) => s.last!)));
  if (out.keep) out.keep.set(select(chosen, inputs.map((s) => s.keep!)));
  if (out.user) out.user.set(select(chosen, inputs.map((s) => s.user!)));
  inputs.forEach((s, i) => s.ready.set(out.ready.and(chosen.eq(i))));
  const after = (i: Expr): Expr => (n === 2 ** bits ? i.addWrap(1) : mux(i.eq(n - 1), 0, i.addWrap(1)));
  m.when(out.fire(), () => {
    grant.set(chosen);
    if (out.last) {
      locked.set(out.last.not());
      if (next) m.when(out.last, () => next.set(after(chosen)));
    } else {
      locked.set(false);
      next?.set(after(chosen));
    }
  }).elsewhen(out.valid, () => {
    // Offered and not taken: the same input must offer the same beat next cycle.
    locked.set(true);
    grant.set(chosen);
  });
  return out;
}

function checkSameSpec(a: Stream, b: Stream, what: string, loc: SourceLoc): void {
  if (!sameType(a.spec.payload, b.spec.payload)) designError('interface', loc, `${what}: ${a.name} carries ${typeName(a.spec.payload)} but ${b.name} carries ${typeName(b.spec.payload)}`);
  for (const k of ['last', 'keep', 'user'] as const) {
    if ((a[k]?.width ?? 0) !== (b[k]?.width ?? 0)) designError('interface', loc, `${what}: ${a.name} and ${b.name} differ in t${k}`);
  }
}

/**
 * A UInt stream of another width, by a whole ratio. Wider (out = r × in): r beats fill
 * one, the first in the least significant bits; a tlast ends the word early, with the
 * lanes not filled zero and tkeep (bytes; output gains it when the input carries tlast
 * or tkeep) clear for them. Narrower (in = r × out): each beat leaves as r beats, least
 * significant first, tlast on the last of them and tkeep split with the data.
 */
export function widthConvert(m: ModuleBuilder, name: string, input: Stream, outWidth: number): Stream<Ground> {
  const loc = captureLoc();
  const t = input.spec.payload;
  if (!(t instanceof Ground) || t.kind !== 'uint') designError('interface', loc, `widthConvert() takes a UInt stream, got ${typeName(t)}; map it to UInt first`);
  if (input.user) designError('interface', loc, `widthConvert(): stream ${input.name} carries tuser, which has no place in a resized beat; map it into the payload first`);
  const inW = t.width;
  if (outWidth > inW) {
    if (outWidth % inW !== 0) designError('interface', loc, `widthConvert(): ${outWidth} bits is not a whole multiple of ${inW}`);
    return upsize(m, name, input, outWidth / inW, loc);
  }
  if (outWidth < inW) {
    if (inW % outWidth !== 0) designError('interface', loc, `widthConvert(): ${inW} bits is not a whole multiple of ${outWidth}`);
    return downsize(m, name, input, inW / outWidth, loc);
  }
  return renamed(input, input.name) as Stream<Ground>;
}

function upsize(m: ModuleBuilder, name: string, input: Stream, r: number, loc: SourceLoc): Stream<Ground> {
  const inW = input.data.width;
  const lanesHaveKeep = input.last !== undefined || input.keep !== undefined;
  if (lanesHaveKeep && inW % 8 !== 0) designError('interface', loc, `widthConvert(): a stream with tlast or tkeep needs whole bytes to mark the lanes of a short word, but ${input.name} is ${inW} bits`);
  const laneKeep = inW / 8;
  if (input.keep && input.keep.width !== laneKeep) designError('interface', loc, `widthConvert(): tkeep of ${input.name} is ${input.keep.width} bits but ${inW} data bits have ${laneKeep} bytes`);
  const spec: StreamSpec<Ground> = { payload: UInt(inW * r), ...(input.last ? { last: true } : {}), ...(lanesHaveKeep ? { keep: laneKeep * r } : {}) };
  const out = streamWire(m, name, spec);
  const cnt = m.reg(`${name}_lane`, UInt(log2Up(r)), { reset: 0 }) as Signal;
  const stored = Array.from({ length: r - 1 }, (_, j) => m.reg(`${name}_lane${j}`, UInt(inW)) as Signal);
  const storedKeep = input.keep ? Array.from({ length: r - 1 }, (_, j) => m.reg(`${name}_keep${j}`, UInt(laneKeep)) as Signal) : [];
  const complete = m.named(`${name}_complete`, input.last ? cnt.eq(r - 1).or(input.last) : cnt.eq(r - 1));
  const lane = (j: number): Expr => (j < r - 1 ? mux(cnt.eq(j), input.data, mux(cnt.gt(j), stored[j]!, 0)) : mux(cnt.eq(j), input.data, 0));
  const keepOf = (j: number): Expr => {
    const now = input.keep ?? lit1(laneKeep);
    const before = input.keep ? storedKeep[j] ?? now : lit1(laneKeep);
    return j < r - 1 ? mux(cnt.eq(j), now, mux(cnt.gt(j), before, 0)) : mux(cnt.eq(j), now, 0);
  };
  out.valid.set(input.valid.and(complete));
  out.data.set(cat(...Array.from({ length: r }, (_, j) => lane(j).resize(inW)).reverse()));
  if (out.last) out.last.set(input.last!);
  if (out.keep) out.keep.set(cat(...Array.from({ length: r }, (_, j) => keepOf(j).resize(laneKeep)).reverse()));
  input.ready.set(complete.not().or(out.ready));
  m.when(input.fire(), () => {
    m.when(complete, () => cnt.set(0)).otherwise(() => {
      cnt.set(cnt.addWrap(1));
      stored.forEach((s, j) => m.when(cnt.eq(j), () => s.set(input.data)));
      storedKeep.forEach((s, j) => m.when(cnt.eq(j), () => s.set(input.keep!)));
    });
  });
  return out;
}

const lit1 = (w: number): Expr => lit((1n << BigInt(w)) - 1n, UInt(w));

function downsize(m: ModuleBuilder, name: string, input: Stream, r: number, loc: SourceLoc): Stream<Ground> {
  const inW = input.data.width;
  const outW = inW / r;
  if (input.keep && input.keep.width % r !== 0) designError('interface', loc, `widthConvert(): tkeep of ${input.name} (${input.keep.width} bits) does not split into ${r} beats`);
  const spec: StreamSpec<Ground> = { payload: UInt(outW), ...(input.last ? { last: true } : {}), ...(input.keep ? { keep: input.keep.width / r } : {}) };
  const out = streamWire(m, name, spec);
  const cnt = m.reg(`${name}_lane`, UInt(log2Up(r)), { reset: 0 }) as Signal;
  const lastLane = m.named(`${name}_last_lane`, cnt.eq(r - 1));
  out.valid.set(input.valid);
  out.data.set(select(cnt, Array.from({ length: r }, (_, j) => input.data.bits((j + 1) * outW - 1, j * outW))));
  if (out.last) out.last.set(input.last!.and(lastLane));
  if (out.keep) {
    const kw = out.keep.width;
    out.keep.set(select(cnt, Array.from({ length: r }, (_, j) => input.keep!.bits((j + 1) * kw - 1, j * kw))));
  }
  input.ready.set(out.ready.and(lastLane));
  m.when(out.fire(), () => cnt.set(mux(lastLane, 0, cnt.addWrap(1)).resize(cnt.width)));
  return out;
}
