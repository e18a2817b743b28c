/**
 * The engine's external memory on the UP5K: its four SB_SPRAM256KA blocks side by
 * side as one 16 K × 64-bit RAM (128 KiB), served as an AXI4 subordinate of the
 * engine's bus width and, between bursts, to the host bridge one 64-bit word at a time.
 *
 * One read and one write burst at a time, each channel on its own: a read beat is
 * assembled from busBits/64 consecutive words (one SPRAM read per cycle, data a cycle
 * later), a write beat is written word by word with WREADY raised on its last word;
 * a write takes the RAM port before a read in the same cycle. Byte addresses wrap at 128 KiB
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
    // The read and write channels run independently (the engine may hold RREADY low
    // until its write-back drains) and share the RAM port cycle by cycle, writes first.
    const R_IDLE = 0, R_FETCH = 1, R_BEAT = 2;
    const W_IDLE = 0, W_DATA = 1, W_RESP = 2;
    const rState = m.reg('r_state', UInt(2), { reset: R_IDLE });
    const wState = m.reg('w_state', UInt(2), { reset: W_IDLE });
    const rAddr = m.reg('r_addr', UInt(SPRAM_ADDR_BITS), { reset: 0 });
    const wAddr = m.reg('w_addr', UInt(SPRAM_ADDR_BITS), { reset: 0 });
    const beatsLeft = m.reg('beats_left', UInt(8), { reset: 0 });
    const issued = m.reg('issued', UInt(kw), { reset: 0 });
    const captured = m.reg('captured', UInt(kw), { reset: 0 });
    const wk = m.reg('wk', UInt(kw), { reset: 0 });
    const beat = m.reg('beat', UInt(busBits));
    const hostReading = m.reg('host_reading', Bool(), { reset: false });

    // Addresses wrap at 128 KiB; beats are bus-aligned (the engine's contract); a write
    // burst ends at WLAST, so AWLEN is not needed.
    m.unused(io.araddr, io.awaddr, io.awlen);
    const cells = [0, 1, 2, 3].map((i) => m.instance(`u_spram${i}`, cell));
    const wordOf = (a: Expr): Expr => a.bits(SPRAM_ADDR_BITS + 2, 3);
    // A byte strobe enables both nibbles of its byte.
    const nibbles = (strb: Expr): Expr => cat(...Array.from({ length: 8 }, (_, b) => 7 - b).map((b) => mux(strb.bit(b), lit(3, UInt(2)), lit(0, UInt(2)))));
    const kIndex = (k: Expr): Expr => k.resize(Math.max(1, log2Up(words)));

    const idle = m.named('channels_idle', rState.eq(R_IDLE).and(wState.eq(W_IDLE)).and(hostReading.not()));
    const hostGo = m.named('host_go', idle.and(io.hostReq));
    const writing = m.named('axi_writing', wState.eq(W_DATA).and(io.wvalid));
    const reading = m.named('axi_reading', rState.eq(R_FETCH).and(issued.ne(words)).and(writing.not()));
    const readIssued = m.regNext('read_issued', reading, { reset: false });

    const ramAddr = m.named('ram_addr', mux(hostGo, io.hostAddr, mux(writing, wAddr, rAddr)));
    const ramWdata = m.named('ram_wdata', mux(hostGo, io.hostWdata, select(kIndex(wk), Array.from({ length: words }, (_, i) => io.wdata.bits(64 * i + 63, 64 * i)))));
    const ramMask = m.named('ram_wmask', mux(hostGo, lit(0xffff, UInt(16)), nibbles(select(kIndex(wk), Array.from({ length: words }, (_, i) => io.wstrb.bits(8 * i + 7, 8 * i))))));
    const ramWren = m.named('ram_wren', hostGo.and(io.hostWrite).or(writing));
    for (const [i, c] of cells.entries()) {
      c.ADDRESS.set(ramAddr);
      c.DATAIN.set(ramWdata.bits(16 * i + 15, 16 * i));
      c.MASKWREN.set(ramMask.bits(4 * i + 3, 4 * i));
      c.WREN.set(ramWren);
      c.CHIPSELECT.set(true);
      c.STANDBY.set(false);
      c.SLEEP.set(false);
      c.POWEROFF.set(true);
    }
    const dout = m.named('ram_dout', cat(...[3, 2, 1, 0].map((i) => cells[i]!.DATAOUT)));

    // ---- host port: a write in one cycle, a read answered the next ----
    hostReading.set(hostGo.and(io.hostWrite.not()));
    io.hostAck.set(hostGo.and(io.hostWrite).or(hostReading));
    io.hostRdata.set(dout);

    // ---- read channel ----
    io.arready.set(rState.eq(R_IDLE).and(hostGo.not()).and(hostReading.not()));
    m.when(io.arvalid.and(io.arready), () => {
      rAddr.set(wordOf(io.araddr));
      beatsLeft.set(io.arlen);
      issued.set(0);
      captured.set(0);
      rState.set(R_FETCH);
    });
    m.when(reading, () => {
      rAddr.set(rAddr.addWrap(1));
      issued.set(issued.addWrap(1));
    });
    // The RAM answers a read in the next cycle; words shift in from the top, word 0 ends lowest.
    m.when(rState.eq(R_FETCH).and(readIssued), () => {
      beat.set(cat(dout, beat.bits(busBits - 1, 64)));
      captured.set(captured.addWrap(1));
      m.when(captured.eq(words - 1), () => rState.set(R_BEAT));
    });
    m.when(rState.eq(R_BEAT).and(io.rready), () => {
      m.when(beatsLeft.eq(0), () => rState.set(R_IDLE)).otherwise(() => {
        beatsLeft.set(beatsLeft.subWrap(1));
        issued.set(0);
        captured.set(0);
        rState.set(R_FETCH);
      });
    });
    io.rvalid.set(rState.eq(R_BEAT));
    io.rdata.set(beat);
    io.rlast.set(beatsLeft.eq(0));
    io.rresp.set(0);

    // ---- write channel: a beat is written word by word, WREADY on its last word ----
    io.awready.set(wState.eq(W_IDLE).and(hostGo.not()).and(hostReading.not()));
    m.when(io.awvalid.and(io.awready), () => {
      wAddr.set(wordOf(io.awaddr));
      wk.set(0);
      wState.set(W_DATA);
    });
    const lastWord = m.named('last_word', writing.and(wk.eq(words - 1)));
    m.when(writing, () => {
      wAddr.set(wAddr.addWrap(1));
      wk.set(mux(lastWord, lit(0, UInt(kw)), wk.addWrap(1)));
      m.when(lastWord.and(io.wlast), () => wState.set(W_RESP));
    });
    // WREADY from registers alone (AXI A3.1.1): the beat's last word is due, whether or not WVALID is up.
    io.wready.set(wState.eq(W_DATA).and(wk.eq(words - 1)));
    m.when(wState.eq(W_RESP).and(io.bready), () => wState.set(W_IDLE));
    io.bvalid.set(wState.eq(W_RESP));
    io.bresp.set(0);
    return io;
  }, { busBits, addrBits });
};
