/** Paths of the hand-written Verilog fixtures of the harness tests. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'harness');
export const AXIS_INCR = join(FIXTURES, 'axis_incr.v');
export const AXI_COPY = join(FIXTURES, 'axi_copy.v');
