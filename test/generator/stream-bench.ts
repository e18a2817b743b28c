/**
 * A bench for stream operators, written in the DSL: each input stream is fed by a
 * source replaying a fixed beat list (it offers a beat when `src<i>_offer` is high and
 * then holds valid and payload until the beat is taken, as the transfer rule demands),
 * each output stream is drained by `sink<j>_ready`. The vector runner drives offers
 * and readies at random; `collect` reads back the beats each output delivered and
 * checks the transfer rule on the way.
 */
import assert from 'node:assert/strict';
import { Bool, UInt, cat, defineModule, log2Up, select, type Expr, type ModuleBuilder, type ModuleDef, type Signal } from '../../generator/index.ts';
import { dataType, streamWire, type Stream, type StreamSpec } from '../../generator/lib/stream.ts';
import type { Vector } from '../../sim/vectors/index.ts';

export interface Beat {
  data: bigint;
  last?: boolean;
  keep?: bigint;
  user?: bigint;
}

/** Bit layout of an output word: data at the LSBs, then last, keep, user. */
export interface WordLayout {
  data: number;
  last: boolean;
  keep: number;
  user: number;
}

export interface Bench {
  def: ModuleDef;
  outputs: WordLayout[];
  inputs: number;
}

const layoutOf = (s: Stream): WordLayout => ({ data: s.data.width, last: s.last !== undefined, keep: s.keep?.width ?? 0, user: s.user?.width ?? 0 });

export function streamOpBench(name: string, specs: readonly StreamSpec[], beats: readonly (readonly Beat[])[], build: (m: ModuleBuilder, sources: Stream[]) => Stream[]): Bench {
  const outputs: WordLayout[] = [];
  const def = defineModule(name, (m) => {
    const io: Record<string, Signal> = {};
    const sources = specs.map((spec, i) => {
      const list = beats[i]!;
      const offer = m.input(`src${i}_offer`, Bool()) as Signal;
      const fired = m.output(`src${i}_fire`, Bool()) as Signal;
      io[offer.name] = offer;
      io[fired.name] = fired;
      const src = streamWire(m, `src${i}`, spec);
      const ptr = m.reg(`src${i}_ptr`, UInt(log2Up(list.length + 1)), { reset: 0 }) as Signal;
      const holding = m.reg(`src${i}_holding`, Bool(), { reset: 0 }) as Signal;
      const valid = m.named(`src${i}_offered`, ptr.lt(list.length).and(holding.or(offer)));
      const rom = (values: readonly bigint[], width: number): Expr => select(ptr, values).resize(width);
      src.valid.set(valid);
      const t = dataType(spec.payload);
      const raw = rom(list.map((b) => b.data), t.width);
      src.data.set(t.kind === 'sint' ? raw.asSInt() : t.kind === 'bool' ? raw.asBool() : raw);
      if (src.last) src.last.set(rom(list.map((b) => (b.last ? 1n : 0n)), 1).asBool());
      if (src.keep) src.keep.set(rom(list.map((b) => b.keep ?? 0n), src.keep.width));
      if (src.user) src.user.set(rom(list.map((b) => b.user ?? 0n), src.user.width));
      const fire = m.named(`src${i}_fired`, valid.and(src.ready));
      fired.set(fire);
      m.when(fire, () => ptr.set(ptr.addWrap(1)));
      holding.set(valid.and(src.ready.not()));
      return src;
    });
    const outs = build(m, sources);
    outs.forEach((s, j) => {
      const ready = m.input(`sink${j}_ready`, Bool()) as Signal;
      const valid = m.output(`out${j}_valid`, Bool()) as Signal;
      const parts = [s.data, s.last, s.keep, s.user].filter((x): x is Signal => x !== undefined).map((x) => x.asUInt());
      const wordSig = m.output(`out${j}_word`, UInt(parts.reduce((n, p) => n + p.width, 0))) as Signal;
      s.ready.set(ready);
      valid.set(s.valid);
      wordSig.set(cat(...parts.reverse()));
      io[ready.name] = ready;
      io[valid.name] = valid;
      io[wordSig.name] = wordSig;
      outputs.push(layoutOf(s));
    });
    return io;
  });
  return { def, outputs, inputs: specs.length };
}

/** Random offers and readies: a phase of heavy backpressure, a mixed phase, then everything open to drain. */
export function randomTraffic(bench: Bench, random: () => number, cycles: number, drain = 200): Vector[] {
  const bit = (p: number): bigint => (random() < p ? 1n : 0n);
  return Array.from({ length: cycles + drain }, (_, c) => {
    const v: Vector = {};
    const open = c >= cycles;
    for (let i = 0; i < bench.inputs; i++) v[`src${i}_offer`] = open ? 1n : bit(0.6);
    for (let j = 0; j < bench.outputs.length; j++) v[`sink${j}_ready`] = open ? 1n : bit(c < cycles / 3 ? 0.25 : 0.6);
    return v;
  });
}

export function decodeWord(word: bigint, l: WordLayout): Beat {
  let w = word;
  const take = (n: number): bigint => {
    const v = w & ((1n << BigInt(n)) - 1n);
    w >>= BigInt(n);
    return v;
  };
  const beat: Beat = { data: take(l.data) };
  if (l.last) beat.last = take(1) === 1n;
  if (l.keep) beat.keep = take(l.keep);
  if (l.user) beat.user = take(l.user);
  return beat;
}

/** Beats each output delivered, checking that a stalled beat stays offered unchanged. */
export function collect(bench: Bench, inputs: readonly Vector[], out: readonly Vector[]): Beat[][] {
  return bench.outputs.map((layout, j) => {
    const got: Beat[] = [];
    out.forEach((o, c) => {
      if (o[`out${j}_valid`] !== 1n) return;
      if (inputs[c]![`sink${j}_ready`] === 1n) got.push(decodeWord(o[`out${j}_word`]!, layout));
      else if (c + 1 < out.length) {
        const n = out[c + 1]!;
        assert.equal(n[`out${j}_valid`], 1n, `output ${j}, cycle ${c + 1}: valid dropped before the beat was taken`);
        assert.equal(n[`out${j}_word`], o[`out${j}_word`], `output ${j}, cycle ${c + 1}: payload changed while stalled`);
      }
    });
    return got;
  });
}

/** Random beats of `bits` data bits, a tlast with probability pLast (the final beat always last when pLast > 0). */
export function randomBeats(random: () => number, n: number, bits: number, opts: { pLast?: number; keep?: number; user?: number } = {}): Beat[] {
  const rnd = (w: number): bigint => {
    let v = 0n;
    for (let i = 0; i < w; i += 16) v |= BigInt(Math.floor(random() * 65536)) << BigInt(i);
    return v & ((1n << BigInt(w)) - 1n);
  };
  return Array.from({ length: n }, (_, i) => ({
    data: rnd(bits),
    ...(opts.pLast !== undefined ? { last: i === n - 1 || random() < opts.pLast } : {}),
    ...(opts.keep ? { keep: rnd(opts.keep) } : {}),
    ...(opts.user ? { user: rnd(opts.user) } : {}),
  }));
}
