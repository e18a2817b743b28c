/**
 * The engine's external memory on the UP5K: its four SB_SPRAM256KA blocks side by
 * side as one 16 K × 64-bit RAM (128 KiB), served as an AXI4 subordinate of the
 * engine's bus width and, between bursts, to the host bridge one 64-bit word at a time.
 *
 * One burst at a time: a read beat is assembled from busBits/64 consecutive words
 * (one SPRAM read per cycle, data a cycle later), a write beat is written word by
 * word with WREADY raised on its last word. Byte addresses wrap at 128 KiB
 * (bits above 16 are ignored). The engine's figures on the board are therefore not
 * its cosim figures (memory latency differs); its results are the same.
 */
import { Bool, UInt, blackBox, cat, defineModule, lit, log2Up, mux, select, type Expr } from '../../index.ts';

export const SPRAM_WORDS = 16384;
export const SPRAM_ADDR_BITS = 14;
/** Bytes the board's memory holds. */
export const BOARD_MEMORY_BYTES = SPRAM_WORDS * 8;

export const spramCell = () =>
  blackBox('SB_SPRAM256KA', {
    file: 'generator/boards/icebreaker/models/SB_SPRAM256KA.v',
    clock: 'CLOCK',
    inputs: { ADDRESS: UInt(14), DATAIN: UInt(16), MASKWREN: UInt(4), WREN: Bool(), CHIPSELECT: Bool(), STANDBY: Bool(), SLEEP: Bool(), POWEROFF: Bool() },
    outputs: { DATAOUT: UInt(16) },
  });

