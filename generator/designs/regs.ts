/**
 * AXI4-Lite register block (map in docs/ARCHITECTURE.md): job parameters,
 * START/BUSY/DONE, the 32-bit event counters and the identification registers.
 * AW and W may come in either order; one transaction at a time in each
 * direction, which is all a control port needs. Every READY and VALID it drives
 * comes from a register (AXI A3.1.1).
 *
 * While BUSY the block takes no write at all: it completes with SLVERR and
 * changes nothing. So the job registers the blocks read are the job's working
 * copy from START to DONE without a second bank of flip-flops, and no host,
 * however it misbehaves, can move them under a running job. Writes are taken
 * one at a time and applied once both halves are held, so the last job
 * register write is applied at least three cycles before a START: copies
 * registered from them (−θ, row beats, group counts, and values registered
 * from those) are current when the job begins.
 */
import { Expr, cat, lit, mux } from '../core/expr.ts';
import { defineModule } from '../core/module.ts';
import { Bool, UInt, log2Up } from '../core/types.ts';
import type { RegisterInfo } from '../lib/axi.ts';
import type { EngineParams } from './params.ts';
import { ENGINE_ID, REG } from '../../engine/registers.ts';
import { geometry } from '../../engine/geometry.ts';

export const LITE_ADDR_BITS = 8;

/**
 * 1 ≤ v ≤ max, for v as wide as max needs: with max a power of two that is "v ≠ 0 and, if
 * the top bit is set, nothing below it", a few LUTs where a ≤ compare made a carry chain.
 */
function inRange(v: Expr, max: number): Expr {
  const k = Math.log2(max);
  if (Number.isInteger(k) && v.width === k + 1) return v.ne(0).and(v.bit(k).not().or(k === 0 ? true : v.bits(k - 1, 0).eq(0)));
  return v.ne(0).and(v.le(max));
}

/** REG's name of a byte address (the map's names are the contract's). */
const regName = (addr: number): string => Object.entries(REG).find(([, a]) => a === addr)![0];

/**
 * The register block, and its register map as the block decodes it: every address the
 * hardware below serves is recorded where it is built, so the map in the manifest is the
 * hardware's own (widths are this configuration's).
 */
export function engineRegs(p: EngineParams, prefix: string): { def: ReturnType<typeof engineRegsDef>; registers: RegisterInfo[] } {
  const registers: RegisterInfo[] = [];
  const def = engineRegsDef(p, prefix, (addr, width, access) => {
    const known = registers.find((r) => r.offset === addr);
    if (known) known.access = known.access === access ? access : 'rw';
    else registers.push({ name: regName(addr), offset: addr, width, access });
  });
  registers.sort((a, b) => a.offset - b.offset);
  return { def, registers };
}

type RecordRegister = (addr: number, width: number, access: RegisterInfo['access']) => void;

