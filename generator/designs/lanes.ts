/**
 * The N-lane MAC datapath. Each lane group of a row runs through these stages:
 *   C0  take N operands from the bus beat, read the y word (data) or a word (weight)
 *   C1  full-width products g'·W or g'·a (registered inside the iCE40 DSP)
 *   C2  add into the result register (one bit wider; saturated as it leaves)
 *   C3  the result register writes y back, or on the vector's last row goes out on
 *       the result stream; in weight mode it is the updated G word for the write-back.
 * One result register serves both uses, so each sum bit drives exactly one flip-flop
 * and an iCE40 packs them into one logic cell, the adder's (a sum that also fed the
 * RAM's write port directly would need a cell of its own for its flip-flop). C1–C3 stall only
 * while the result register holds a beat the consumer has not taken; C0's step in such
 * a cycle is dropped and retried (below).
 */
import { Expr, cat, lit, mux, select } from '../core/expr.ts';
import { defineModule } from '../core/module.ts';
import { Bool, SInt, UInt, bitWidth, log2Up } from '../core/types.ts';
import { unpack } from '../core/pack.ts';
import { shiftQueue } from '../lib/queues.ts';
import { lane, popcount, saturate } from './hw.ts';
import type { EngineParams } from './params.ts';
import { laneToken } from './row-fetch.ts';

