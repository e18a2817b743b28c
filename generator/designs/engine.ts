/**
 * The top: sparse_bwd_engine (skipping on) or dense_bwd_engine (off), built by
 * the same code. It wires the blocks to the AXI ports of the engine contract
 * and runs the job: it counts the vectors each stream delivers and each mode
 * completes, and reports DONE only when nothing of the job is left in flight.
 */
import { Expr, cat, lit, mux } from '../core/expr.ts';
import { defineModule } from '../core/module.ts';
import { Bool, UInt, log2Up } from '../core/types.ts';
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
    const port = {
      grad_tvalid: m.input('s_axis_grad_tvalid', Bool()),
      grad_tready: m.output('s_axis_grad_tready', Bool()),
      grad_tdata: m.input('s_axis_grad_tdata', UInt(p.P * p.gBits)),
      grad_tlast: m.input('s_axis_grad_tlast', Bool()),
      act_tvalid: m.input('s_axis_act_tvalid', Bool()),
      act_tready: m.output('s_axis_act_tready', Bool()),
      act_tdata: m.input('s_axis_act_tdata', UInt(p.P * p.aBits)),
      act_tlast: m.input('s_axis_act_tlast', Bool()),
      res_tvalid: m.output('m_axis_res_tvalid', Bool()),
      res_tready: m.input('m_axis_res_tready', Bool()),
      res_tdata: m.output('m_axis_res_tdata', UInt(N * p.accBits)),
      res_tlast: m.output('m_axis_res_tlast', Bool()),
      l_awaddr: m.input('s_axil_awaddr', UInt(LITE_ADDR_BITS)),
      l_awvalid: m.input('s_axil_awvalid', Bool()),
      l_awready: m.output('s_axil_awready', Bool()),
      l_wdata: m.input('s_axil_wdata', UInt(32)),
      l_wstrb: m.input('s_axil_wstrb', UInt(4)),
      l_wvalid: m.input('s_axil_wvalid', Bool()),
      l_wready: m.output('s_axil_wready', Bool()),
      l_bresp: m.output('s_axil_bresp', UInt(2)),
      l_bvalid: m.output('s_axil_bvalid', Bool()),
      l_bready: m.input('s_axil_bready', Bool()),
      l_araddr: m.input('s_axil_araddr', UInt(LITE_ADDR_BITS)),
      l_arvalid: m.input('s_axil_arvalid', Bool()),
      l_arready: m.output('s_axil_arready', Bool()),
      l_rdata: m.output('s_axil_rdata', UInt(32)),
      l_rresp: m.output('s_axil_rresp', UInt(2)),
      l_rvalid: m.output('s_axil_rvalid', Bool()),
      l_rready: m.input('s_axil_rready', Bool()),
      araddr: m.output('m_axi_araddr', UInt(p.addrBits)),
      arlen: m.output('m_axi_arlen', UInt(8)),
      arsize: m.output('m_axi_arsize', UInt(3)),
      arburst: m.output('m_axi_arburst', UInt(2)),
      arvalid: m.output('m_axi_arvalid', Bool()),
      arready: m.input('m_axi_arready', Bool()),
      rdata: m.input('m_axi_rdata', UInt(p.busBits)),
      rresp: m.input('m_axi_rresp', UInt(2)),
      rlast: m.input('m_axi_rlast', Bool()),
      rvalid: m.input('m_axi_rvalid', Bool()),
      rready: m.output('m_axi_rready', Bool()),
      awaddr: m.output('m_axi_awaddr', UInt(p.addrBits)),
      awlen: m.output('m_axi_awlen', UInt(8)),
      awsize: m.output('m_axi_awsize', UInt(3)),
      awburst: m.output('m_axi_awburst', UInt(2)),
      awvalid: m.output('m_axi_awvalid', Bool()),
      awready: m.input('m_axi_awready', Bool()),
      wdata: m.output('m_axi_wdata', UInt(p.busBits)),
      wstrb: m.output('m_axi_wstrb', UInt(p.busBytes)),
      wlast: m.output('m_axi_wlast', Bool()),
      wvalid: m.output('m_axi_wvalid', Bool()),
      wready: m.input('m_axi_wready', Bool()),
      bresp: m.input('m_axi_bresp', UInt(2)),
      bvalid: m.input('m_axi_bvalid', Bool()),
      bready: m.output('m_axi_bready', Bool()),
    };
    const regs = m.instance('u_regs', defs.regs);
    const thr = m.instance('u_threshold', defs.threshold);
    const q = m.instance('u_index_queue', defs.queue);
    const fetch = m.instance('u_row_fetch', defs.fetch);
    const ln = m.instance('u_lanes', defs.lanes);
    const act = m.instance('u_act_loader', defs.act);
    const wr = m.instance('u_g_writer', defs.writer);

    const weight = regs.weight;
    const restart = regs.start;
    // The START cycle resets the job's counters, so no stream is accepted in it.
    const busy = m.named('running', regs.busy.and(regs.start.not()));

    // ---- job bookkeeping ----
    const vecCounter = (nm: string, inc: Expr): Expr => {
      const c = m.reg(nm, UInt(32), { reset: 0 });
      m.when(restart, () => c.set(0)).elsewhen(inc, () => c.set(c.addWrap(1)));
      return c;
    };
    // Whether a stream still owes vectors (count < VECTORS) as count ≠ VECTORS: an equality is
    // three LUT levels where the less-than was a 32-bit carry chain in front of tready (the
    // critical path). A stream delivers a vector only while it owes one, so the count never
    // passes VECTORS (which cannot change during a job: writes are refused while BUSY).
    const owesCounter = (nm: string, inc: Expr): Expr => vecCounter(nm, inc).ne(regs.vectors);
    const gradFire = m.named('grad_fire', port.grad_tvalid.and(thr.grad_ready).and(port.grad_tlast));
    const actFire = m.named('act_fire', port.act_tvalid.and(act.act_ready).and(port.act_tlast));
    const resFire = m.named('res_last_fire', port.res_tvalid.and(port.res_tready).and(port.res_tlast));
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
    const arFire = m.named('ar_fire', fetch.ar_valid.and(port.arready));
    const rLastFire = m.named('r_last_fire', port.rvalid.and(ln.r_ready).and(port.rlast));
    m.when(arFire.and(rLastFire.not()), () => rBursts.set(rBursts.addWrap(1)))
      .elsewhen(rLastFire.and(arFire.not()), () => rBursts.set(rBursts.subWrap(1)));
    // DONE means nothing of the job is left on any port: every result beat taken (data mode
    // counts a vector at its last beat's handshake), every read burst's last R in, every W beat
    // sent and every B taken (the writer is idle). A host write after DONE is taken, and with
    // nothing in flight, no output can change under a pending handshake.
    const drained = m.named('drained', ln.idle.and(wr.idle).and(rBursts.eq(0)));
    regs.job_done.set(restart.not().and(doneAll).and(drained));
    const rErr = port.rvalid.and(ln.r_ready).and(port.rresp.ne(0));
    const bErr = port.bvalid.and(wr.b_ready).and(port.bresp.ne(0));
    regs.axi_error.set(rErr.or(bErr));

    // ---- AXI4-Lite ----
    regs.awaddr.set(port.l_awaddr);
    regs.awvalid.set(port.l_awvalid);
    port.l_awready.set(regs.awready);
    regs.wdata.set(port.l_wdata);
    regs.wstrb.set(port.l_wstrb);
    regs.wvalid.set(port.l_wvalid);
    port.l_wready.set(regs.wready);
    port.l_bresp.set(regs.bresp);
    port.l_bvalid.set(regs.bvalid);
    regs.bready.set(port.l_bready);
    regs.araddr.set(port.l_araddr);
    regs.arvalid.set(port.l_arvalid);
    port.l_arready.set(regs.arready);
    port.l_rdata.set(regs.rdata);
    port.l_rresp.set(regs.rresp);
    port.l_rvalid.set(regs.rvalid);
    regs.rready.set(port.l_rready);

    // ---- gradients → threshold → index queue ----
    thr.grad_valid.set(port.grad_tvalid);
    port.grad_tready.set(thr.grad_ready);
    thr.grad_data.set(port.grad_tdata);
    thr.grad_last.set(port.grad_tlast);
    thr.accept.set(busy.and(gradOwed));
    thr.restart.set(restart);
    thr.theta.set(regs.theta);
    thr.rows.set(regs.rows);
    q.in_valid.set(thr.out_valid);
    thr.out_ready.set(q.in_ready);
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
    fetch.tok_valid.set(q.tok_valid);
    q.tok_ready.set(fetch.tok_ready);
    fetch.tok_j.set(q.tok_j);
    fetch.tok_g.set(q.tok_g);
    fetch.tok_eov.set(q.tok_eov);
    fetch.tok_rowless.set(q.tok_rowless);
    fetch.weight.set(weight);
    fetch.restart.set(restart);
    fetch.base.set(mux(weight, regs.g_base, regs.w_base));
    fetch.stride.set(mux(weight, regs.g_stride, regs.w_stride));
    fetch.row_beats.set(rowBeats);
    fetch.row_done.set(ln.row_done);
    fetch.row_retired.set(wr.row_retired);
    fetch.ar_ready.set(port.arready);
    port.araddr.set(fetch.ar_addr);
    port.arlen.set(fetch.ar_len);
    port.arsize.set(lit(log2(p.busBytes), UInt(3)));
    port.arburst.set(lit(1, UInt(2)));
    port.arvalid.set(fetch.ar_valid);
    regs.fetched.set(fetch.fetched);

    // ---- lanes ----
    ln.lt_valid.set(fetch.lt_valid);
    ln.lt_data.set(fetch.lt_data);
    fetch.lt_pop.set(ln.lt_pop);
    ln.r_valid.set(port.rvalid);
    ln.r_data.set(port.rdata);
    port.rready.set(ln.r_ready);
    ln.weight.set(weight);
    ln.cols.set(regs.cols);
    ln.restart.set(restart);
    regs.mac_count.set(ln.mac_count);

    act.act_valid.set(port.act_tvalid);
    port.act_tready.set(act.act_ready);
    act.act_data.set(port.act_tdata);
    act.act_last.set(port.act_tlast);
    act.accept.set(busy.and(weight).and(actOwed));
    act.restart.set(restart);
    act.bank_release.set(ln.a_release);
    ln.a_we.set(act.a_we);
    ln.a_waddr.set(act.a_waddr);
    ln.a_wdata.set(act.a_wdata);
    ln.a_bank_full.set(act.bank_full);

    // ---- results: y to the stream (data mode), G to the write-back (weight mode) ----
    port.res_tvalid.set(ln.o_valid.and(weight.not()));
    port.res_tdata.set(cat(...Array.from({ length: N }, (_, i) => lane(ln.o_data, i, 64).bits(p.accBits - 1, 0)).reverse()));
    port.res_tlast.set(ln.o_last);
    ln.o_ready.set(mux(weight, wr.d_ready, port.res_tready));

    wr.burst_valid.set(fetch.wb_valid);
    wr.burst_addr.set(fetch.wb_addr);
    wr.burst_len.set(fetch.wb_len);
    wr.burst_row_end.set(fetch.wb_row_end);
    fetch.wb_room.set(wr.burst_room);
    wr.d_valid.set(ln.o_valid.and(weight));
    wr.d_data.set(ln.o_data);
    wr.aw_ready.set(port.awready);
    port.awaddr.set(wr.aw_addr);
    port.awlen.set(wr.aw_len);
    port.awsize.set(lit(log2(p.busBytes), UInt(3)));
    port.awburst.set(lit(1, UInt(2)));
    port.awvalid.set(wr.aw_valid);
    port.wdata.set(wr.w_data);
    port.wstrb.set(lit((1n << BigInt(p.busBytes)) - 1n, UInt(p.busBytes)));
    port.wlast.set(wr.w_last);
    port.wvalid.set(wr.w_valid);
    wr.w_ready.set(port.wready);
    wr.b_valid.set(port.bvalid);
    port.bready.set(wr.b_ready);
    return port;
  }, {
    P: p.P, N, rMax: cfg.rMax, kMax: cfg.kMax, queueDepth: cfg.queueDepth, maxOutstanding: cfg.maxOutstanding, axiDataBits: cfg.axiDataBits, skipping: cfg.skipping,
    // Read bursts in flight at most: maxOutstanding rows, each split at 256 beats and at every 4 KiB page it touches.
    maxReadBursts: cfg.maxOutstanding * (Math.ceil((p.rowBeatsMax * p.busBytes) / 4096) + 1),
  });
}
