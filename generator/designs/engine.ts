/**
 * The top: sparse_bwd_engine (skipping on) or dense_bwd_engine (off), built by
 * the same code. It wires the blocks to the AXI ports of the engine contract
 * and runs the job: it counts the vectors each stream delivers and each mode
 * completes, and reports DONE only when nothing of the job is left in flight.
 */
import { Expr, cat, lit, mux } from '../core/expr.ts';
import { defineModule } from '../core/module.ts';
import { Bool, SInt, UInt, Vec, log2Up } from '../core/types.ts';
import { Axi4, AxiLite, axiPort, declareRegisters } from '../lib/axi.ts';
import { skid } from '../lib/stages.ts';
import { Stream, streamIn, streamOut } from '../lib/stream.ts';
import { geometry } from '../../engine/geometry.ts';
import { type EngineConfig } from '../../engine/config.ts';
import { actLoader } from './act-loader.ts';
import { gWriter } from './g-writer.ts';
import { lane } from './hw.ts';
import { indexQueue } from './index-queue.ts';
import { lanes } from './lanes.ts';
import { engineParams } from './params.ts';
import { LITE_ADDR_BITS, engineRegs } from './regs.ts';
import { rowFetch } from './row-fetch.ts';
import { thresholdUnit } from './threshold.ts';

