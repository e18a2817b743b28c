/**
 * Row fetcher: turns tokens into AXI4 row reads ahead of the lanes. Up to
 * maxOutstanding rows may be read but not yet consumed, which is the prefetch
 * that hides memory latency. In weight mode it also guards the read-after-write
 * hazard on G: a row still being written back (read issued, last B not seen)
 * is never read again until its write completes.
 */
import { Expr, lit, mux, select } from '../core/expr.ts';
import { defineModule } from '../core/module.ts';
import { Bool, Bundle, UInt, Vec, bitWidth, log2Up } from '../core/types.ts';
import { bramQueue } from '../lib/queues.ts';
import { burstSplitter } from './hw.ts';
import type { EngineParams } from './params.ts';

/** What the lanes need of a token: the value, and where it sits in its vector. */
export function laneToken(p: EngineParams) {
  return Bundle({ g: UInt(p.gBits), eov: Bool(), rowless: Bool() });
}

export function rowFetch(p: EngineParams, prefix: string) {
  const tok = laneToken(p);
  const outBits = log2Up(p.maxOutstanding + 1);
  const camBits = log2Up(p.inflightRows);
  return defineModule(`${prefix}_row_fetch`, (m) => {
    const io = {
      tok_valid: m.input('tok_valid', Bool()),
      tok_ready: m.output('tok_ready', Bool()),
      tok_j: m.input('tok_j', UInt(p.jBits)),
      tok_g: m.input('tok_g', UInt(p.gBits)),
      tok_eov: m.input('tok_eov', Bool()),
      tok_rowless: m.input('tok_rowless', Bool()),
      weight: m.input('weight', Bool()),
      restart: m.input('restart', Bool()),
      base: m.input('base', UInt(p.addrBits)),
      stride: m.input('stride', UInt(p.addrBits)),
      row_beats: m.input('row_beats', UInt(p.rowBeatBits)),
      /** The lanes consumed the last beat of a row. */
      row_done: m.input('row_done', Bool()),
      /** The write-back of the oldest row in flight has its last B (weight mode). */
      row_retired: m.input('row_retired', Bool()),
      ar_valid: m.output('ar_valid', Bool()),
      ar_ready: m.input('ar_ready', Bool()),
      ar_addr: m.output('ar_addr', UInt(p.addrBits)),
      ar_len: m.output('ar_len', UInt(8)),
      lt_valid: m.output('lt_valid', Bool()),
      lt_pop: m.input('lt_pop', Bool()),
      lt_data: m.output('lt_data', UInt(bitWidth(tok))),
      /** A read burst was issued in weight mode: the write-back repeats it on AW. */
      wb_valid: m.output('wb_valid', Bool()),
      wb_addr: m.output('wb_addr', UInt(p.addrBits)),
      wb_len: m.output('wb_len', UInt(8)),
      wb_row_end: m.output('wb_row_end', Bool()),
      /** The write-back can record another burst (weight mode waits for it). */
      wb_room: m.input('wb_room', Bool()),
      fetched: m.output('fetched', Bool()),
    };
    // In block RAM: its eight entries in flip-flops, with their read select, took about 200 of the
    // UP5K's logic cells. The lanes hold the token they walk in a register of their own, so the
    // queue's extra cycle of latency is hidden behind the row's memory read.
    // Two entries more than the tokens it must hold: its room flag (below) keeps two back.
    const tq = bramQueue(m, 'lane_tokens', { payload: tok }, p.tokenDepth + 2);
    const split = burstSplitter(m, 'ar', p.addrBits, p.rowBeatBits, p.busBytes);
    const outstanding = m.reg('outstanding', UInt(outBits), { reset: 0 });

    // In-flight row CAM: allocated in issue order, retired in the same order.
    const camRow = m.reg('cam_row', Vec(p.inflightRows, UInt(p.jBits)));
    const camLive = m.reg('cam_live', Vec(p.inflightRows, Bool()), { reset: false });
    const camHead = m.reg('cam_head', UInt(camBits), { reset: 0 });
    const camTail = m.reg('cam_tail', UInt(camBits), { reset: 0 });
    // A take's allocation lands a cycle later (the take's fan-out into the CAM's enables was a
    // long path), so the hazard check also looks at the allocation still pending. Rows are
    // allocated at the tail and retired at the head, in order, so the live entries are one run
    // of the ring and the CAM is full when the slot the next allocation takes is still live.
    const allocPending = m.reg('cam_alloc_q', Bool(), { reset: false });
    const allocRow = m.reg('cam_alloc_row', UInt(p.jBits));
    const hits: Expr[] = [...camRow.map((r, i) => camLive[i]!.and(r.eq(io.tok_j))), allocPending.and(allocRow.eq(io.tok_j))];
    const hit = m.named('raw_hazard', hits.reduce((a, b) => a.or(b)).and(io.weight));
    const nextSlot = m.named('cam_next_slot', camTail.addWrap(allocPending.asUInt().resize(camBits)));
    const camFull = m.named('cam_full', select(nextSlot, camLive.map((l): Expr => l)));

    // Room registered from the fill a cycle ago, two slots short of full: the pointer compare of
    // the full flag sat in front of the take and the token skid's load. A take is pushed a cycle
    // later (below), so when the room is read, the fill it came from misses at most the push in
    // that cycle, the push of the take before, and this take's: one push a cycle, never overstated.
    const tqRoom = m.named('token_room', m.regNext('token_room_q', tq.count.le(tq.depth - 3), { reset: true }));
    // base + j·stride by shift-and-add, two bits per cycle: a full multiplier costs hundreds
    // of LUTs on a DSP-less iCE40. Rows of a vector come in increasing j, so the address
    // steps on from the previous row by (j − j_prev)·stride: one cycle for adjacent rows.
    const mBits = Math.max(2, p.jBits);
    const mulBusy = m.reg('addr_busy', Bool(), { reset: false });
    const mulDone = m.reg('addr_done', Bool(), { reset: false });
    const acc = m.reg('addr_acc', UInt(p.addrBits));
    const mcand = m.reg('addr_mcand', UInt(p.addrBits));
    const mplier = m.reg('addr_mplier', UInt(mBits));
    const lastJ = m.reg('last_row', UInt(p.jBits));
    const lastAddr = m.reg('last_addr', UInt(p.addrBits));
    const haveLast = m.reg('have_last', Bool(), { reset: false });
    const issue = m.named('addr_issue', mulDone.and(split.busy.not()));
    // Free for a row once it has issued its last (a flip-flop): taking a row in the cycle of the
    // issue put the burst splitter's busy and the issue in front of can_row, the take and the
    // token skid's enables (the critical path of both engines). A row then takes four cycles
    // here at least; the lanes spend at least four on a data-mode row (G, or the span of 4).
    const mulFree = m.named('addr_free', mulBusy.not());
    // The hazard check is registered: in weight mode a row is taken only once its token has been
    // in front of the fetcher for a cycle, so the registered check is the token's own. Nothing
    // enters the CAM meanwhile (only a take allocates), and a retirement in between only makes
    // the check stale on the safe side. Checked in the same cycle, the token register's compare
    // against the CAM, the take and the CAM allocation were the engine's critical path.
    const hitLate = m.regNext('raw_hazard_q', hit.or(camFull), { reset: false });
    const settled = m.reg('tok_settled', Bool(), { reset: false });
    const canRow = m.named('can_row', mulFree.and(outstanding.lt(p.maxOutstanding)).and(tqRoom)
      .and(io.weight.not().or(settled.and(hitLate.not()))));
    const takeRow = m.named('take_row', io.tok_valid.and(io.tok_rowless.not()).and(canRow));
    const takeRowless = m.named('take_rowless', io.tok_valid.and(io.tok_rowless).and(tqRoom));
    settled.set(io.tok_valid.and(takeRow.or(takeRowless).not()));
    io.tok_ready.set(m.named('tok_accept', io.tok_rowless.and(tqRoom).or(io.tok_rowless.not().and(canRow))));

    const zero = lit(0, UInt(p.addrBits));
    // Each two-bit step's partial sum is registered before it is added in: the step's adder and
    // the accumulator's in one cycle were two carry chains in series (the critical path). It
    // costs one cycle per row, hidden behind the rows ahead except for a job's first.
    const step = m.named('addr_step', mux(mplier.bit(0), mcand, zero).addWrap(mux(mplier.bit(1), mcand.shl(1).resize(p.addrBits), zero)));
    const stepQ = m.reg('addr_step_q', UInt(p.addrBits));
    const lastStep = m.reg('addr_last_step', Bool(), { reset: false });
    const rest = m.named('addr_rest', mplier.shr(2).resize(mBits));
    // A row is taken only after the one before has issued, so its address is the last one's. Rows
    // of a vector come in increasing j, so the step from the last row is taken within a vector
    // and a vector's first row starts from the base: a flag set by the token that ends a vector,
    // where the compare j > j_prev put a carry chain in front of the multiplier's operand. (The
    // index queue's picker gives that order; a row out of it would read a wrong address, which
    // the bit-exact co-simulation would show.)
    const vecStart = m.reg('vector_start', Bool(), { reset: true });
    m.when(io.restart, () => vecStart.set(true)).elsewhen(takeRow.or(takeRowless), () => vecStart.set(io.tok_eov));
    const onward = m.named('onward', haveLast.and(vecStart.not()));
    // While free for a row, the multiplier's operands load from the token in front whether or not
    // it is taken: a load without a take is overwritten before any read (the address is read only
    // at the issue, after the steps that follow a take). So the take, the end of the token's path
    // through the hazard check and `can_row`, drives only the busy and done flags and the row
    // register, not some seventy operand flip-flops.
    m.when(mulFree, () => {
      acc.set(mux(onward, lastAddr, io.base));
      stepQ.set(zero);
      mcand.set(io.stride);
      mplier.set(mux(onward, io.tok_j.subWrap(lastJ), io.tok_j).resize(mBits));
    }).elsewhen(mulBusy.and(mulDone.not()), () => {
      acc.set(acc.addWrap(stepQ));
      stepQ.set(step);
      mcand.set(mcand.shl(2).resize(p.addrBits));
      mplier.set(rest);
    });
    m.when(takeRow, () => {
      mulBusy.set(true);
      mulDone.set(false);
      lastStep.set(false);
      lastJ.set(io.tok_j);
    }).elsewhen(mulBusy.and(mulDone.not()), () => {
      // The last partial sum is registered when the multiplier's bits run out, and added a cycle later.
      m.when(lastStep, () => mulDone.set(true)).elsewhen(rest.eq(0), () => lastStep.set(true));
    }).elsewhen(issue, () => {
      mulBusy.set(false);
      mulDone.set(false);
    });
    m.when(io.restart, () => haveLast.set(false)).elsewhen(issue, () => {
      haveLast.set(true);
      lastAddr.set(acc);
    });

    // The take reaches the queue a cycle later: the take's path (the burst splitter's busy, the
    // multiplier's issue, can_row, the skid's valid) ran on into the block RAM's write enable.
    // The tokens only have to be in the lanes before their row's data, a memory round trip later.
    const push = m.regNext('lane_token_push', takeRow.or(takeRowless), { reset: false });
    m.assert(push.not().or(tq.in.ready), 'the registered token room never offers a push the queue cannot take');
    tq.in.valid.set(push);
    tq.in.setPayload({
      g: m.regNext('lane_token_g', io.tok_g),
      eov: m.regNext('lane_token_eov', io.tok_eov),
      rowless: m.regNext('lane_token_rowless', io.tok_rowless),
    });
    tq.out.ready.set(io.lt_pop);
    io.lt_valid.set(tq.out.valid);
    m.assume(io.lt_pop.not().or(io.lt_valid), 'the lanes pop a lane token only while one is offered (lt_valid)');
    io.lt_data.set(tq.out.data);

    split.start.set(issue);
    split.startAddr.set(acc);
    split.startBeats.set(io.row_beats);
    const offer = m.named('ar_offer', split.busy.and(io.weight.not().or(io.wb_room)));
    const arFire = m.named('ar_fire', offer.and(io.ar_ready));
    split.fire.set(arFire);
    io.ar_valid.set(offer);
    io.ar_addr.set(split.addr);
    io.ar_len.set(split.len);
    // AR must stay, unchanged, until its handshake (AXI A3.2.1). The splitter moves only on it; the
    // offer also needs the G writer's room in weight mode, which the G writer keeps while no burst
    // is recorded (proven there), and MODE, which no write changes during a job.
    m.assumeNext(io.ar_valid.and(io.ar_ready.not()), io.weight.not().or(io.wb_room), 'the G writer keeps its burst room, and MODE its value, while an AR waits', [io.weight]);
    m.assertNext(offer.and(io.ar_ready.not()), offer, 'an AR on offer stays, unchanged, until its handshake (AXI A3.2.1)', [split.addr, split.len]);

    m.when(takeRow.and(io.row_done.not()), () => outstanding.set(outstanding.addWrap(1)))
      .elsewhen(io.row_done.and(takeRow.not()), () => outstanding.set(outstanding.subWrap(1)));

    allocPending.set(takeRow.and(io.weight));
    m.when(takeRow, () => allocRow.set(io.tok_j));
    m.when(allocPending, () => {
      camRow.forEach((r, i) => m.when(camTail.eq(lit(i, UInt(camBits))), () => r.set(allocRow)));
      camTail.set(camTail.addWrap(1));
    });
    camLive.forEach((l, i) => {
      const idx = lit(i, UInt(camBits));
      m.when(allocPending.and(camTail.eq(idx)), () => l.set(true))
        .elsewhen(io.row_retired.and(camHead.eq(idx)), () => l.set(false));
    });
    m.when(io.row_retired, () => camHead.set(camHead.addWrap(1)));

    io.wb_valid.set(arFire.and(io.weight));
    io.wb_addr.set(split.addr);
    io.wb_len.set(split.len);
    io.wb_row_end.set(split.lastOfRow);
    io.fetched.set(takeRow);
    return io;
  }, { maxOutstanding: p.maxOutstanding, inflightRows: p.inflightRows });
}
