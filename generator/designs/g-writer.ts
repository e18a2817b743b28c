/**
 * G write-back (weight mode): every read burst of a G row is recorded (block
 * RAM FIFO) and replayed on AW, so a row is written with exactly the bursts it
 * was read with and no second address generator is needed; the updated G beats
 * from the lanes go out on W (wlast from the burst lengths replayed), and B
 * responses retire rows in order, which frees their entry in the row fetcher's
 * hazard CAM.
 */
import { Expr } from '../core/expr.ts';
import { defineModule } from '../core/module.ts';
import { Bool, UInt } from '../core/types.ts';
import { Packing, bramFifo, regFifo } from './hw.ts';
import type { EngineParams } from './params.ts';

export function gWriter(p: EngineParams, prefix: string) {
  return defineModule(`${prefix}_g_writer`, (m) => {
    const io = {
      burst_valid: m.input('burst_valid', Bool()),
      burst_addr: m.input('burst_addr', UInt(p.addrBits)),
      burst_len: m.input('burst_len', UInt(8)),
      burst_row_end: m.input('burst_row_end', Bool()),
      burst_room: m.output('burst_room', Bool()),
      d_valid: m.input('d_valid', Bool()),
      d_ready: m.output('d_ready', Bool()),
      d_data: m.input('d_data', UInt(p.busBits)),
      aw_valid: m.output('aw_valid', Bool()),
      aw_ready: m.input('aw_ready', Bool()),
      aw_addr: m.output('aw_addr', UInt(p.addrBits)),
      aw_len: m.output('aw_len', UInt(8)),
      w_valid: m.output('w_valid', Bool()),
      w_ready: m.input('w_ready', Bool()),
      w_data: m.output('w_data', UInt(p.busBits)),
      w_last: m.output('w_last', Bool()),
      b_valid: m.input('b_valid', Bool()),
      b_ready: m.output('b_ready', Bool()),
      row_retired: m.output('row_retired', Bool()),
      idle: m.output('idle', Bool()),
    };
    const rec = new Packing([['addr', p.addrBits], ['len', 8], ['end', 1]] as const);
    const bursts = bramFifo(m, 'bursts', rec.width, p.writeBursts);
    const lens = regFifo(m, 'lens', 8, 4);
    const ends = regFifo(m, 'ends', 1, p.writeBursts);
    bursts.push.set(io.burst_valid);
    bursts.wdata.set(rec.pack({ addr: io.burst_addr, len: io.burst_len, end: io.burst_row_end.asUInt() }));
    io.burst_room.set(bursts.full.not());
    m.assume(io.burst_valid.not().or(bursts.full.not()), 'the row fetcher records a burst only while burst_room is high');

    const room = m.named('room', lens.full.not().and(ends.full.not()));
    const awValid = m.named('aw_go', bursts.valid.and(room));
    io.aw_valid.set(awValid);
    io.aw_addr.set(rec.field(bursts.data, 'addr'));
    io.aw_len.set(rec.field(bursts.data, 'len'));
    const awFire = m.named('aw_fire', awValid.and(io.aw_ready));
    bursts.pop.set(awFire);
    lens.push.set(awFire);
    lens.wdata.set(rec.field(bursts.data, 'len'));
    ends.push.set(awFire);
    ends.wdata.set(rec.field(bursts.data, 'end'));

    const beat = m.reg('beat', UInt(8), { reset: 0 });
    const wLast = m.named('w_is_last', beat.eq(lens.data));
    const wValid = m.named('w_go', io.d_valid.and(lens.valid));
    const wFire = m.named('w_fire', wValid.and(io.w_ready));
    io.w_valid.set(wValid);
    io.w_data.set(io.d_data);
    io.w_last.set(wLast);
    io.d_ready.set(lens.valid.and(io.w_ready));
    lens.pop.set(wFire.and(wLast));
    m.when(wFire, () => beat.set(beat.addWrap(1)));
    m.when(wFire.and(wLast), () => beat.set(0));

    io.b_ready.set(ends.valid);
    const bFire: Expr = io.b_valid.and(ends.valid);
    ends.pop.set(bFire);
    io.row_retired.set(bFire.and(ends.data.bit(0)));
    io.idle.set(bursts.count.eq(0).and(lens.valid.not()).and(ends.valid.not()));
    return io;
  }, { writeBursts: p.writeBursts });
}
