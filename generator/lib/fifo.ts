/**
 * Synchronous FIFO on a block-RAM-inferable memory (synchronous read), first-word
 * fall-through: the output register is refilled from memory one cycle after a read
 * is issued, so a beat can leave every cycle. Capacity is depth + 1 (memory + output).
 */
import { mux } from '../core/expr.ts';
import { defineModule, type ModuleDef } from '../core/module.ts';
import { Bool, Ground, UInt, log2Up } from '../core/types.ts';
import { cat } from '../core/expr.ts';
import { streamIn, streamOut, type Stream } from './stream.ts';

export interface FifoConfig {
  data: Ground;
  depth: number;
  last?: boolean;
}

export interface FifoIO {
  in: Stream;
  out: Stream;
  /** Beats held (memory + output register), 0..depth+1. */
  count: import('../core/expr.ts').Signal;
}

export function fifo(cfg: FifoConfig): ModuleDef<FifoIO> {
  const { data, depth } = cfg;
  const last = cfg.last ?? false;
  const kind = data.kind === 'sint' ? 's' : 'u';
  return defineModule(`fifo_${kind}${data.width}_d${depth}${last ? '_last' : ''}`, (m) => {
    const input = streamIn(m, 'in', data, { last });
    const output = streamOut(m, 'out', data, { last });
    const count = m.output('count', UInt(log2Up(depth + 2)));

    const wordBits = data.width + (last ? 1 : 0);
    const addrBits = log2Up(depth);
    // A depth that is not a power of two wraps its pointers explicitly (advance below).
    const mem = m.memory('mem', UInt(wordBits), depth, { addressesInRange: true });
    const wrPtr = m.reg('wr_ptr', UInt(addrBits), { reset: 0 });
    const rdPtr = m.reg('rd_ptr', UInt(addrBits), { reset: 0 });
    const used = m.reg('used', UInt(log2Up(depth + 1)), { reset: 0 });
    const outValid = m.reg('out_valid', Bool(), { reset: 0 });

    const advance = (p: typeof wrPtr) => ((depth & (depth - 1)) === 0 ? p.addWrap(1) : mux(p.eq(depth - 1), 0, p.addWrap(1)));
    const notFull = m.named('not_full', used.ne(depth));
    const push = m.named('push', input.valid.and(notFull));
    // Read ahead whenever the output register is empty or being emptied this cycle.
    const pop = m.named('pop', used.ne(0).and(outValid.not().or(output.ready)));

    input.ready.set(notFull);
    m.when(push, () => {
      const word = input.last ? cat(input.last, input.data) : input.data.asUInt();
      mem.write(wrPtr, word);
      wrPtr.set(advance(wrPtr));
    });
    let word!: ReturnType<typeof mem.read>;
    m.when(pop, () => {
      word = mem.read(rdPtr, 'out_word');
      rdPtr.set(advance(rdPtr));
      outValid.set(true);
    }).elsewhen(output.ready, () => {
      outValid.set(false);
    });
    m.when(push.and(pop.not()), () => {
      used.set(used.addWrap(1));
    }).elsewhen(pop.and(push.not()), () => {
      used.set(used.subWrap(1));
    });

    output.valid.set(outValid);
    const payload = word.bits(data.width - 1, 0);
    output.data.set(data.kind === 'sint' ? payload.asSInt() : data.kind === 'bool' ? payload.asBool() : payload);
    if (output.last) output.last.set(word.bit(data.width));
    count.set(used.add(outValid.asUInt()).resize(count.width));
    return { in: input, out: output, count };
  }, { data: String(data), depth, last });
}
