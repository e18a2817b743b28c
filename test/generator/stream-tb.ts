/**
 * A stream test bench written in the DSL itself, so that an open-loop vector runner
 * (inputs fixed per cycle in advance) can still drive an AXI4-Stream sink correctly:
 * the source replays a fixed beat sequence, offers a beat when `src_offer` is high and
 * then holds valid and data until the beat is taken, as the transfer rule demands.
 */
import { Bool, UInt, defineModule, log2Up, select, type ModuleDef, type Signal } from '../../generator/index.ts';
import type { Stream } from '../../generator/lib/stream.ts';

export interface Beat {
  data: bigint;
  last: boolean;
}

/** Wrap a module with io `{ in: Stream, out: Stream, count }` between a replaying source and an observed sink. */
export function streamBench(dut: ModuleDef<{ in: Stream; out: Stream; count: Signal }>, dataBits: number, beats: readonly Beat[]) {
  return defineModule(`tb_${dut.name}`, (m) => {
    const offer = m.input('src_offer', Bool());
    const sinkReady = m.input('sink_ready', Bool());
    const outValid = m.output('out_valid', Bool());
    const outData = m.output('out_data', UInt(dataBits));
    const outLast = m.output('out_last', Bool());
    const inFire = m.output('in_fire', Bool());
    const count = m.output('count', dut.io.count.type);

    const u = m.instance('u_dut', dut);
    const ptr = m.reg('ptr', UInt(log2Up(beats.length + 1)), { reset: 0 });
    const holding = m.reg('holding', Bool(), { reset: 0 });
    const more = m.named('more', ptr.lt(beats.length));
    const valid = m.named('src_valid', more.and(holding.or(offer)));
    const fire = m.named('src_fire', valid.and(u.in.ready));
    u.in.valid.set(valid);
    u.in.data.set(select(ptr, beats.map((b) => b.data)));
    u.in.last!.set(select(ptr, beats.map((b) => b.last)));
    m.when(fire, () => {
      ptr.set(ptr.addWrap(1));
    });
    holding.set(valid.and(u.in.ready.not()));

    u.out.ready.set(sinkReady);
    outValid.set(u.out.valid);
    outData.set(u.out.data);
    outLast.set(u.out.last!);
    inFire.set(fire);
    count.set(u.count);
    return { offer, sinkReady, outValid, outData, outLast, inFire, count };
  });
}
