/**
 * An AXI4-Lite register file: `n` read/write 32-bit registers at byte addresses 0, 4,
 * … (written byte by byte under wstrb, exposed on `regs_<i>`) and one read-only
 * `status` word after them. A write to the status word or any address past it, and a
 * read past it, answer SLVERR and change nothing. One write and one read in flight at
 * a time: AW and W are held as they come, in either order, and the response is held
 * until taken; every READY and VALID is a register's (AXI A3.1.1).
 */
import { Bool, UInt, Vec, cat, defineModule, lit, log2Up, mux, select, type Expr, type Signal } from '../index.ts';
import { AxiLite, axiPort, declareRegisters } from '../lib/axi.ts';

export const OKAY = 0n;
export const SLVERR = 2n;

export const axilRegfile = (n: number, addrWidth = 8) =>
  defineModule(`axil_regfile_${n}_a${addrWidth}`, (m) => {
    const bus = axiPort(m, 'axil', AxiLite({ addrWidth, dataWidth: 32 }).flip());
    // Recorded in manifest.json with the interface, for software and test benches.
    declareRegisters(bus, [
      ...Array.from({ length: n }, (_, i) => ({ name: `r${i}`, offset: 4 * i, width: 32, access: 'rw' as const, description: `general register ${i}, out on regs_${i}` })),
      { name: 'status', offset: 4 * n, width: 32, access: 'ro', description: 'the status input' },
    ]);
    const status = m.input('status', UInt(32));
    const regsOut = m.output('regs', Vec(n, UInt(32)));
    const regs = m.reg('r', Vec(n, UInt(32)), { reset: 0 }) as Signal[];
    regs.forEach((r, i) => regsOut[i]!.set(r));

    const indexBits = log2Up(n + 1);
    /** The word index of a byte address, and whether it names a register (the status word when `readable`). */
    const decode = (addr: Expr, what: string, readable: boolean): { index: Expr; hit: Expr } => {
      const index = m.named(`${what}_index`, addr.bits(indexBits + 1, 2));
      const above = addrWidth > indexBits + 2 ? addr.bits(addrWidth - 1, indexBits + 2).eq(0) : undefined;
      // Every index the bits can hold may be a register: then only the high address bits decide.
      const limit = readable ? n + 1 : n;
      const inRange = limit < 2 ** indexBits ? index.lt(limit) : undefined;
      m.unused(addr.bits(1, 0));
      const hit = above && inRange ? above.and(inRange) : above ?? inRange ?? lit(true);
      return { index, hit: m.named(`${what}_hit`, hit) };
    };

    // ---- writes: AW and W each into a holding register, applied once both are held, then B until taken ----
    // READY comes from registers only: AXI A3.1.1 allows no combinational path from an
    // interface's inputs to its outputs (READY = AWVALID ∧ WVALID would be one).
    const bValid = m.reg('b_valid', Bool(), { reset: 0 });
    const bResp = m.reg('b_resp', UInt(2), { reset: 0 });
    const awHeld = m.reg('aw_held', Bool(), { reset: 0 });
    const wHeld = m.reg('w_held', Bool(), { reset: 0 });
    const awAddr = m.reg('aw_addr', UInt(addrWidth));
    const wdata = m.reg('w_data', UInt(32));
    const strb = m.reg('w_strb', UInt(4));
    bus.aw.ready.set(awHeld.not().and(bValid.not()));
    bus.w.ready.set(wHeld.not().and(bValid.not()));
    m.when(bus.aw.fire(), () => {
      awHeld.set(true);
      awAddr.set(bus.aw.fields.addr!);
    });
    m.when(bus.w.fire(), () => {
      wHeld.set(true);
      wdata.set(bus.w.fields.data!);
      strb.set(bus.w.fields.strb!);
    });
    const take = m.named('write_take', awHeld.and(wHeld));
    const wr = decode(awAddr, 'write', false);
    m.when(take, () => {
      awHeld.set(false);
      wHeld.set(false);
      bValid.set(true);
      bResp.set(mux(wr.hit, OKAY, SLVERR));
      regs.forEach((r, i) => m.when(wr.hit.and(wr.index.eq(i)), () => {
        // Byte lane b takes the new byte where wstrb[b] is set.
        r.set(cat(...[3, 2, 1, 0].map((b) => mux(strb.bit(b), wdata.bits(8 * b + 7, 8 * b), r.bits(8 * b + 7, 8 * b)))));
      }));
    }).elsewhen(bus.b.ready, () => bValid.set(false));
    bus.b.valid.set(bValid);
    bus.b.fields.resp!.set(bResp);

    // ---- reads: AR, then R until taken ----
    const rValid = m.reg('r_valid', Bool(), { reset: 0 });
    const rData = m.reg('r_data', UInt(32), { reset: 0 });
    const rResp = m.reg('r_resp', UInt(2), { reset: 0 });
    bus.ar.ready.set(rValid.not());
    const rd = decode(bus.ar.fields.addr!, 'read', true);
    m.when(bus.ar.fire(), () => {
      rValid.set(true);
      rResp.set(mux(rd.hit, OKAY, SLVERR));
      rData.set(mux(rd.hit, select(rd.index, [...regs, status]), 0));
    }).elsewhen(bus.r.ready, () => rValid.set(false));
    bus.r.valid.set(rValid);
    bus.r.fields.data!.set(rData);
    bus.r.fields.resp!.set(rResp);
    return { bus, status, regs: regsOut };
  }, { n, addrWidth });
