/**
 * The UART bridge: frames of protocol.ts in, one action each, a response frame out.
 * It is the engine's AXI4-Lite master, the source of its gradient and activation
 * streams (one held beat each, so a push never blocks the UART), the sink of its
 * result stream (a beat is taken only after it has been sent), and the host port
 * of the SPRAM controller.
 */
import { Bool, UInt, cat, defineModule, lit, log2Up, mux, select, type Expr } from '../../index.ts';
import { CMD, PING_BYTES, PROTOCOL_VERSION, REQ_SYNC, RESP_SYNC, STATUS } from './protocol.ts';
import { SPRAM_ADDR_BITS } from './spram.ts';
import { uartRx, uartTx } from './uart.ts';

export interface BridgeShape {
  divisor: number;
  /** Bytes of one s_axis_grad / s_axis_act / m_axis_res beat. */
  gradBytes: number;
  actBytes: number;
  resBytes: number;
  /** Bytes of the engine's memory bus (reported by PING). */
  busBytes: number;
}

/** Idle bit times after which a half-received frame is dropped (the host gave up on it). */
const FRAME_TIMEOUT_BITS = 40;

export const uartBridge = (s: BridgeShape) => {
  const BUF = Math.max(10, 1 + s.gradBytes, 1 + s.actBytes, PING_BYTES, 5);
  return defineModule(`board_uart_bridge`, (m) => {
    const io = {
      rx: m.input('uart_rx', Bool()),
      tx: m.output('uart_tx', Bool()),
      awaddr: m.output('m_axil_awaddr', UInt(8)),
      awvalid: m.output('m_axil_awvalid', Bool()),
      awready: m.input('m_axil_awready', Bool()),
      wdata: m.output('m_axil_wdata', UInt(32)),
      wvalid: m.output('m_axil_wvalid', Bool()),
      wready: m.input('m_axil_wready', Bool()),
      bresp: m.input('m_axil_bresp', UInt(2)),
      bvalid: m.input('m_axil_bvalid', Bool()),
      bready: m.output('m_axil_bready', Bool()),
      araddr: m.output('m_axil_araddr', UInt(8)),
      arvalid: m.output('m_axil_arvalid', Bool()),
      arready: m.input('m_axil_arready', Bool()),
      rdata: m.input('m_axil_rdata', UInt(32)),
      rresp: m.input('m_axil_rresp', UInt(2)),
      rvalid: m.input('m_axil_rvalid', Bool()),
      rready: m.output('m_axil_rready', Bool()),
      gradValid: m.output('m_axis_grad_tvalid', Bool()),
      gradReady: m.input('m_axis_grad_tready', Bool()),
      gradData: m.output('m_axis_grad_tdata', UInt(8 * s.gradBytes)),
      gradLast: m.output('m_axis_grad_tlast', Bool()),
      actValid: m.output('m_axis_act_tvalid', Bool()),
      actReady: m.input('m_axis_act_tready', Bool()),
      actData: m.output('m_axis_act_tdata', UInt(8 * s.actBytes)),
      actLast: m.output('m_axis_act_tlast', Bool()),
      resValid: m.input('s_axis_res_tvalid', Bool()),
      resReady: m.output('s_axis_res_tready', Bool()),
      resData: m.input('s_axis_res_tdata', UInt(8 * s.resBytes)),
      resLast: m.input('s_axis_res_tlast', Bool()),
      hostReq: m.output('host_req', Bool()),
      hostWrite: m.output('host_write', Bool()),
      hostAddr: m.output('host_addr', UInt(SPRAM_ADDR_BITS)),
      hostWdata: m.output('host_wdata', UInt(64)),
      hostAck: m.input('host_ack', Bool()),
      hostRdata: m.input('host_rdata', UInt(64)),
    };
    const rx = m.instance('u_rx', uartRx(s.divisor));
    const tx = m.instance('u_tx', uartTx(s.divisor));
    rx.rx.set(io.rx);
    io.tx.set(tx.tx);
    m.unused(rx.frameError);

    const ST = {
      RX_SYNC: 0, RX_CMD: 1, RX_LEN: 2, RX_PAY: 3, RX_SUM: 4, EXEC: 5, LITE_W: 6, LITE_B: 7,
      LITE_AR: 8, LITE_R: 9, MEM: 10, TX_SYNC: 11, TX_STATUS: 12, TX_LEN: 13, TX_PAY: 14, TX_SUM: 15,
    } as const;
    const state = m.reg('state', UInt(4), { reset: ST.RX_SYNC });
    const cmd = m.reg('cmd', UInt(8), { reset: 0 });
    const len = m.reg('len', UInt(8), { reset: 0 });
    const cnt = m.reg('cnt', UInt(8), { reset: 0 });
    const sum = m.reg('sum', UInt(8), { reset: 0 });
    const buf = m.reg('frame_buf', UInt(8 * BUF), { reset: 0 });
    const status = m.reg('status', UInt(8), { reset: 0 });
    const txLen = m.reg('tx_len', UInt(8), { reset: 0 });
    const fromRes = m.reg('from_res', Bool(), { reset: false });
    const awPending = m.reg('aw_pending', Bool(), { reset: false });
    const wPending = m.reg('w_pending', Bool(), { reset: false });
    const quietBits = FRAME_TIMEOUT_BITS * s.divisor;
    const quiet = m.reg('quiet', UInt(log2Up(quietBits + 1)), { reset: 0 });

    // Payload byte i of a received frame of `n` bytes: bytes shift in from the top of buf.
    const rxByte = (n: number, i: number): Expr => buf.bits(8 * (BUF - n + i) + 7, 8 * (BUF - n + i));
    const rxBytes = (n: number, i: number, count: number): Expr => buf.bits(8 * (BUF - n + i + count) - 1, 8 * (BUF - n + i));
    const txByteOfBuf = (i: number): Expr => buf.bits(8 * i + 7, 8 * i);
    const byteIn = rx.data;
    const gotByte = rx.valid;

    // ---- held stream beats ----
    const heldStream = (nm: string, bytes: number, ready: Expr) => {
      const valid = m.reg(`${nm}_valid`, Bool(), { reset: false });
      const data = m.reg(`${nm}_data`, UInt(8 * bytes));
      const last = m.reg(`${nm}_last`, Bool(), { reset: false });
      m.when(valid.and(ready), () => valid.set(false));
      return { valid, data, last };
    };
    const grad = heldStream('grad_hold', s.gradBytes, io.gradReady);
    const act = heldStream('act_hold', s.actBytes, io.actReady);
    io.gradValid.set(grad.valid);
    io.gradData.set(grad.data);
    io.gradLast.set(grad.last);
    io.actValid.set(act.valid);
    io.actData.set(act.data);
    io.actLast.set(act.last);

    const respond = (st: number, n: number | Expr): void => {
      status.set(st);
      txLen.set(n);
      state.set(ST.TX_SYNC);
    };
    const isCmd = (c: number, n: number): Expr => cmd.eq(c).and(len.eq(n));

    // ---- the frame receiver ----
    const receiving = m.named('receiving', state.le(ST.RX_SUM));
    m.when(gotByte.or(state.eq(ST.RX_SYNC)).or(receiving.not()), () => quiet.set(0))
      .elsewhen(quiet.eq(quietBits), () => state.set(ST.RX_SYNC))
      .otherwise(() => quiet.set(quiet.addWrap(1)));

    io.awvalid.set(state.eq(ST.LITE_W).and(awPending));
    io.wvalid.set(state.eq(ST.LITE_W).and(wPending));
    io.awaddr.set(rxByte(5, 0));
    io.wdata.set(rxBytes(5, 1, 4));
    io.bready.set(state.eq(ST.LITE_B));
    io.arvalid.set(state.eq(ST.LITE_AR));
    io.araddr.set(rxByte(1, 0));
    io.rready.set(state.eq(ST.LITE_R));
    const memWrite = m.named('mem_write', cmd.eq(CMD.MEM_WRITE));
    io.hostReq.set(state.eq(ST.MEM));
    io.hostWrite.set(memWrite);
    io.hostAddr.set(mux(memWrite, rxBytes(10, 0, 2), rxBytes(2, 0, 2)).resize(SPRAM_ADDR_BITS));
    io.hostWdata.set(rxBytes(10, 2, 8));
    m.unused(rxBytes(10, 0, 2), rxBytes(2, 0, 2));

    // ---- the response sender ----
    const resByte = (i: number): Expr => (i === 0 ? io.resLast.asUInt().resize(8) : io.resData.bits(8 * i - 1, 8 * (i - 1)));
    const payloadByte = m.named('payload_byte', mux(fromRes,
      select(cnt, Array.from({ length: 1 + s.resBytes }, (_, i) => resByte(i))),
      select(cnt, Array.from({ length: BUF }, (_, i) => txByteOfBuf(i)))));
    const txData = m.wire('tx_byte', UInt(8));
    const txValid = m.wire('tx_valid', Bool());
    txData.set(0);
    txValid.set(false);
    io.resReady.set(false);
    tx.valid.set(txValid);
    tx.data.set(txData);
    const sendThen = (b: Expr | number, next: () => void): void => {
      txValid.set(true);
      txData.set(b);
      m.when(tx.ready, () => {
        m.when(state.ne(ST.TX_SYNC), () => sum.set(sum.addWrap(txData)));
        next();
      });
    };

    m.switch(state)
      .is(ST.RX_SYNC, () => {
        m.when(gotByte.and(byteIn.eq(REQ_SYNC)), () => {
          sum.set(0);
          state.set(ST.RX_CMD);
        });
      })
      .is(ST.RX_CMD, () => {
        m.when(gotByte, () => {
          cmd.set(byteIn);
          sum.set(byteIn);
          state.set(ST.RX_LEN);
        });
      })
      .is(ST.RX_LEN, () => {
        m.when(gotByte, () => {
          len.set(byteIn);
          sum.set(sum.addWrap(byteIn));
          cnt.set(0);
          state.set(mux(byteIn.eq(0), lit(ST.RX_SUM, UInt(4)), lit(ST.RX_PAY, UInt(4))));
        });
      })
      .is(ST.RX_PAY, () => {
        m.when(gotByte, () => {
          buf.set(cat(byteIn, buf.bits(8 * BUF - 1, 8)));
          sum.set(sum.addWrap(byteIn));
          cnt.set(cnt.addWrap(1));
          m.when(cnt.addWrap(1).eq(len), () => state.set(ST.RX_SUM));
        });
      })
      .is(ST.RX_SUM, () => {
        m.when(gotByte, () => {
          m.when(sum.addWrap(byteIn).eq(0), () => state.set(ST.EXEC)).otherwise(() => respond(STATUS.BAD_CHECK, 0));
        });
      })
      .is(ST.EXEC, () => {
        fromRes.set(false);
        m.when(isCmd(CMD.PING, 0), () => {
          const info = [PROTOCOL_VERSION, s.gradBytes, s.actBytes, s.resBytes, SPRAM_ADDR_BITS, s.divisor & 0xff, s.divisor >> 8, s.busBytes];
          buf.set(lit(info.reduce((acc, b, i) => acc | (BigInt(b) << BigInt(8 * i)), 0n), UInt(8 * BUF)));
          respond(STATUS.OK, PING_BYTES);
        }).elsewhen(isCmd(CMD.REG_WRITE, 5), () => {
          awPending.set(true);
          wPending.set(true);
          state.set(ST.LITE_W);
        }).elsewhen(isCmd(CMD.REG_READ, 1), () => state.set(ST.LITE_AR))
          .elsewhen(isCmd(CMD.MEM_WRITE, 10).or(isCmd(CMD.MEM_READ, 2)), () => state.set(ST.MEM))
          .elsewhen(isCmd(CMD.PUSH_GRAD, 1 + s.gradBytes), () => {
            m.when(grad.valid, () => respond(STATUS.FULL, 0)).otherwise(() => {
              grad.valid.set(true);
              grad.last.set(rxByte(1 + s.gradBytes, 0).bit(0));
              grad.data.set(rxBytes(1 + s.gradBytes, 1, s.gradBytes));
              respond(STATUS.OK, 0);
            });
          })
          .elsewhen(isCmd(CMD.PUSH_ACT, 1 + s.actBytes), () => {
            m.when(act.valid, () => respond(STATUS.FULL, 0)).otherwise(() => {
              act.valid.set(true);
              act.last.set(rxByte(1 + s.actBytes, 0).bit(0));
              act.data.set(rxBytes(1 + s.actBytes, 1, s.actBytes));
              respond(STATUS.OK, 0);
            });
          })
          .elsewhen(isCmd(CMD.PULL_RES, 0), () => {
            m.when(io.resValid, () => {
              fromRes.set(true);
              respond(STATUS.OK, 1 + s.resBytes);
            }).otherwise(() => respond(STATUS.EMPTY, 0));
          })
          .otherwise(() => respond(STATUS.BAD_FRAME, 0));
      })
      .is(ST.LITE_W, () => {
        m.when(io.awready, () => awPending.set(false));
        m.when(io.wready, () => wPending.set(false));
        m.when(awPending.and(io.awready.not()).or(wPending.and(io.wready.not())).not(), () => state.set(ST.LITE_B));
      })
      .is(ST.LITE_B, () => {
        m.when(io.bvalid, () => {
          buf.set(io.bresp.resize(8 * BUF));
          respond(STATUS.OK, 1);
        });
      })
      .is(ST.LITE_AR, () => {
        m.when(io.arready, () => state.set(ST.LITE_R));
      })
      .is(ST.LITE_R, () => {
        m.when(io.rvalid, () => {
          buf.set(cat(io.rresp.resize(8), io.rdata).resize(8 * BUF));
          respond(STATUS.OK, 5);
        });
      })
      .is(ST.MEM, () => {
        m.when(io.hostAck, () => {
          m.when(memWrite.not(), () => buf.set(io.hostRdata.resize(8 * BUF)));
          respond(STATUS.OK, mux(memWrite, lit(0, UInt(8)), lit(8, UInt(8))));
        });
      })
      .is(ST.TX_SYNC, () => sendThen(RESP_SYNC, () => {
        sum.set(0);
        state.set(ST.TX_STATUS);
      }))
      .is(ST.TX_STATUS, () => sendThen(status, () => state.set(ST.TX_LEN)))
      .is(ST.TX_LEN, () => sendThen(txLen, () => {
        cnt.set(0);
        state.set(mux(txLen.eq(0), lit(ST.TX_SUM, UInt(4)), lit(ST.TX_PAY, UInt(4))));
      }))
      .is(ST.TX_PAY, () => sendThen(payloadByte, () => {
        cnt.set(cnt.addWrap(1));
        m.when(cnt.addWrap(1).eq(txLen), () => {
          state.set(ST.TX_SUM);
          // The result beat has been sent whole: only now is it taken from the engine.
          io.resReady.set(fromRes);
        });
      }))
      .is(ST.TX_SUM, () => sendThen(lit(0, UInt(8)).subWrap(sum), () => state.set(ST.RX_SYNC)));
    return io;
  }, { ...s });
};
