/**
 * 8N1 UART receiver and transmitter, `divisor` clock cycles per bit. The
 * receiver samples each bit in its middle (half a bit after the start edge,
 * then one bit apart) behind a two-flop synchronizer, so the FTDI's RX line,
 * asynchronous to the PLL clock, never reaches logic unsynchronized.
 */
import { Bool, UInt, cat, defineModule, log2Up, lit } from '../../index.ts';

function checkDivisor(divisor: number): void {
  if (!Number.isInteger(divisor) || divisor < 4) throw new RangeError(`UART divisor must be an integer ≥ 4 clock cycles per bit, got ${divisor}`);
}

/** `valid` is high for one cycle per received byte; a byte whose stop bit is low is dropped (`frame_error` pulses). */
export const uartRx = (divisor: number) => {
  checkDivisor(divisor);
  const cw = log2Up(divisor);
  return defineModule(`board_uart_rx_d${divisor}`, (m) => {
    const rx = m.input('rx', Bool());
    const valid = m.output('valid', Bool());
    const data = m.output('data', UInt(8));
    const frameError = m.output('frame_error', Bool());

    // Reset to the idle (high) level so a reset never looks like a start bit.
    const s1 = m.regNext('rx_meta', rx, { reset: true });
    const line = m.regNext('rx_sync', s1, { reset: true });
    const IDLE = 0, START = 1, DATA = 2, STOP = 3;
    const state = m.reg('state', UInt(2), { reset: IDLE });
    const count = m.reg('count', UInt(cw), { reset: 0 });
    const bitNo = m.reg('bit_no', UInt(3), { reset: 0 });
    const shift = m.reg('shift', UInt(8), { reset: 0 });
    const got = m.reg('got', Bool(), { reset: false });
    const bad = m.reg('bad', Bool(), { reset: false });
    const tick = m.named('tick', count.eq(0));
    got.set(false);
    bad.set(false);
    m.when(tick.not(), () => count.set(count.subWrap(1)));
    m.switch(state)
      .is(IDLE, () => {
        m.when(line.not(), () => {
          state.set(START);
          count.set(lit(Math.floor(divisor / 2) - 1, UInt(cw)));
        });
      })
      .is(START, () => {
        m.when(tick, () => {
          // A glitch shorter than half a bit is not a start bit.
          m.when(line, () => state.set(IDLE)).otherwise(() => {
            state.set(DATA);
            count.set(lit(divisor - 1, UInt(cw)));
            bitNo.set(0);
          });
        });
      })
      .is(DATA, () => {
        m.when(tick, () => {
          shift.set(cat(line.asUInt(), shift.bits(7, 1)));
          count.set(lit(divisor - 1, UInt(cw)));
          bitNo.set(bitNo.addWrap(1));
          m.when(bitNo.eq(7), () => state.set(STOP));
        });
      })
      .is(STOP, () => {
        m.when(tick, () => {
          state.set(IDLE);
          m.when(line, () => got.set(true)).otherwise(() => bad.set(true));
        });
      });
    valid.set(got);
    data.set(shift);
    frameError.set(bad);
    return { rx, valid, data, frameError };
  }, { divisor });
};

/** Sends `data` when `valid && ready`; `ready` is high while the line is idle. */
export const uartTx = (divisor: number) => {
  checkDivisor(divisor);
  const cw = log2Up(divisor);
  return defineModule(`board_uart_tx_d${divisor}`, (m) => {
    const valid = m.input('valid', Bool());
    const data = m.input('data', UInt(8));
    const ready = m.output('ready', Bool());
    const tx = m.output('tx', Bool());

    // Frame = stop(1) · data · start(0), shifted out LSB first; ones shift in behind it.
    const frame = m.reg('frame', UInt(10), { reset: 0x3ff });
    const bitsLeft = m.reg('bits_left', UInt(4), { reset: 0 });
    const count = m.reg('count', UInt(cw), { reset: 0 });
    const idle = m.named('idle', bitsLeft.eq(0));
    m.when(idle, () => {
      m.when(valid, () => {
        frame.set(cat(lit(1, UInt(1)), data, lit(0, UInt(1))));
        bitsLeft.set(10);
        count.set(lit(divisor - 1, UInt(cw)));
      });
    }).elsewhen(count.eq(0), () => {
      frame.set(cat(lit(1, UInt(1)), frame.bits(9, 1)));
      bitsLeft.set(bitsLeft.subWrap(1));
      count.set(lit(divisor - 1, UInt(cw)));
    }).otherwise(() => count.set(count.subWrap(1)));
    ready.set(idle);
    tx.set(frame.bit(0));
    return { valid, data, ready, tx };
  }, { divisor });
};
