/**
 * The hand-written Verilog fixtures of the harness tests, declared as black boxes
 * with typed interfaces: their descriptions (blackBoxManifest) tell the harness
 * which ports are streams, the AXI4-Lite slave, the AXI4 master, the clock and the
 * reset, as a generated design's manifest.json does.
 */
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Axi4, AxiLite, UInt, axiPort, blackBox, blackBoxManifest, streamIn, streamOut } from '../../generator/index.ts';
import { topOf, type TopDescription } from '../../generator/backend/manifest.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'harness');
export const AXIS_INCR = join(FIXTURES, 'axis_incr.v');
export const AXI_COPY = join(FIXTURES, 'axi_copy.v');

const axiClockReset = { clock: 'aclk', reset: { port: 'aresetn', activeLow: true } };

export const axisIncr = blackBox('axis_incr', {
  file: relative(ROOT, AXIS_INCR),
  ...axiClockReset,
  ports: (m) => ({
    in: streamIn(m, 'in', UInt(72), { last: true }),
    out: streamOut(m, 'out', UInt(72), { last: true }),
  }),
});

export const axiCopy = blackBox('axi_copy', {
  file: relative(ROOT, AXI_COPY),
  ...axiClockReset,
  ports: (m) => ({
    axil: axiPort(m, 'axil', AxiLite({ addrWidth: 8, dataWidth: 32 }).flip()),
    axi: axiPort(m, 'axi', Axi4({ addrWidth: 32, dataWidth: 64 })),
    sum: streamOut(m, 'sum', UInt(64), { last: true }),
  }),
});

const describe = (def: typeof axisIncr | typeof axiCopy): TopDescription => topOf(blackBoxManifest(def), def.name)!;
export const AXIS_INCR_DESCRIPTION = describe(axisIncr);
export const AXI_COPY_DESCRIPTION = describe(axiCopy);