function engineRegsDef(p: EngineParams, prefix: string, record: RecordRegister) {
  const cntBits = log2Up(p.P + 1);
  const macBits = log2Up(p.N + 1);
  const A = LITE_ADDR_BITS;
  return defineModule(`${prefix}_regs`, (m) => {
    const io = {
      awaddr: m.input('awaddr', UInt(A)),
      awvalid: m.input('awvalid', Bool()),
      awready: m.output('awready', Bool()),
      wdata: m.input('wdata', UInt(32)),
      wstrb: m.input('wstrb', UInt(4)),
      wvalid: m.input('wvalid', Bool()),
      wready: m.output('wready', Bool()),
      bresp: m.output('bresp', UInt(2)),
      bvalid: m.output('bvalid', Bool()),
      bready: m.input('bready', Bool()),
      araddr: m.input('araddr', UInt(A)),
      arvalid: m.input('arvalid', Bool()),
      arready: m.output('arready', Bool()),
      rdata: m.output('rdata', UInt(32)),
      rresp: m.output('rresp', UInt(2)),
      rvalid: m.output('rvalid', Bool()),
      rready: m.input('rready', Bool()),
      job_done: m.input('job_done', Bool()),
      axi_error: m.input('axi_error', Bool()),
      cnt_valid: m.input('cnt_valid', Bool()),
      cnt_nonzero: m.input('cnt_nonzero', UInt(cntBits)),
      cnt_zero: m.input('cnt_zero', UInt(cntBits)),
      mac_count: m.input('mac_count', UInt(macBits)),
      fetched: m.input('fetched', Bool()),
      start: m.output('start', Bool()),
      busy: m.output('busy', Bool()),
      weight: m.output('weight', Bool()),
      theta: m.output('theta', UInt(p.gBits)),
      rows: m.output('rows', UInt(p.rCntBits)),
      cols: m.output('cols', UInt(p.kCntBits)),
      vectors: m.output('vectors', UInt(32)),
      w_base: m.output('w_base', UInt(p.addrBits)),
      w_stride: m.output('w_stride', UInt(p.addrBits)),
      g_base: m.output('g_base', UInt(p.addrBits)),
      g_stride: m.output('g_stride', UInt(p.addrBits)),
    };
    const mode = m.reg('mode', Bool(), { reset: false });
    const busy = m.reg('busy_r', Bool(), { reset: false });
    const done = m.reg('done_r', Bool(), { reset: false });
    const error = m.reg('error_r', Bool(), { reset: false });
    const start = m.reg('start_r', Bool(), { reset: false });

    // ---- write channel ----
    // AW and W are each taken into a holding register on their own handshake, with READY from
    // registers alone (AXI A3.1.1: no combinational path from an interface's inputs to its
    // outputs; READY = AWVALID ∧ WVALID was one). The write is applied in the first cycle both
    // are held (the one after the later handshake), where its refusal is decided and B is
    // raised (decoding the address and the START check straight off the port had been the
    // critical path). The next write is taken only after B, which keeps writes applied at least
    // three cycles apart.
    const bvalid = m.reg('bvalid_r', Bool(), { reset: false });
    const awHeld = m.reg('aw_held', Bool(), { reset: false });
    const wHeld = m.reg('w_held', Bool(), { reset: false });
    const wdata = m.reg('wdata_q', UInt(32));
    const wstrb = m.reg('wstrb_q', UInt(4));
    const awReady = m.named('aw_ready', awHeld.not().and(bvalid.not()));
    const wReady = m.named('w_ready', wHeld.not().and(bvalid.not()));
    io.awready.set(awReady);
    io.wready.set(wReady);
    io.bvalid.set(bvalid);
    const pending = m.named('w_pending', awHeld.and(wHeld));
    m.assert(pending.not().or(bvalid.not()), 'a write is applied only while no B is outstanding');
    const awFire = m.named('aw_fire', io.awvalid.and(awReady));
    m.when(pending, () => awHeld.set(false)).elsewhen(awFire, () => awHeld.set(true));
    m.when(pending, () => wHeld.set(false)).elsewhen(io.wvalid.and(wReady), () => {
      wHeld.set(true);
      wdata.set(io.wdata);
      wstrb.set(io.wstrb);
    });
    m.when(pending, () => bvalid.set(true)).elsewhen(io.bready, () => bvalid.set(false));
    // A write applied while BUSY (or a START of no runnable job, below) is refused: SLVERR, and no
    // register sees it. BUSY can fall before the host takes B: the answer is set as the write applies.
    const refused = m.reg('refused_r', Bool(), { reset: false });
    io.bresp.set(cat(refused.asUInt(), lit(0, UInt(1))));
    const wTake = m.named('w_take', pending.and(busy.not()));
    // Byte strobes as per-byte write enables: no read-modify-write mux in front of the registers.
    // The address is decoded as AW is taken, into one flag per register: decoded from a held
    // address in the cycle of the write, its compare sat between the holding flags and every
    // register's enable (START → BUSY was the critical path).
    const awIs = new Map<number, Expr>();
    const writes = (addr: number): Expr => {
      let sel = awIs.get(addr);
      if (!sel) {
        const flag = m.reg(`aw_is_${addr.toString(16).padStart(2, '0')}`, Bool());
        m.when(awFire, () => flag.set(io.awaddr.eq(lit(addr, UInt(A)))));
        awIs.set(addr, (sel = flag));
      }
      return wTake.and(sel);
    };
    // `zeros` low bits are not stored and read 0: bases and strides are multiples of the bus
    // width, so an unaligned one cannot be programmed (no unaligned burst) and costs no flip-flop.
    const register = (addr: number, name: string, width: number, reset = 0, zeros = 0): Expr => {
      record(addr, width, 'wo');
      const hit = writes(addr);
      const parts: Expr[] = zeros > 0 ? [lit(0, UInt(zeros))] : [];
      for (let b = 0; b < Math.ceil(width / 8); b++) {
        const hi = Math.min(width, 8 * b + 8) - 1;
        const lo = Math.max(8 * b, zeros);
        if (lo > hi) continue;
        const part = m.reg(`${name}_b${b}`, UInt(hi - lo + 1), { reset: b === 0 ? reset : 0 });
        m.when(hit.and(wstrb.bit(b)), () => part.set(wdata.bits(hi, lo)));
        parts.push(part);
      }
      return m.named(name, parts.length === 1 ? parts[0]! : cat(...parts.reverse()));
    };
    const busZeros = log2Up(p.busBytes);
    const theta = register(REG.THETA, 'theta_q', p.gBits);
    const rows = register(REG.ROWS, 'rows_r', p.rCntBits, 1);
    const cols = register(REG.COLS, 'cols_r', p.kCntBits, 1);
    const vectors = register(REG.VECTORS, 'vectors_r', 32);
    const wBase = register(REG.W_BASE, 'w_base_r', p.addrBits, 0, busZeros);
    const wStride = register(REG.W_STRIDE, 'w_stride_r', p.addrBits, 0, busZeros);
    const gBase = register(REG.G_BASE, 'g_base_r', p.addrBits, 0, busZeros);
    const gStride = register(REG.G_STRIDE, 'g_stride_r', p.addrBits, 0, busZeros);
    record(REG.MODE, 1, 'wo');
    m.when(writes(REG.MODE).and(wstrb.bit(0)), () => mode.set(wdata.bit(0)));
    // START is refused too when the registers describe no job the engine can run within the
    // bus rules: COLS = 0 makes 256-beat rows that cross 4 KiB, COLS > kMax hangs the lanes, and
    // ROWS outside 1..rMax is more than the blocks are sized for. A write is taken at least two
    // cycles before the next, so the check can be registered (the reset values pass it).
    const runnable = m.regNext('job_runnable', inRange(rows, p.cfg.rMax).and(inRange(cols, p.cfg.kMax)), { reset: true });
    record(REG.CTRL, 2, 'wo');
    const ctrl = m.named('ctrl_write', writes(REG.CTRL).and(wstrb.bit(0)));
    const startAsked = ctrl.and(wdata.bit(0));
    // A refused START refuses its whole write: a CLEAR_COUNTERS beside it clears nothing.
    const startBad = m.named('start_bad', startAsked.and(runnable.not()));
    m.when(pending, () => refused.set(busy.or(startBad)));
    const startNow = m.named('start_now', startAsked.and(runnable));
    const clearCounters = m.named('clear_counters', ctrl.and(wdata.bit(1)).and(startBad.not()));
    start.set(startNow);
    m.when(startNow, () => {
      busy.set(true);
      done.set(false);
      error.set(false);
    }).elsewhen(busy.and(io.job_done), () => {
      busy.set(false);
      done.set(true);
    });
    m.when(busy.and(io.axi_error), () => error.set(true));
    m.assert(busy.and(done).not(), 'STATUS never shows BUSY and DONE together');
    m.assert(start.not().or(busy), 'the START pulse comes only with BUSY set');
    // The register contract, proven for any host: a refused write changes no state of the job.
    const jobRegs = [mode, theta, rows, cols, vectors, wBase, wStride, gBase, gStride];
    m.assertNext(pending.and(busy), bvalid.and(refused), 'a write while BUSY is answered SLVERR and changes no job register', jobRegs);
    m.assertNext(pending.and(busy.not()).and(startBad), bvalid.and(refused).and(busy.not()).and(start.not()), 'a START of no runnable job is answered SLVERR and starts nothing', jobRegs);

    // ---- counters ----
    const counter = (name: string, inc: Expr): Expr => {
      const c = m.reg(name, UInt(32), { reset: 0 });
      m.when(clearCounters, () => c.set(0)).otherwise(() => c.set(c.addWrap(inc.resize(32))));
      return c;
    };
    const on = (cond: Expr, v: Expr): Expr => mux(cond, v, lit(0, UInt(v.width)));
    // Events that come from deep logic are registered and counted a cycle later, so the
    // 32-bit adder's carry chain does not sit behind that logic (token → fetch → ROWS_FETCHED
    // was the critical path). A job's last event lands before any read after DONE can sample
    // it (that read follows the STATUS read that saw DONE), so the counts read are the same.
    const late = (name: string, v: Expr): Expr => m.regNext(name, v, { reset: 0 });
    const macs = late('mac_count_q', io.mac_count);
    // The product's register can go inside the SB_MAC16.
    const skipped = p.skipping ? on(late('skip_valid', io.cnt_valid), m.regNext('skip_macs', io.cnt_zero.mul(cols))) : lit(0, UInt(1));
    const counters: [number, Expr][] = [
      [REG.CYCLES_BUSY, counter('cycles_busy', busy.asUInt())],
      [REG.MACS_ISSUED, counter('macs_issued', macs)],
      [REG.MACS_SKIPPED, counter('macs_skipped', skipped)],
      [REG.ROWS_FETCHED, counter('rows_fetched', late('fetched_q', io.fetched).asUInt())],
      [REG.STALL_CYCLES, counter('stall_cycles', late('stall_q', busy.and(io.mac_count.eq(0))).asUInt())],
      [REG.NONZEROS, counter('nonzeros', late('nonzeros_q', on(io.cnt_valid, io.cnt_nonzero)))],
      [REG.ZEROS, counter('zeros', late('zeros_q', on(io.cnt_valid, io.cnt_zero)))],
    ];

    // ---- read channel ----
    // The address is taken into a register at its handshake and the data selected from it in
    // the next cycle, when R is raised: selecting straight off the port put the harness's input
    // logic and the 21-way select in one cycle (a critical path once the lanes' was cut).
    const rvalid = m.reg('rvalid_r', Bool(), { reset: false });
    const rPending = m.reg('r_pending', Bool(), { reset: false });
    const araddr = m.reg('araddr_q', UInt(A));
    const rdata = m.reg('rdata_r', UInt(32));
    const arReady = m.named('ar_ready', rvalid.not().and(rPending.not()));
    const arFire = m.named('ar_fire', io.arvalid.and(arReady));
    io.arready.set(arReady);
    io.rvalid.set(rvalid);
    io.rdata.set(rdata);
    io.rresp.set(lit(0, UInt(2)));
    m.when(arFire, () => {
      rPending.set(true);
      araddr.set(io.araddr);
    }).elsewhen(rPending, () => rPending.set(false));
    m.when(rPending, () => rvalid.set(true)).elsewhen(io.rready, () => rvalid.set(false));
    // AXI A3.2.1 on the two responses: R and B stay, unchanged, until taken.
    m.assertNext(rvalid.and(io.rready.not()), rvalid, 'a read response on offer stays, unchanged, until RREADY', [rdata]);
    m.assertNext(bvalid.and(io.bready.not()), bvalid, 'a write response on offer stays, unchanged, until BREADY', [refused]);
    const geo = geometry(p.cfg);
    // Without jobReadback the wide job registers are write-only (they read 0, like an unmapped
    // address): the host wrote them, and their 185 bits were most of the read select's width.
    // MODE stays readable (one bit: which mode the engine was left in).
    const jobReadback: [number, Expr][] = p.cfg.jobReadback
      ? [[REG.THETA, theta], [REG.ROWS, rows], [REG.COLS, cols], [REG.VECTORS, vectors], [REG.W_BASE, wBase], [REG.W_STRIDE, wStride], [REG.G_BASE, gBase], [REG.G_STRIDE, gStride]]
      : [];
    const readable: [number, Expr][] = [
      [REG.STATUS, cat(error.asUInt(), done.asUInt(), busy.asUInt())],
      [REG.MODE, mode.asUInt()],
      ...jobReadback,
      ...counters,
      [REG.ID, lit(ENGINE_ID, UInt(32))],
      [REG.GEOMETRY, lit(geo.geometryReg, UInt(32))],
      [REG.RMAX, lit(p.cfg.rMax, UInt(32))],
      [REG.KMAX, lit(p.cfg.kMax, UInt(32))],
    ];
    for (const [addr, v] of readable) record(addr, Math.min(32, v.width), 'ro');
    m.when(rPending, () => {
      const sw = m.switch(araddr);
      for (const [addr, v] of readable) sw.is(lit(addr, UInt(A)), () => rdata.set(v.resize(32)));
      sw.default(() => rdata.set(0));
    });

    io.start.set(start);
    io.busy.set(busy);
    io.weight.set(mode);
    io.theta.set(theta);
    io.rows.set(rows);
    io.cols.set(cols);
    io.vectors.set(vectors);
    io.w_base.set(wBase);
    io.w_stride.set(wStride);
    io.g_base.set(gBase);
    io.g_stride.set(gStride);
    return io;
  }, { skipping: p.skipping, jobReadback: p.cfg.jobReadback });
}
