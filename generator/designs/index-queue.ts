/**
 * The compacted (index, value) queue: thresholded beats wait in a block-RAM FIFO
 * with their visit bitmap, and the picker at its head emits one token
 * (j, g'_j) per cycle, lowest j first, moving to the next beat in the same cycle
 * it emits the last bit of the current one, so there is no bubble between beats.
 */
import { cat, lit, select } from '../core/expr.ts';
import { defineModule } from '../core/module.ts';
import { Bool, Bundle, UInt, log2Up } from '../core/types.ts';
import { bramQueue } from '../lib/queues.ts';
import { atMostOneSet, lane, lowestSet } from './hw.ts';
import type { EngineParams } from './params.ts';

export function indexQueue(p: EngineParams, prefix: string) {
  return defineModule(`${prefix}_index_queue`, (m) => {
    const io = {
      in_valid: m.input('in_valid', Bool()),
      in_ready: m.output('in_ready', Bool()),
      in_vals: m.input('in_vals', UInt(p.P * p.gBits)),
      in_visit: m.input('in_visit', UInt(p.P)),
      in_beat: m.input('in_beat', UInt(p.beatBits)),
      in_last: m.input('in_last', Bool()),
      /**
       * Registered: the queue had room for four more beats a cycle ago, so it has room for the
       * three the threshold unit may still push (its two stages and the beat it takes in now).
       */
      in_room: m.output('in_room', Bool()),
      tok_valid: m.output('tok_valid', Bool()),
      tok_ready: m.input('tok_ready', Bool()),
      tok_j: m.output('tok_j', UInt(p.jBits)),
      tok_g: m.output('tok_g', UInt(p.gBits)),
      /** Last token of its vector. */
      tok_eov: m.output('tok_eov', Bool()),
      /** End of a vector whose last beat had nothing to visit: no row. */
      tok_rowless: m.output('tok_rowless', Bool()),
    };
    const entry = Bundle({ vals: UInt(p.P * p.gBits), visit: UInt(p.P), beat: UInt(p.beatBits) });
    const q = bramQueue(m, 'beats', { payload: entry, last: true }, p.queueDepth);
    q.in.valid.set(io.in_valid);
    q.in.setPayload({ vals: io.in_vals, visit: io.in_visit, beat: io.in_beat });
    q.in.last!.set(io.in_last);
    io.in_ready.set(q.in.ready);
    io.in_room.set(m.regNext('beats_room', q.count.le(q.depth - 4), { reset: true }));

    const held = m.reg('head_valid', Bool(), { reset: false });
    const vals = m.reg('head_vals', UInt(p.P * p.gBits));
    const visit = m.reg('head_visit', UInt(p.P));
    const beat = m.reg('head_beat', UInt(p.beatBits));
    const last = m.reg('head_last', Bool());

    const bits = Array.from({ length: p.P }, (_, i) => visit.bit(i));
    const idx = m.named('pick', lowestSet(bits));
    // x & (x − 1) clears the lowest set bit.
    const rest = m.named('rest', p.P > 1 ? visit.and(visit.subWrap(1)) : lit(0, UInt(1)));
    const empty = m.named('head_empty', visit.eq(0));
    // The head's last visit (rest = 0), without rest's subtraction: it began the path through the
    // pop into the beat queue's read pointer.
    const lastVisit = m.named('head_last_visit', atMostOneSet(bits));
    const emit = m.named('emit', held.and(io.tok_ready));
    const headDone = m.named('head_done', held.not().or(emit.and(lastVisit)));

    io.tok_valid.set(held);
    io.tok_j.set((p.P > 1 ? cat(beat, idx) : beat).resize(p.jBits));
    io.tok_g.set(select(idx.resize(log2Up(p.P)), Array.from({ length: p.P }, (_, i) => lane(vals, i, p.gBits))));
    io.tok_eov.set(last.and(lastVisit));
    io.tok_rowless.set(empty);

    q.out.ready.set(headDone);
    const next = q.out.payload;
    m.when(headDone, () => {
      held.set(q.out.valid);
      vals.set(next.vals);
      visit.set(next.visit);
      beat.set(next.beat);
      last.set(q.out.last!);
    }).elsewhen(emit, () => visit.set(rest));
    return io;
  }, { P: p.P, queueDepth: p.queueDepth });
}
