/** `connect(a, b)` for every interface of the library: streams and AXI buses. */
import { designError } from '../core/errors.ts';
import { captureLoc } from '../core/loc.ts';
import { AxiInterface, connectAxi } from './axi.ts';
import { Stream, connectStreams } from './stream.ts';

/**
 * Connect two interfaces of one kind, checking directions, payload types, widths and
 * optional signals. Streams: `connect(from, to)`; AXI: `connect(manager, subordinate)`.
 * A call whose arguments look swapped says so.
 */
export function connect(a: Stream | AxiInterface, b: Stream | AxiInterface): void {
  const loc = captureLoc();
  if (a instanceof Stream && b instanceof Stream) return connectStreams(a, b, loc);
  if (a instanceof AxiInterface && b instanceof AxiInterface) return connectAxi(a, b, loc);
  const what = (x: unknown): string => (x instanceof Stream ? `stream ${x.name}` : x instanceof AxiInterface ? `AXI interface ${x.name}` : typeof x);
  designError('interface', loc, `connect() joins two streams or two AXI interfaces, got ${what(a)} and ${what(b)}`);
}
