/**
 * An N-lane thresholded MAC datapath, the shape of the sparse engine's inner loop:
 * a gradient beat of P values is thresholded (|g| < θ -> 0), one value per cycle is
 * broadcast to N lanes, each lane multiplies it with its weight and saturating-
 * accumulates into a per-lane block-RAM row; a result beat of N accumulators streams
 * out. Lanes are built inline (no hierarchy), which makes it the elaboration benchmark.
 */
import { SInt, UInt, cat, defineModule, log2Up, mux, select, type Expr } from '../index.ts';
import { Fixed, SFix } from '../lib/fixed.ts';
import { skidBuffer } from '../lib/stages.ts';
import { streamIn, streamOut } from '../lib/stream.ts';

export interface LaneDatapathConfig {
  lanes: number;
  perBeat: number;
  gBits: number;
  wBits: number;
  accBits: number;
  /** Accumulator words per lane (columns / lanes). */
  depth: number;
}

export const laneDatapath = (c: LaneDatapathConfig) =>
  defineModule(`lane_datapath_n${c.lanes}_p${c.perBeat}`, (m) => {
    const grad = streamIn(m, 'grad', UInt(c.perBeat * c.gBits), { last: true });
    const weights = m.input('weights', UInt(c.lanes * c.wBits));
    const theta = m.input('theta', UInt(c.gBits));
    const column = m.input('column', UInt(log2Up(c.depth)));
    const res = streamOut(m, 'res', UInt(c.lanes * c.accBits), { last: true });

    // Input side: a skid buffer, then the threshold on all P values of the beat.
    const beat = skidBuffer(m, 'grad_skid', grad);
    const kept = Array.from({ length: c.perBeat }, (_, i) => {
      const g = beat.data.bits((i + 1) * c.gBits - 1, i * c.gBits).asSInt();
      const magnitude = m.named(`g${i}_abs`, mux(g.msb(), g.neg().asUInt(), g.toSInt().asUInt()).resize(c.gBits + 1));
      return m.named(`g${i}_kept`, mux(magnitude.lt(theta), 0, g));
    });

    // Serialize the beat: one value per cycle to all lanes.
    const slot = m.reg('slot', UInt(log2Up(c.perBeat)), { reset: 0 });
    const lastSlot = m.named('last_slot', slot.eq(c.perBeat - 1));
    const busy = m.named('busy', beat.valid);
    const advance = m.named('advance', busy.and(res.ready));
    beat.ready.set(advance.and(lastSlot));
    m.when(advance, () => {
      slot.set(mux(lastSlot, 0, slot.addWrap(1)));
    });
    const g = m.named('g_now', select(slot, kept));

    // Lanes: product, saturating accumulate in a per-lane memory row.
    const accFmt = SFix(c.accBits, 0);
    const results: Expr[] = [];
    for (let l = 0; l < c.lanes; l++) {
      const w = weights.bits((l + 1) * c.wBits - 1, l * c.wBits).asSInt();
      const product = m.named(`lane${l}_product`, g.mul(w));
      const mem = m.memory(`lane${l}_acc`, SInt(c.accBits), c.depth);
      const old = mem.read(column, `lane${l}_old`);
      const sum = Fixed.from(old, accFmt).add(Fixed.from(product.resize(c.accBits), accFmt)).resize(accFmt, 'truncate', 'saturate');
      const pending = m.regNext(`lane${l}_pending`, advance, { reset: 0 });
      m.when(pending, () => {
        mem.write(column, sum.raw);
      });
      results.push(m.regNext(`lane${l}_result`, sum.raw));
    }
    const outValid = m.regNext('out_valid', advance.and(lastSlot), { reset: 0 });
    const outLast = m.regNext('out_last', beat.last!.and(lastSlot));
    res.valid.set(outValid);
    res.data.set(cat(...results.reverse().map((r) => r.asUInt())));
    res.last!.set(outLast);
    return { grad, weights, theta, column, res };
  }, { ...c });
