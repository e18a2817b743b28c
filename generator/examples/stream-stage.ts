/**
 * The guide's stream pipeline stage: accepts signed samples, adds a programmable
 * offset with saturation-free growth, and passes them on through a skid buffer so
 * both valid and ready are registered at the module boundary.
 */
import { SInt, defineModule } from '../index.ts';
import { skidBuffer } from '../lib/stages.ts';
import { streamIn, streamOut, streamWire } from '../lib/stream.ts';
import { connect } from '../lib/connect.ts';

export const offsetStage = (width: number) =>
  defineModule(`offset_stage_w${width}`, (m) => {
    const input = streamIn(m, 'in', SInt(width), { last: true });
    const output = streamOut(m, 'out', SInt(width + 1), { last: true });
    const offset = m.input('offset', SInt(width));

    // The sum is one bit wider than its operands, so it never overflows.
    const sum = streamWire(m, 'sum', SInt(width + 1), { last: true });
    sum.valid.set(input.valid);
    sum.data.set(input.data.add(offset));
    sum.last!.set(input.last!);
    input.ready.set(sum.ready);

    connect(skidBuffer(m, 'out_skid', sum), output);
    return { input, output, offset };
  }, { width });
