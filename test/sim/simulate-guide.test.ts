import { Bool, Bundle, SInt, UInt, defineModule, streamIn, streamOut } from '../../generator/index.ts';
import { packets, seededRandom, simSeed, simulate } from '../../sim/simulate/index.ts';

/** Sums each packet of signed bytes: one { sum, count } beat per packet, the stream may stall on both sides. */
const packetSum = defineModule('packet_sum', (m) => {
  const input = streamIn(m, 'in', SInt(8), { last: true });
  const output = streamOut(m, 'out', Bundle({ sum: SInt(16), count: UInt(8) }));
  const acc = m.reg('acc', SInt(16), { reset: 0 });
  const count = m.reg('count', UInt(8), { reset: 0 });
  const full = m.reg('full', Bool(), { reset: 0 });
  const result = { sum: m.reg('sum', SInt(16), { reset: 0 }), count: m.reg('n', UInt(8), { reset: 0 }) };

  const sum = m.named('next_sum', acc.addWrap(input.data.resize(16)));
  const n = m.named('next_count', count.addWrap(1));
  input.ready.set(full.not().or(output.ready));        // take a sample unless a result waits
  m.when(output.fire(), () => full.set(false));
  m.when(input.fire(), () => {
    m.when(input.last!, () => {
      full.set(true);
      result.sum.set(sum);
      result.count.set(n);
      acc.set(0);
      count.set(0);
    }).otherwise(() => {
      acc.set(sum);
      count.set(n);
    });
  });
  output.valid.set(full);
  output.setPayload(result);
  return { input, output };
});

/** The model: what each packet must give. */
const model = (list: number[][]) => list.map((p) => ({ sum: p.reduce((a, b) => a + b, 0), count: p.length }));

describe('packet_sum in Verilator against its model', function () {
  this.timeout(300_000);

  for (const backpressure of ['random', 'bursty'] as const) {
    const seed = simSeed();  // SPARSEGRAD_SEED=<n> replays a run
    it(`sums every packet under ${backpressure} backpressure (seed ${seed})`, async () => {
      const random = seededRandom(seed);
      const list = Array.from({ length: 40 }, () =>
        Array.from({ length: 1 + Math.floor(random() * 12) }, () => Math.floor(random() * 256) - 128));
      const run = await simulate(packetSum, { inputs: { in: packets(list) }, backpressure, seed });
      run.expectOutput('out', model(list));
    });
  }
});