export function lanes(p: EngineParams, prefix: string) {
  const tok = laneToken(p);
  const N = p.N;
  const xBits = Math.max(16, p.aBits);
  const yDepth = Math.max(2, p.groupsMax);
  const yAddrBits = log2Up(yDepth);
  const aAddrBits = log2Up(2 * yDepth);
  const sbBits = log2Up(p.wGroupsPerBeat);
  const macBits = log2Up(N + 1);
  const gCntBits = p.groupBits + 1;
  return defineModule(`${prefix}_lanes`, (m) => {
    const io = {
      lt_valid: m.input('lt_valid', Bool()),
      lt_data: m.input('lt_data', UInt(bitWidth(tok))),
      lt_pop: m.output('lt_pop', Bool()),
      r_valid: m.input('r_valid', Bool()),
      r_ready: m.output('r_ready', Bool()),
      r_data: m.input('r_data', UInt(p.busBits)),
      weight: m.input('weight', Bool()),
      cols: m.input('cols', UInt(p.kCntBits)),
      restart: m.input('restart', Bool()),
      a_we: m.input('a_we', Bool()),
      a_waddr: m.input('a_waddr', UInt(aAddrBits)),
      a_wdata: m.input('a_wdata', UInt(N * p.aBits)),
      a_bank_ready: m.input('a_bank_ready', Bool()),
      a_release: m.output('a_release', Bool()),
      o_valid: m.output('o_valid', Bool()),
      o_ready: m.input('o_ready', Bool()),
      o_data: m.output('o_data', UInt(N * 64)),
      o_last: m.output('o_last', Bool()),
      row_done: m.output('row_done', Bool()),
      vec_done: m.output('vec_done', Bool()),
      mac_count: m.output('mac_count', UInt(macBits)),
      idle: m.output('idle', Bool()),
    };
    // The lanes read their groups straight off the R channel: AXI holds RDATA stable until the
    // handshake, and RREADY comes with the beat's last group. A register stage for the whole
    // beat would cost a logic cell for each of the bus's bits. RREADY comes from registers only
    // (AXI A3.1.1: no combinational path from the interface's inputs to its outputs), so the beat
    // is taken even when C0's step is dropped; that step's group then waits in `r_slot` below.
    const rq = { valid: io.r_valid, data: io.r_data, ready: io.r_ready };


    // Neither RAM is read at an address written in the same cycle: a y word is read again at
    // the earliest `span` ≥ 4 cycles after its read, i.e. after its C3 write-back, and the
    // lanes read one a bank while the loader fills the other. So no read-first bypass logic.
    const ymem = m.memory('y_ram', UInt(N * p.accBits), yDepth, { readUnderWrite: 'undefined' });
    const amem = m.memory('a_ram', UInt(N * p.aBits), 2 * yDepth, { readUnderWrite: 'undefined' });
    m.when(io.a_we, () => amem.write(io.a_waddr, io.a_wdata));

    // ---- C0: walk the groups of the head token's row ----
    // C1–C3 advance while the result register is free or being taken (`advance`). C0 does not
    // wait for it: it moves on its own conditions (`go`) and, in a cycle where the pipeline then
    // stalls, its step is dropped and undone the cycle after from a copy of its state. Waiting
    // put the ports' ready (W or the result stream) in front of every C0 count, five LUTs deep:
    // the engine's critical path. Only what leaves C0 (the R handshake, the token pop, the bank
    // release, the counts) waits for the advance, and those are a LUT or two from it. A drop
    // costs a cycle only under backpressure; without it C0 never drops.
    const resOut = m.reg('res_out', Bool(), { reset: false });
    const adv = m.named('advance', resOut.not().or(io.o_ready));
    const dropped = m.reg('c0_dropped', Bool(), { reset: false });

    const c = m.reg('group', UInt(p.groupBits), { reset: 0 });
    const sb = m.reg('sub_beat', UInt(sbBits), { reset: 0 });
    const vecBank = m.reg('a_bank', Bool(), { reset: false });
    // Data mode: a group's y is fresh (nothing accumulated yet this vector) exactly in the vector's
    // first row, since every row walks all its groups from 0 in order. One flag, where a touched
    // bit per group cost 64 flip-flops, their enable decode and a 64-way select, and the enables
    // behind the lanes' advance were the critical path.
    const firstRow = m.reg('first_row', Bool(), { reset: true });

    // Functions of COLS and MODE only, which cannot change during a job, so they are registered:
    // computed on the fly they began the critical path (MODE/COLS → group compares → go).
    const groupsNow = io.cols.add(N - 1).shr(log2Up(N)).resize(gCntBits);
    // Each is registered from the one before it, which a job's start leaves time for: a register
    // write is applied at least three cycles before the START that follows it.
    const G = m.regNext('groups', groupsNow);
    const spanLast = m.regNext('span_last', mux(io.weight.not().and(G.lt(4)), lit(3, UInt(gCntBits)), G.subWrap(1)));
    // c + 1 = G − 1 and c + 1 = spanLast, compared on c itself (G − 2 wraps past every c when G = 1).
    const lastColPrev = m.regNext('groups_last_prev', G.subWrap(2));
    const spanLastPrev = m.regNext('span_last_prev', spanLast.subWrap(1));
    // The tokens being walked wait in a two-entry queue of their own: the fetcher's queue (block
    // RAM) is popped only into a free entry, so its pop and read address do not hang on the
    // advance. Its head is a register (a shift queue): the token's flags begin the path through
    // `go` to the bank release, and a read select in front of them was a level of it.
    const held = shiftQueue(m, 'tok', { payload: UInt(bitWidth(tok)) }, 2);
    // Its fill level only serves the queue's own assertion (formal); room is its full flag.
    m.unused(held.count);
    const tokFill = m.named('tok_fill', io.lt_valid.and(held.full.not()));
    held.in.valid.set(io.lt_valid);
    held.in.setPayload(io.lt_data);
    io.lt_pop.set(tokFill);
    const tokValid = held.out.valid;
    const tokData = held.out.data;
    const { g, eov, rowless } = unpack(tok, tokData);
    const cx = c.resize(gCntBits);
    // Where c stands in the row, as flags kept beside it: c < G, c = G − 1, c = spanLast. Compared
    // after the advance they lengthened its path to every stage enable; here each is set from c
    // alone when c moves (G and spanLast hold still during a job, and a job starts at c = 0).
    const inRow = m.reg('in_row', Bool(), { reset: true });
    const lastCol = m.reg('last_col', Bool(), { reset: false });
    const atSpanLast = m.reg('at_span_last', Bool(), { reset: false });
    const atRowStart = (): void => {
      inRow.set(true);
      lastCol.set(G.eq(1));
      atSpanLast.set(spanLast.eq(0));
    };
    const needR = m.named('need_r', rowless.not().and(inRow));
    const bankOk = m.named('bank_ok', io.weight.not().or(io.a_bank_ready));
    // The group of a beat taken while its step was dropped (the slot holds it until the retry).
    const slotFull = m.reg('r_slot_full', Bool(), { reset: false });
    const rHave = m.named('r_have', slotFull.or(rq.valid));
    const go = m.named('go', dropped.not().and(tokValid).and(needR.not().or(rHave)).and(bankOk));
    dropped.set(go.and(adv.not()).and(io.restart.not()));
    const lastGroup = m.named('last_group', mux(io.weight, rowless.or(lastCol), atSpanLast));
    const active = m.named('active', go.and(inRow).and(io.weight.and(rowless).not()));
    const real = m.named('fetch_group', go.and(needR));
    // The step's group fetch, once the advance says the step is not dropped.
    const realTaken = m.named('fetch_group_taken', real.and(adv));
    const beatGroups = m.named('beat_groups', mux(io.weight, lit(p.gGroupsPerBeat - 1, UInt(sbBits)), lit(p.wGroupsPerBeat - 1, UInt(sbBits))));
    // Whether this group is the bus beat's last, kept as a flag beside sb like the row flags
    // (MODE, which sets the groups a beat holds, holds still during a job).
    const sbLast = m.reg('sub_beat_last', Bool(), { reset: false });
    const sbWrap = m.named('sub_beat_wrap', sbLast.or(lastCol));
    // RREADY: C0 stands at a beat's last group with nothing in the slot, whatever RVALID and the
    // advance are (both inputs). With RVALID it is exactly the step that fetches that group.
    const rReady = m.named('r_take', dropped.not().and(tokValid).and(needR).and(bankOk).and(sbWrap).and(slotFull.not()));
    rq.ready.set(rReady);
    const rFire = m.named('r_fire', rReady.and(rq.valid));
    m.when(io.restart, () => {
      sb.set(0);
      sbLast.set(beatGroups.eq(0));
    }).elsewhen(real, () => {
      sb.set(mux(sbWrap, lit(0, UInt(sbBits)), sb.addWrap(1)));
      sbLast.set(mux(sbWrap, beatGroups.eq(0), sb.eq(beatGroups.subWrap(1))));
    });
    m.when(io.restart, () => c.set(0)).elsewhen(go, () => c.set(mux(lastGroup, lit(0, UInt(p.groupBits)), c.addWrap(1))));
    m.when(io.restart, atRowStart).elsewhen(go, () => {
      m.when(lastGroup, atRowStart).otherwise(() => {
        inRow.set(inRow.and(lastCol.not()));
        lastCol.set(cx.eq(lastColPrev));
        atSpanLast.set(cx.eq(spanLastPrev));
      });
    });
    held.out.ready.set(go.and(adv).and(lastGroup));
    io.row_done.set(realTaken.and(lastCol));
    const vecEnd = m.named('vec_end', go.and(lastGroup).and(eov).and(io.weight));
    const vecTaken = m.named('vec_end_taken', vecEnd.and(adv));
    io.vec_done.set(vecTaken);
    io.a_release.set(vecTaken);
    m.when(io.restart, () => vecBank.set(false)).elsewhen(vecEnd, () => vecBank.set(vecBank.not()));

    m.when(io.restart, () => firstRow.set(true)).elsewhen(go.and(lastGroup), () => firstRow.set(eov));
    // Undo a dropped step: each register C0 moved speculatively goes back to its value before it.
    // Its copy is taken every cycle, so in the cycle after the drop it holds the value from before.
    for (const r of [c, sb, sbLast, inRow, lastCol, atSpanLast, vecBank, firstRow]) {
      const before = m.regNext(`${r.name}_before`, r);
      m.when(dropped.and(io.restart.not()), () => r.set(before));
    }
    let yRd: Expr = lit(0, UInt(N * p.accBits));
    let aRd: Expr = lit(0, UInt(N * p.aBits));
    m.when(adv, () => {
      yRd = ymem.read(c.resize(yAddrBits), 'y_old');
      aRd = amem.read(cat(vecBank.asUInt(), c.resize(yAddrBits)), 'a_word');
    });

    const pick = (bits: number, per: number): Expr => {
      const groups = Array.from({ length: per }, (_, s) => lane(rq.data, s, N * bits));
      return per === 1 ? groups[0]! : select(sb.resize(log2Up(per)), groups);
    };
    // W is int16 in memory whatever wBits is (the driver sign-extends narrower values).
    const wGroup = pick(16, p.wGroupsPerBeat);
    const gGroup = pick(64, p.gGroupsPerBeat);
    // G is int64 in memory; the accumulator is its low accBits (the driver stores sign-extended values).
    const gOldBits = cat(...Array.from({ length: N }, (_, i) => lane(gGroup, i, 64).bits(p.accBits - 1, 0)).reverse());
    // The slot keeps what C1 would have taken: the G group (weight mode) or the W group in its low bits.
    const slot = m.reg('r_slot', UInt(N * p.accBits));
    m.when(io.restart, () => slotFull.set(false)).elsewhen(rFire.and(adv.not()), () => {
      slot.set(cat(gOldBits.bits(N * p.accBits - 1, N * 16), mux(io.weight, gOldBits.bits(N * 16 - 1, 0), wGroup)));
      slotFull.set(true);
    }).elsewhen(realTaken, () => slotFull.set(false));
    m.assert(slotFull.and(dropped.not()).not().or(needR.and(sbWrap)), 'a held R group waits only for the step that fetches it');
    const kIn = Array.from({ length: N }, (_, i) => m.named(`k_in_${i}`, (N > 1 ? cat(c, lit(i, UInt(log2Up(N)))) : c).lt(io.cols)));
    io.mac_count.set(mux(realTaken, popcount(kIn, macBits), lit(0, UInt(macBits))));

    // ---- C1 ----
    const en = { enable: adv };
    const c1v = m.reg('c1_valid', Bool(), { reset: false, enable: adv });
    const c1g = m.reg('c1_g', UInt(p.gBits), en);
    const c1w = m.reg('c1_w', UInt(N * 16), en);
    const c1gw = m.reg('c1_gold', UInt(N * p.accBits), en);
    const c1mask = m.reg('c1_mask', UInt(N), en);
    const c1c = m.reg('c1_group', UInt(yAddrBits), en);
    const c1eov = m.reg('c1_eov', Bool(), en);
    const c1fresh = m.reg('c1_fresh', Bool(), en);
    const c1last = m.reg('c1_last', Bool(), en);
    c1v.set(active);
    c1g.set(mux(rowless, lit(0, UInt(p.gBits)), g));
    c1w.set(mux(slotFull, slot.bits(N * 16 - 1, 0), wGroup));
    c1gw.set(mux(slotFull, slot, gOldBits));
    c1mask.set(cat(...[...kIn].reverse()));
    c1c.set(c.resize(yAddrBits));
    c1eov.set(eov);
    c1fresh.set(firstRow);
    c1last.set(lastCol);

    // ---- C2 ----
    const c2prod = Array.from({ length: N }, (_, i) => m.reg(`c2_prod_${i}`, SInt(p.gBits + xBits), en));
    const c2old = Array.from({ length: N }, (_, i) => m.reg(`c2_old_${i}`, SInt(p.accBits), en));
    const c2v = m.reg('c2_valid', Bool(), { reset: false, enable: adv });
    const c2push = m.reg('c2_push', Bool(), en);
    const c2c = m.reg('c2_group', UInt(yAddrBits), en);
    const c2last = m.reg('c2_last', Bool(), en);
    c2v.set(c1v);
    c2push.set(io.weight.or(c1eov));
    for (let i = 0; i < N; i++) {
      // Lanes past K add nothing: their operand is 0, so y there reads 0 and G there is
      // rewritten as it was. The mask shares the LUT4 of the W/a operand select, and a
      // product register with no reset of its own goes inside the SB_MAC16.
      const on = c1mask.bit(i);
      const x = mux(on, mux(io.weight, lane(aRd, i, p.aBits).asSInt().resize(xBits), lane(c1w, i, 16).asSInt().resize(xBits)), lit(0, SInt(xBits)));
      c2prod[i]!.set(c1g.asSInt().mul(x));
      const gOld = lane(c1gw, i, p.accBits).asSInt();
      const yOld = lane(yRd, i, p.accBits).asSInt();
      m.when(io.weight.not().and(c1fresh.or(on.not())), () => c2old[i]!.set(lit(0, SInt(p.accBits))))
        .otherwise(() => c2old[i]!.set(mux(io.weight, gOld, yOld)));
    }
    c2c.set(c1c);
    c2last.set(c1last);

    // The full sums, one bit wider than the accumulator: the carry chain ends in the result
    // register's flip-flops (each packs into its adder cell) and saturation comes after the
    // register. Saturating first put the overflow test and its fan-out of accBits behind the
    // whole chain: the engine's critical path.
    const sums = Array.from({ length: N }, (_, i) => m.named(`sum_${i}`, c2old[i]!.add(c2prod[i]!).resize(p.accBits + 1)));

    // ---- C3: the result register ----
    const res = m.reg('res', UInt(N * (p.accBits + 1)), en);
    const resWrite = m.reg('res_write', Bool(), { reset: false, enable: adv });
    const resGroup = m.reg('res_group', UInt(yAddrBits), en);
    const resLast = m.reg('res_last', Bool(), en);
    res.set(cat(...sums.map((s) => s.asUInt()).reverse()));
    const resSat = m.named('res_sat', cat(...Array.from({ length: N }, (_, i) => saturate(lane(res, i, p.accBits + 1).asSInt(), p.accBits).asUInt()).reverse()));
    resWrite.set(c2v.and(c2push.not()));
    m.when(adv, () => resOut.set(c2v.and(c2push)));
    resGroup.set(c2c);
    resLast.set(io.weight.not().and(c2last));
    m.when(resWrite, () => ymem.write(resGroup, resSat));
    io.o_valid.set(resOut);
    // The result is a master's offer (W in weight mode through the G writer, the result stream in
    // data mode): held, unchanged, until taken (AXI A3.2.1, AXI4-Stream 2.2.1). Proven here for
    // any neighbour, not only to the depth the engine top is bounded to.
    m.assertNext(resOut.and(io.o_ready.not()), resOut, 'a result on offer stays, unchanged, until it is taken', [res, resLast]);
    // Accumulators leave sign-extended to int64: G's memory word, and the result stream's lane width.
    io.o_data.set(cat(...Array.from({ length: N }, (_, i) => lane(resSat, i, p.accBits).asSInt().resize(64).asUInt()).reverse()));
    io.o_last.set(resLast);

    io.idle.set(slotFull.not().and(c1v.not()).and(c2v.not()).and(resOut.not()).and(resWrite.not()));
    return io;
  }, { N, accBits: p.accBits, groupsMax: p.groupsMax });
}
