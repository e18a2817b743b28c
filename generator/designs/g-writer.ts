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
import { Bool, Bundle, UInt } from '../core/types.ts';
import { bramQueue, regQueue } from '../lib/queues.ts';
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
    // A recorded burst, and the two queues that follow the bursts AW has issued: their
    // lengths (for wlast on W) and their row ends (to retire rows as B comes back).
    const burst = Bundle({ addr: UInt(p.addrBits), len: UInt(8), end: Bool() });
    const bursts = bramQueue(m, 'bursts', { payload: burst }, p.writeBursts);
    const lens = regQueue(m, 'lens', { payload: UInt(8) }, 4);
    const ends = regQueue(m, 'ends', { payload: Bool() }, p.writeBursts);
    bursts.in.valid.set(io.burst_valid);
    bursts.in.setPayload({ addr: io.burst_addr, len: io.burst_len, end: io.burst_row_end });
    io.burst_room.set(bursts.in.ready);
    m.assume(io.burst_valid.not().or(io.burst_room), 'the row fetcher records a burst only while burst_room is high');
    // The row fetcher offers AR on this room in weight mode; only a recorded burst takes it away,
    // so an AR on offer keeps it until its handshake (the fetcher proves AR's hold from this).
    m.assertNext(io.burst_room.and(io.burst_valid.not()), io.burst_room, 'burst room, once offered, stays until a burst is recorded');

    const head = bursts.out.payload;
    // Room in the length and row-end queues, registered from their fill a cycle ago a slot short of
    // full (one push a cycle at most, so it never overstates): their full compares sat between
    // AWVALID, the handshake and the queues' write enables (the critical path).
    // An AW on offer and not taken keeps its room (AWVALID must stay until the handshake, AXI
    // A3.2.1): the registered room can fall under it, from a push of the cycle before, but only a
    // handshake pushes, so the queues still have the room they had.
    const awWaiting = m.reg('aw_waiting', Bool(), { reset: false });
    const room = m.named('room', m.regNext('room_q', lens.count.le(lens.depth - 2).and(ends.count.le(ends.depth - 2)), { reset: true }).or(awWaiting));
    m.assert(room.not().or(lens.in.ready.and(ends.in.ready)), 'the registered room never offers an AW the length and row-end queues cannot record');
    const awValid = m.named('aw_go', bursts.out.valid.and(room));
    io.aw_valid.set(awValid);
    io.aw_addr.set(head.addr);
    io.aw_len.set(head.len);
    const awFire = m.named('aw_fire', awValid.and(io.aw_ready));
    awWaiting.set(awValid.and(io.aw_ready.not()));
    m.assertNext(awValid.and(io.aw_ready.not()), awValid, 'an AW on offer stays, unchanged, until its handshake (AXI A3.2.1)', [head.addr, head.len]);
    bursts.out.ready.set(room.and(io.aw_ready));
    lens.in.valid.set(awFire);
    lens.in.setPayload(head.len);
    ends.in.valid.set(awFire);
    ends.in.setPayload(head.end);

    // The burst W is writing sits in registers beside the length queue: beats left and whether
    // this is the last, so WLAST is a flip-flop. Read as "beat = head length" off the queue's
    // select, WLAST and the pop behind it were a long path. The next burst's length is taken as
    // the last beat goes, so back-to-back bursts lose no cycle.
    const burstOn = m.reg('w_burst_on', Bool(), { reset: false });
    const left = m.reg('w_left', UInt(8));
    const lastBeat = m.reg('w_last_beat', Bool(), { reset: false });
    const wValid = m.named('w_go', io.d_valid.and(burstOn));
    const wFire = m.named('w_fire', wValid.and(io.w_ready));
    const finishing = m.named('w_finishing', wFire.and(lastBeat));
    const nextBurst = m.named('w_next_burst', lens.out.valid.and(burstOn.not().or(finishing)));
    lens.out.ready.set(nextBurst);
    m.when(nextBurst, () => {
      burstOn.set(true);
      left.set(lens.out.payload);
      lastBeat.set(lens.out.payload.eq(0));
    }).elsewhen(finishing, () => burstOn.set(false))
      .elsewhen(wFire, () => {
        left.set(left.subWrap(1));
        lastBeat.set(left.eq(1));
      });
    m.assert(burstOn.not().or(lastBeat.eq(left.eq(0))), 'WLAST is set exactly on the burst\'s last beat');
    // W carries the lanes' result as it stands, so W's hold (AXI A3.2.1) rests on theirs, which
    // the lanes prove; the burst's state moves only on a W handshake.
    m.assumeNext(io.d_valid.and(io.d_ready.not()), io.d_valid, 'the lanes keep a result on offer, unchanged, until it is taken', [io.d_data]);
    m.assertNext(wValid.and(io.w_ready.not()), wValid, 'a W beat on offer stays, unchanged, until its handshake (AXI A3.2.1)', [io.d_data, lastBeat]);
    io.w_valid.set(wValid);
    io.w_data.set(io.d_data);
    io.w_last.set(lastBeat);
    io.d_ready.set(burstOn.and(io.w_ready));

    io.b_ready.set(ends.out.valid);
    ends.out.ready.set(io.b_valid);
    const bFire: Expr = io.b_valid.and(ends.out.valid);
    io.row_retired.set(bFire.and(ends.out.payload));
    // Its count only serves the queue's own assertions (formal); idle reads the pointer equality.
    m.unused(bursts.count);
    io.idle.set(bursts.empty.and(lens.out.valid.not()).and(burstOn.not()).and(ends.out.valid.not()));
    return io;
  }, { writeBursts: p.writeBursts });
}