export function engineTop(cfg: EngineConfig) {
  const p = engineParams(cfg);
  const name = geometry(cfg).topName;
  // Submodules carry the top's prefix so both engines can live in one synthesis project.
  const prefix = cfg.skipping ? 'sbe' : 'dbe';
  const defs = {
    threshold: thresholdUnit(p, prefix),
    queue: indexQueue(p, prefix),
    fetch: rowFetch(p, prefix),
    lanes: lanes(p, prefix),
    act: actLoader(p, prefix),
    writer: gWriter(p, prefix),
    regs: engineRegs(p, prefix),
  };
  const N = p.N;
  return defineModule(name, (m) => {
    // The port groups of the engine contract (docs/ARCHITECTURE.md) as typed interfaces: their
    // names are the AXI names, and the manifest records kind, role, widths, the payload layout
    // of the streams and the register map of the AXI4-Lite slave.
    const grad = streamIn(m, 'grad', Vec(p.P, SInt(p.gBits)), { last: true });
    const act = streamIn(m, 'act', Vec(p.P, SInt(p.aBits)), { last: true });
    const res = streamOut(m, 'res', Vec(N, SInt(p.accBits)), { last: true });
    const lite = axiPort(m, 'axil', AxiLite({ addrWidth: LITE_ADDR_BITS, dataWidth: 32 }).flip());
    const mem = axiPort(m, 'axi', Axi4({ addrWidth: p.addrBits, dataWidth: p.busBits }));
    declareRegisters(lite, defs.regs.registers);
    const regs = m.instance('u_regs', defs.regs.def);
    const thr = m.instance('u_threshold', defs.threshold);
    const q = m.instance('u_index_queue', defs.queue);
    const fetch = m.instance('u_row_fetch', defs.fetch);
    const ln = m.instance('u_lanes', defs.lanes);
    const loader = m.instance('u_act_loader', defs.act);
    const wr = m.instance('u_g_writer', defs.writer);

    const weight = regs.weight;
    const restart = regs.start;
    // The START cycle resets the job's counters, so no stream is accepted in it: running is BUSY
    // without START. It is a flip-flop, set from what makes BUSY next (a START is refused while
    // BUSY, so BUSY stays exactly while the job is not done): as BUSY ∧ ¬START it put two LUTs and
    // their routes in front of the activation and gradient tready.
    const busy = m.reg('running', Bool(), { reset: false });

    // ---- job bookkeeping ----
    const vecCounter = (nm: string, inc: Expr): Expr => {
      const c = m.reg(nm, UInt(32), { reset: 0 });
      m.when(restart, () => c.set(0)).elsewhen(inc, () => c.set(c.addWrap(1)));
      return c;
    };
    // Whether a stream still owes vectors, as a flag kept beside its count: set at START when
    // VECTORS ≠ 0, cleared by the delivery that makes count = VECTORS (compared as count = VECTORS − 1
    // before it). Computed from the count in front of tready it was the critical path. A stream
    // delivers a vector only while it owes one, so the count never passes VECTORS (which cannot
    // change during a job: writes are refused while BUSY).
    const vectorsLess1 = m.regNext('vectors_less_1', regs.vectors.subWrap(1));
    const owesCounter = (nm: string, inc: Expr): Expr => {
      const count = vecCounter(nm, inc);
      const owed = m.reg(`${nm}_owed`, Bool(), { reset: false });
      m.when(restart, () => owed.set(regs.vectors.ne(0))).elsewhen(inc, () => owed.set(count.ne(vectorsLess1)));
      m.assert(owed.eq(count.ne(regs.vectors)).or(regs.busy.not()).or(restart), `${nm}: the owed flag agrees with the count during a job`);
      return owed;
    };
    const gradFire = m.named('grad_fire', grad.valid.and(thr.grad_ready).and(grad.last!));
    const actFire = m.named('act_fire', act.valid.and(loader.act_ready).and(act.last!));
    const resFire = m.named('res_last_fire', res.valid.and(res.ready).and(res.last!));
    const gradOwed = owesCounter('grad_vectors', gradFire);
    const actOwed = owesCounter('act_vectors', actFire);
    // Vectors the job has yet to finish, counted down a cycle late: the lanes' advance logic in
    // front of a 32-bit counter's enables was the critical path. DONE must not move, so the test
    // for zero takes the pending count into account.
    const vecDone = m.named('vec_done', mux(weight, ln.vec_done, resFire).and(restart.not()));
    const doneLate = m.regNext('vec_done_late', vecDone, { reset: false });
    const vecsLeft = m.reg('vectors_left', UInt(32), { reset: 0 });
    m.when(restart, () => vecsLeft.set(regs.vectors)).elsewhen(doneLate, () => vecsLeft.set(vecsLeft.subWrap(1)));
    const doneAll = m.named('done_all', vecsLeft.bits(31, 1).eq(0).and(vecsLeft.bit(0).eq(doneLate)));
    // Read bursts issued whose last beat has not arrived: DONE waits for them.
    const rBursts = m.reg('read_bursts', UInt(log2Up(p.maxOutstanding * p.rowBeatsMax + 2)), { reset: 0 });
    const arFire = m.named('ar_fire', fetch.ar_valid.and(mem.ar.ready));
    // Counted a cycle late: RREADY comes from the lanes' advance, and this count behind it was
    // the critical path. DONE can only come later for it, never sooner.
    const rLastFire = m.regNext('r_last_fire', mem.r.valid.and(ln.r_ready).and(mem.r.fields.last!), { reset: false });
    m.when(arFire.and(rLastFire.not()), () => rBursts.set(rBursts.addWrap(1)))
      .elsewhen(rLastFire.and(arFire.not()), () => rBursts.set(rBursts.subWrap(1)));
    // DONE means nothing of the job is left on any port: every result beat taken (data mode
    // counts a vector at its last beat's handshake), every read burst's last R in, every W beat
    // sent and every B taken (the writer is idle). A host write after DONE is taken, and with
    // nothing in flight, no output can change under a pending handshake.
    const drained = m.named('drained', ln.idle.and(wr.idle).and(rBursts.eq(0)));
    // Seen a cycle late, at the cost of one cycle per job: the blocks' idle flags, the vector count
    // and the AND of them in front of BUSY, DONE and `running` were eight LUTs (the critical path).
    // Once every vector is done and nothing is in flight, nothing of the job can start again (no
    // stream owes a vector), so the late view is never stale. It is masked in the START cycle,
    // where it still shows the previous job's end, and not taken from it: the vector count is
    // loaded only as that cycle ends.
    const finished = m.regNext('job_finished', restart.not().and(doneAll).and(drained), { reset: false });
    const jobDone = m.named('job_done', restart.not().and(finished));
    m.assert(finished.not().or(regs.busy.not()).or(restart).or(doneAll.and(drained)), 'a finished job stays drained until DONE');
    regs.job_done.set(jobDone);
    busy.set(regs.busy.and(jobDone.not()));
    m.assert(busy.eq(regs.busy.and(restart.not())), 'running is BUSY outside the START cycle');
    const rErr = mem.r.valid.and(ln.r_ready).and(mem.r.fields.resp!.ne(0));
    const bErr = mem.b.valid.and(wr.b_ready).and(mem.b.fields.resp!.ne(0));
    // Seen a cycle late: R's ready comes from the lanes' advance, and the error flag behind it
    // made that path longer. DONE waits for the last R and B to be counted, which lands in the
    // same cycle as the late error, so STATUS shows ERROR no later than DONE.
    regs.axi_error.set(m.regNext('axi_error_q', rErr.or(bErr), { reset: false }));

    // ---- AXI4-Lite ----
    regs.awaddr.set(lite.aw.fields.addr!);
    regs.awvalid.set(lite.aw.valid);
    lite.aw.ready.set(regs.awready);
    regs.wdata.set(lite.w.fields.data!);
    regs.wstrb.set(lite.w.fields.strb!);
    regs.wvalid.set(lite.w.valid);
    lite.w.ready.set(regs.wready);
    lite.b.fields.resp!.set(regs.bresp);
    lite.b.valid.set(regs.bvalid);
    regs.bready.set(lite.b.ready);
    regs.araddr.set(lite.ar.fields.addr!);
    regs.arvalid.set(lite.ar.valid);
    lite.ar.ready.set(regs.arready);
    lite.r.fields.data!.set(regs.rdata);
    lite.r.fields.resp!.set(regs.rresp);
    lite.r.valid.set(regs.rvalid);
    regs.rready.set(lite.r.ready);

    // ---- gradients → threshold → index queue ----
    thr.grad_valid.set(grad.valid);
    grad.ready.set(thr.grad_ready);
    thr.grad_data.set(grad.data);
    thr.grad_last.set(grad.last!);
    thr.accept.set(busy.and(gradOwed));
    thr.restart.set(restart);
    thr.theta.set(regs.theta);
    thr.rows.set(regs.rows);
    q.in_valid.set(thr.out_valid);
    thr.out_ready.set(q.in_ready);
    thr.out_room.set(q.in_room);
    q.in_vals.set(thr.out_vals);
    q.in_visit.set(thr.out_visit);
    q.in_beat.set(thr.out_beat);
    q.in_last.set(thr.out_last);
    regs.cnt_valid.set(thr.cnt_valid);
    regs.cnt_nonzero.set(thr.cnt_nonzero);
    regs.cnt_zero.set(thr.cnt_zero);

    // ---- tokens → row fetch ----
    const log2 = (n: number) => log2Up(n);
    // Beats of one row: W rows are cols·2 bytes, G rows cols·8 bytes.
    const beatsFor = (elemsPerBeat: number): Expr =>
      regs.cols.add(elemsPerBeat - 1).shr(log2(elemsPerBeat)).resize(p.rowBeatBits);
    // Registered: COLS and MODE cannot change during a job.
    const rowBeats = m.regNext('row_beats', mux(weight, beatsFor(p.busBytes / 8), beatsFor(p.busBytes / 2)));
    // Tokens cross a skid buffer, registered both ways: the picker's lowest-set search and the
    // row fetcher's hazard check were one combinational path (42 ns on the UP5K), and with a
    // forward-only slice the fetcher's accept ran on through the picker into the beat queue's
    // pop (33 ns, the critical path). The skid's second entry costs a logic cell per token bit.
    const tokWord = m.named('tok_word', cat(q.tok_j, q.tok_g, q.tok_eov.asUInt(), q.tok_rowless.asUInt()));
    const tok = skid(m, 'tok', new Stream('tok', { payload: UInt(tokWord.width) }, 'wire', q.tok_valid, q.tok_ready, tokWord));
    fetch.tok_valid.set(tok.valid);
    tok.ready.set(fetch.tok_ready);
    fetch.tok_j.set(tok.data.bits(tokWord.width - 1, p.gBits + 2));
    fetch.tok_g.set(tok.data.bits(p.gBits + 1, 2));
    fetch.tok_eov.set(tok.data.bit(1));
    fetch.tok_rowless.set(tok.data.bit(0));
    // A copy of MODE of the fetcher's own, placed beside it: MODE's fan-out across the engine put
    // a long route in front of the fetcher's token accept. MODE is written at least three cycles
    // before the START that uses it, and cannot change during a job, so the copy is never stale.
    fetch.weight.set(m.regNext('fetch_weight', weight, { reset: false }));
    fetch.restart.set(restart);
    fetch.base.set(mux(weight, regs.g_base, regs.w_base));
    fetch.stride.set(mux(weight, regs.g_stride, regs.w_stride));
    fetch.row_beats.set(rowBeats);
    // A cycle late: it comes from the lanes' advance, and the fetcher's outstanding count behind
    // it was a long path. Counting a consumed row late only keeps a prefetch slot one cycle longer.
    fetch.row_done.set(m.regNext('row_done_q', ln.row_done, { reset: false }));
    // A cycle late: it comes from the B handshake, and the CAM's retirement behind it was a long
    // path. A row kept in flight a cycle longer only delays a read of that same row.
    fetch.row_retired.set(m.regNext('row_retired_q', wr.row_retired, { reset: false }));
    fetch.ar_ready.set(mem.ar.ready);
    mem.ar.fields.addr!.set(fetch.ar_addr);
    mem.ar.fields.len!.set(fetch.ar_len);
    mem.ar.fields.size!.set(lit(log2(p.busBytes), UInt(3)));
    mem.ar.fields.burst!.set(lit(1, UInt(2)));
    mem.ar.valid.set(fetch.ar_valid);
    regs.fetched.set(fetch.fetched);

    // ---- lanes ----
    ln.lt_valid.set(fetch.lt_valid);
    ln.lt_data.set(fetch.lt_data);
    fetch.lt_pop.set(ln.lt_pop);
    ln.r_valid.set(mem.r.valid);
    ln.r_data.set(mem.r.fields.data!);
    mem.r.ready.set(ln.r_ready);
    ln.weight.set(weight);
    ln.cols.set(regs.cols);
    ln.restart.set(restart);
    regs.mac_count.set(ln.mac_count);

    loader.act_valid.set(act.valid);
    act.ready.set(loader.act_ready);
    loader.act_data.set(act.data);
    loader.act_last.set(act.last!);
    loader.accept.set(busy.and(weight).and(actOwed));
    loader.restart.set(restart);
    loader.bank_release.set(ln.a_release);
    ln.a_we.set(loader.a_we);
    ln.a_waddr.set(loader.a_waddr);
    ln.a_wdata.set(loader.a_wdata);
    ln.a_bank_ready.set(loader.bank_ready);

    // ---- results: y to the stream (data mode), G to the write-back (weight mode) ----
    res.valid.set(ln.o_valid.and(weight.not()));
    res.data.set(cat(...Array.from({ length: N }, (_, i) => lane(ln.o_data, i, 64).bits(p.accBits - 1, 0)).reverse()));
    res.last!.set(ln.o_last);
    ln.o_ready.set(mux(weight, wr.d_ready, res.ready));

    wr.burst_valid.set(fetch.wb_valid);
    wr.burst_addr.set(fetch.wb_addr);
    wr.burst_len.set(fetch.wb_len);
    wr.burst_row_end.set(fetch.wb_row_end);
    fetch.wb_room.set(wr.burst_room);
    wr.d_valid.set(ln.o_valid.and(weight));
    wr.d_data.set(ln.o_data);
    wr.aw_ready.set(mem.aw.ready);
    mem.aw.fields.addr!.set(wr.aw_addr);
    mem.aw.fields.len!.set(wr.aw_len);
    mem.aw.fields.size!.set(lit(log2(p.busBytes), UInt(3)));
    mem.aw.fields.burst!.set(lit(1, UInt(2)));
    mem.aw.valid.set(wr.aw_valid);
    mem.w.fields.data!.set(wr.w_data);
    mem.w.fields.strb!.set(lit((1n << BigInt(p.busBytes)) - 1n, UInt(p.busBytes)));
    mem.w.fields.last!.set(wr.w_last);
    mem.w.valid.set(wr.w_valid);
    wr.w_ready.set(mem.w.ready);
    wr.b_valid.set(mem.b.valid);
    mem.b.ready.set(wr.b_ready);
    return { grad, act, res, axil: lite, axi: mem };
  }, {
    P: p.P, N, rMax: cfg.rMax, kMax: cfg.kMax, queueDepth: cfg.queueDepth, maxOutstanding: cfg.maxOutstanding, axiDataBits: cfg.axiDataBits, skipping: cfg.skipping,
    // Read bursts in flight at most: maxOutstanding rows, each split at 256 beats and at every 4 KiB page it touches.
    maxReadBursts: cfg.maxOutstanding * (Math.ceil((p.rowBeatsMax * p.busBytes) / 4096) + 1),
  });
}
