/**
 * G write-back (weight mode): for every row read, the same bursts go out on
 * AW, the updated G beats from the lanes go out on W (wlast from the burst
 * lengths recorded at AW time), and B responses retire rows in order, which
 * frees their entry in the row fetcher's hazard CAM.
 */
import { Expr } from '../core/expr.ts';
import { defineModule } from '../core/module.ts';
import { Bool, UInt } from '../core/types.ts';
import { burstSplitter, regFifo } from './hw.ts';
import type { EngineParams } from './params.ts';

export function gWriter(p: EngineParams, prefix: string) {
  return defineModule(`${prefix}_g_writer`, (m) => {
    const io = {
      row_valid: m.input('row_valid', Bool()),
      row_addr: m.input('row_addr', UInt(p.addrBits)),
      row_beats: m.input('row_beats', UInt(p.rowBeatBits)),
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
    // The fetcher never has more than inflightRows rows un-retired, so these never overflow.
    const rows = regFifo(m, 'rows', p.addrBits, p.inflightRows);
    const lens = regFifo(m, 'lens', 8, 2 * p.inflightRows);
    const ends = regFifo(m, 'ends', 1, 2 * p.inflightRows);
    const split = burstSplitter(m, 'aw', p.addrBits, p.rowBeatBits, p.busBytes);

    rows.push.set(io.row_valid);
    rows.wdata.set(io.row_addr);
    const startRow = m.named('start_row', rows.valid.and(split.busy.not()));
    rows.pop.set(startRow);
    split.start.set(startRow);
    split.startAddr.set(rows.data);
    split.startBeats.set(io.row_beats);

    const room = m.named('room', lens.full.not().and(ends.full.not()));
    io.aw_valid.set(split.busy.and(room));
    io.aw_addr.set(split.addr);
    io.aw_len.set(split.len);
    const awFire = m.named('aw_fire', split.busy.and(room).and(io.aw_ready));
    split.fire.set(awFire);
    lens.push.set(awFire);
    lens.wdata.set(split.len);
    ends.push.set(awFire);
    ends.wdata.set(split.lastOfRow.asUInt());

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
    io.idle.set(rows.valid.not().and(split.busy.not()).and(lens.valid.not()).and(ends.valid.not()));
    return io;
  }, { inflightRows: p.inflightRows });
}
