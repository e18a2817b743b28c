/**
 * A stream whose payload is a bundle: samples tagged with their channel come in,
 * leave with the sample scaled per channel and a flag for out-of-range values.
 * Shows a typed Bundle payload (packed into tdata, read and driven as fields) and a register slice.
 */
import { Bool, Bundle, SInt, UInt, defineModule, mux, select } from '../index.ts';
import { registerSlice } from '../lib/stages.ts';
import { streamIn, streamOut, streamWire } from '../lib/stream.ts';
import { connect } from '../lib/connect.ts';

export const Tagged = Bundle({ sample: SInt(12), channel: UInt(3) });
export const Scaled = Bundle({ sample: SInt(14), channel: UInt(3), clipped: Bool() });

export const channelScaler = (gains: readonly number[]) =>
  defineModule(`channel_scaler_${gains.length}`, (m) => {
    const input = streamIn(m, 'in', Tagged, { last: true });
    const output = streamOut(m, 'out', Scaled, { last: true });
    const limit = m.input('limit', UInt(13));

    const x = input.payload; // typed: { sample: SInt(12), channel: UInt(3) }, unpacked from tdata
    const gain = select(x.channel, gains.map((g) => BigInt(g))).toSInt();
    const product = m.named('product', x.sample.mul(gain));
    const magnitude = mux(product.msb(), product.neg().asUInt(), product.asUInt()).resize(product.width);
    const clipped = m.named('clipped', magnitude.gt(limit));

    const stage = streamWire(m, 'scaled', Scaled, { last: true });
    stage.valid.set(input.valid);
    stage.setPayload({ sample: product.resize(14), channel: x.channel, clipped });
    stage.last!.set(input.last!);
    input.ready.set(stage.ready);
    connect(registerSlice(m, 'out_slice', stage), output);
    return { input, output, limit };
  }, { gains: gains.join(',') });
