/**
 * A 4-tap FIR filter on a stream of signed 16-bit samples:
 *   y[n] = sat16(round(c0·x[n] + c1·x[n−1] + c2·x[n−2] + c3·x[n−3]))
 * with coefficients in SFix(2, 14), rounding half to even and saturating to SInt(16).
 * Each packet (tlast) is filtered on its own: the delay line clears after a last beat.
 * The stream may stall on either side (backpressure): the delay line moves only when a
 * sample is taken, and a skid buffer registers the output in both directions.
 */
import { SInt, defineModule } from '../index.ts';
import { Fixed, SFix } from '../lib/fixed.ts';
import { skid } from '../lib/stages.ts';
import { map } from '../lib/stream-ops.ts';
import { streamIn, streamOut } from '../lib/stream.ts';
import { connect } from '../lib/connect.ts';

export const sampleFormat = SFix(16, 0);
export const coeffFormat = SFix(2, 14);
/** The format of the full-precision sum: products SFix(18, 14), two levels of adds. */
export const sumFormat = SFix(20, 14);

export const fir4 = (coeffs: readonly [number, number, number, number]) =>
  defineModule(`fir4_${coeffs.map((c) => Math.round(c * 2 ** coeffFormat.fracBits)).join('_').replace(/-/g, 'm')}`, (m) => {
    const input = streamIn(m, 'in', SInt(16), { last: true });
    const output = streamOut(m, 'out', SInt(16), { last: true });

    // x[n−1], x[n−2], x[n−3]: they shift when a sample is taken, and clear after a packet.
    const delay = [1, 2, 3].map((k) => m.reg(`x${k}`, SInt(16), { reset: 0 }));
    const filtered = map(m, 'fir', input, SInt(16), (x) => {
      const taps = [x, ...delay].map((t) => Fixed.from(t, sampleFormat));
      const products = taps.map((t, i) => t.mul(Fixed.constant(coeffs[i]!, coeffFormat)));
      const sum = products[0]!.add(products[1]!).add(products[2]!.add(products[3]!));
      return sum.resize(sampleFormat, 'half-even', 'saturate').raw;
    });
    m.when(input.fire(), () => {
      m.when(input.last!, () => delay.forEach((d) => d.set(0))).otherwise(() => {
        delay[0]!.set(input.data);
        delay[1]!.set(delay[0]!);
        delay[2]!.set(delay[1]!);
      });
    });
    connect(skid(m, 'out_skid', filtered), output);
    return { in: input, out: output };
  }, { coeffs: coeffs.join(',') });
