/**
 * Synchronous FIFO module for a stream of any payload (with its tlast, tkeep, tuser
 * stored alongside), in one of two storages:
 *   'bram' (default): a block-RAM-inferable memory (synchronous read), first-word
 *     fall-through through an output register refilled one cycle after a read is
 *     issued, so a beat can leave every cycle. Capacity depth + 1.
 *   'registers': a register array read combinationally. Capacity depth.
 */
import { cat, mux, select, type Expr, type Signal } from '../core/expr.ts';
import { captureLoc } from '../core/loc.ts';
import { defineModule, type ModuleDef } from '../core/module.ts';
import { designError } from '../core/errors.ts';
import { Bool, Ground, UInt, Vec, log2Up } from '../core/types.ts';
import { dataType, streamIn, streamOut, typeName, type PayloadType, type Stream, type StreamOptions } from './stream.ts';

export interface FifoConfig<T extends PayloadType = PayloadType> extends StreamOptions {
  /** The payload type. */
  data: T;
  depth: number;
  storage?: 'bram' | 'registers';
}

export interface FifoIO<T extends PayloadType = PayloadType> {
  in: Stream<T>;
  out: Stream<T>;
  /** Beats held, 0..capacity. */
  count: Signal;
}

export function fifo<T extends PayloadType>(cfg: FifoConfig<T>): ModuleDef<FifoIO<T>> {
  const loc = captureLoc();
  const { data, depth } = cfg;
  const storage = cfg.storage ?? 'bram';
  if (!Number.isInteger(depth) || depth < 2) designError('structure', loc, `a FIFO needs a depth of at least 2, got ${depth}`);
  const options: StreamOptions = { last: cfg.last ?? false, ...(cfg.keep ? { keep: cfg.keep } : {}), ...(cfg.user ? { user: cfg.user } : {}) };
  const t = dataType(data);
  const kind = data instanceof Ground ? `${t.kind === 'sint' ? 's' : 'u'}${t.width}` : `p${t.width}`;
  const name = `fifo_${kind}_d${depth}${options.last ? '_last' : ''}${options.keep ? `_k${options.keep}` : ''}${options.user ? `_u${options.user}` : ''}${storage === 'registers' ? '_regs' : ''}`;
  return defineModule(name, (m) => {
    const input = streamIn(m, 'in', data, options);
    const output = streamOut(m, 'out', data, options);
    const count = m.output('count', UInt(log2Up(depth + 2))) as Signal;

    // One storage word: payload at the LSBs, then tlast, tkeep, tuser.
    const parts = [input.data, input.last, input.keep, input.user].filter((s): s is Signal => s !== undefined);
    const wordBits = parts.reduce((n, p) => n + p.width, 0);
    const word = cat(...parts.reverse().map((p) => p.asUInt()));
    const addrBits = log2Up(depth);
    const wrPtr = m.reg('wr_ptr', UInt(addrBits), { reset: 0 }) as Signal;
    const rdPtr = m.reg('rd_ptr', UInt(addrBits), { reset: 0 }) as Signal;
    const advance = (p: Signal) => ((depth & (depth - 1)) === 0 ? p.addWrap(1) : mux(p.eq(depth - 1), 0, p.addWrap(1)));
    const used = m.reg('used', UInt(log2Up(depth + 1)), { reset: 0 }) as Signal;
    const notFull = m.named('not_full', used.ne(depth));
    const push = m.named('push', input.valid.and(notFull));
    input.ready.set(notFull);

    let outWord: Signal;
    let pop: Signal;
    let held: Expr;
    if (storage === 'bram') {
      // A depth that is not a power of two wraps its pointers explicitly (advance above).
      const mem = m.memory('mem', UInt(wordBits), depth, { addressesInRange: true });
      const outValid = m.reg('out_valid', Bool(), { reset: 0 }) as Signal;
      // Read ahead whenever the output register is empty or being emptied this cycle.
      pop = m.named('pop', used.ne(0).and(outValid.not().or(output.ready)));
      m.when(push, () => {
        mem.write(wrPtr, word);
        wrPtr.set(advance(wrPtr));
      });
      let q!: Signal;
      m.when(pop, () => {
        q = mem.read(rdPtr, 'out_word');
        rdPtr.set(advance(rdPtr));
        outValid.set(true);
      }).elsewhen(output.ready, () => {
        outValid.set(false);
      });
      outWord = q;
      output.valid.set(outValid);
      held = used.add(outValid.asUInt());
    } else {
      const regs = m.reg('slots', Vec(depth, UInt(wordBits))) as Signal[];
      m.when(push, () => {
        regs.forEach((r, i) => m.when(wrPtr.eq(i), () => r.set(word)));
        wrPtr.set(advance(wrPtr));
      });
      pop = m.named('pop', used.ne(0).and(output.ready));
      m.when(pop, () => rdPtr.set(advance(rdPtr)));
      outWord = m.named('out_word', select(rdPtr, regs));
      output.valid.set(used.ne(0));
      held = used;
    }
    m.when(push.and(pop.not()), () => {
      used.set(used.addWrap(1));
    }).elsewhen(pop.and(push.not()), () => {
      used.set(used.subWrap(1));
    });

    let at = 0;
    const field = (s: Signal | undefined): void => {
      if (!s) return;
      const bits = outWord.bits(at + s.width - 1, at);
      at += s.width;
      s.set(s.type.kind === 'sint' ? bits.asSInt() : s.type.kind === 'bool' ? bits.asBool() : bits);
    };
    [output.data, output.last, output.keep, output.user].forEach(field);
    count.set(held.resize(count.width));
    return { in: input, out: output, count };
  }, { data: typeName(data), depth, last: options.last ?? false, storage, ...(options.keep ? { keep: options.keep } : {}), ...(options.user ? { user: options.user } : {}) });
}