/** AXI4 subordinate of `busBits` (a multiple of 64) plus the host word port. */
export const spramAxi = (busBits: number, addrBits: number) => {
  if (busBits % 64 !== 0) throw new RangeError(`memory bus of ${busBits} bits is not a whole number of 64-bit SPRAM words`);
  const words = busBits / 64;
  const kw = log2Up(words + 1);
  const cell = spramCell();
  return defineModule(`board_spram_axi_b${busBits}`, (m) => {
    const io = {
      araddr: m.input('s_axi_araddr', UInt(addrBits)),
      arlen: m.input('s_axi_arlen', UInt(8)),
      arvalid: m.input('s_axi_arvalid', Bool()),
      arready: m.output('s_axi_arready', Bool()),
      rdata: m.output('s_axi_rdata', UInt(busBits)),
      rresp: m.output('s_axi_rresp', UInt(2)),
      rlast: m.output('s_axi_rlast', Bool()),
      rvalid: m.output('s_axi_rvalid', Bool()),
      rready: m.input('s_axi_rready', Bool()),
      awaddr: m.input('s_axi_awaddr', UInt(addrBits)),
      awlen: m.input('s_axi_awlen', UInt(8)),
      awvalid: m.input('s_axi_awvalid', Bool()),
      awready: m.output('s_axi_awready', Bool()),
      wdata: m.input('s_axi_wdata', UInt(busBits)),
      wstrb: m.input('s_axi_wstrb', UInt(busBits / 8)),
      wlast: m.input('s_axi_wlast', Bool()),
      wvalid: m.input('s_axi_wvalid', Bool()),
      wready: m.output('s_axi_wready', Bool()),
      bresp: m.output('s_axi_bresp', UInt(2)),
      bvalid: m.output('s_axi_bvalid', Bool()),
      bready: m.input('s_axi_bready', Bool()),
      hostReq: m.input('host_req', Bool()),
      hostWrite: m.input('host_write', Bool()),
      hostAddr: m.input('host_addr', UInt(SPRAM_ADDR_BITS)),
      hostWdata: m.input('host_wdata', UInt(64)),
      hostAck: m.output('host_ack', Bool()),
      hostRdata: m.output('host_rdata', UInt(64)),
    };
    const IDLE = 0, HOST_READ = 1, READ = 2, READ_BEAT = 3, WRITE = 4, RESP = 5;
    const state = m.reg('state', UInt(3), { reset: IDLE });
    const wordAddr = m.reg('word_addr', UInt(SPRAM_ADDR_BITS), { reset: 0 });
    const beatsLeft = m.reg('beats_left', UInt(8), { reset: 0 });
    const k = m.reg('k', UInt(kw), { reset: 0 });
    const beat = m.reg('beat', UInt(busBits));

    const addr = m.wire('ram_addr', UInt(SPRAM_ADDR_BITS));
    const wdata = m.wire('ram_wdata', UInt(64));
    const wmask = m.wire('ram_wmask', UInt(16));
    const wren = m.wire('ram_wren', Bool());
    addr.set(wordAddr);
    wdata.set(0);
    wmask.set(0);
    wren.set(false);

    const cells = [0, 1, 2, 3].map((i) => m.instance(`u_spram${i}`, cell));
    for (const [i, c] of cells.entries()) {
      c.ADDRESS.set(addr);
      c.DATAIN.set(wdata.bits(16 * i + 15, 16 * i));
      c.MASKWREN.set(wmask.bits(4 * i + 3, 4 * i));
      c.WREN.set(wren);
      c.CHIPSELECT.set(true);
      c.STANDBY.set(false);
      c.SLEEP.set(false);
      c.POWEROFF.set(true);
    }
    const dout = m.named('ram_dout', cat(...[3, 2, 1, 0].map((i) => cells[i]!.DATAOUT)));
    const wordOf = (a: Expr): Expr => a.bits(SPRAM_ADDR_BITS + 2, 3);
    // A byte strobe enables both nibbles of its byte.
    const nibbles = (strb: Expr): Expr => cat(...Array.from({ length: 8 }, (_, b) => 7 - b).map((b) => mux(strb.bit(b), lit(3, UInt(2)), lit(0, UInt(2)))));

    // Addresses wrap at 128 KiB; beats are bus-aligned (the engine's contract).
    m.unused(io.araddr, io.awaddr, io.awlen);
    // A write burst ends at WLAST, so AWLEN is not needed.
    io.arready.set(false);
    io.awready.set(false);
    io.wready.set(false);
    io.hostAck.set(false);
    m.switch(state)
      .is(IDLE, () => {
        // The host goes first: it only uses memory while the engine is idle.
        m.when(io.hostReq, () => {
          addr.set(io.hostAddr);
          m.when(io.hostWrite, () => {
            wdata.set(io.hostWdata);
            wmask.set(0xffff);
            wren.set(true);
            io.hostAck.set(true);
          }).otherwise(() => state.set(HOST_READ));
        }).elsewhen(io.arvalid, () => {
          io.arready.set(true);
          wordAddr.set(wordOf(io.araddr));
          beatsLeft.set(io.arlen);
          k.set(0);
          state.set(READ);
        }).elsewhen(io.awvalid, () => {
          io.awready.set(true);
          wordAddr.set(wordOf(io.awaddr));
          k.set(0);
          state.set(WRITE);
        });
      })
      .is(HOST_READ, () => {
        io.hostAck.set(true);
        state.set(IDLE);
      })
      .is(READ, () => {
        // Cycle k issues word k and keeps word k−1 (the RAM answers a cycle later).
        m.when(k.ne(0), () => beat.set(cat(dout, beat.bits(busBits - 1, 64))));
        m.when(k.eq(words), () => state.set(READ_BEAT)).otherwise(() => wordAddr.set(wordAddr.addWrap(1)));
        k.set(k.addWrap(1));
      })
      .is(READ_BEAT, () => {
        m.when(io.rready, () => {
          m.when(beatsLeft.eq(0), () => state.set(IDLE)).otherwise(() => {
            beatsLeft.set(beatsLeft.subWrap(1));
            k.set(0);
            state.set(READ);
          });
        });
      })
      .is(WRITE, () => {
        m.when(io.wvalid, () => {
          wdata.set(select(k.resize(Math.max(1, log2Up(words))), Array.from({ length: words }, (_, i) => io.wdata.bits(64 * i + 63, 64 * i))));
          wmask.set(nibbles(select(k.resize(Math.max(1, log2Up(words))), Array.from({ length: words }, (_, i) => io.wstrb.bits(8 * i + 7, 8 * i)))));
          wren.set(true);
          wordAddr.set(wordAddr.addWrap(1));
          m.when(k.eq(words - 1), () => {
            io.wready.set(true);
            k.set(0);
            m.when(io.wlast, () => state.set(RESP));
          }).otherwise(() => k.set(k.addWrap(1)));
        });
      })
      .is(RESP, () => {
        m.when(io.bready, () => state.set(IDLE));
      });
    io.rvalid.set(state.eq(READ_BEAT));
    io.rdata.set(beat);
    io.rlast.set(beatsLeft.eq(0));
    io.rresp.set(0);
    io.bvalid.set(state.eq(RESP));
    io.bresp.set(0);
    io.hostRdata.set(dout);
    return io;
  }, { busBits, addrBits });
};
