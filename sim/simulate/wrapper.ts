/**
 * The top the harness runs: a DSL module around the user's design that gives the
 * harness what its port conventions expect (docs/ARCHITECTURE.md, "The simulation job
 * contract") without asking anything of the design:
 * - every stream keeps its name; tkeep and tuser, which the harness does not carry,
 *   ride in tdata above the payload (payload at the LSBs, then tkeep, then tuser), so
 *   they are driven, monitored and held stable like the payload;
 * - the AXI4-Lite subordinate is exposed as `s_axil_*` and the AXI4 manager as `m_axi_*`
 *   whatever the design calls them (one of each at most);
 * - every other input is held at a constant (`hold`, default 0), every other output
 *   is left to the VCD.
 * No gate is needed on the input streams: the harness's sources keep TVALID low in the
 * first cycle after reset (AXI4-Stream 2.7.2), so a design passing an input's valid
 * straight to an output breaks no rule.
 */
import {
  AxiInterface, AxiLite, Axi4, Bool, Signal, Stream, StreamSignature, UInt, axiPort, cat, connect, dataType, defineModule, lit,
  streamPort, type ModuleDef, type PayloadType,
} from '../../generator/index.ts';

export interface StreamInfo {
  name: string;
  /** 'in': the design takes beats (s_axis_<name>_*); 'out': it sends them (m_axis_<name>_*). */
  dir: 'in' | 'out';
  payload: PayloadType;
  dataWidth: number;
  last: boolean;
  keep: number;
  user: number;
}

export interface WrappedDesign {
  top: ModuleDef;
  streams: StreamInfo[];
  /** The design's AXI4-Lite subordinate, by its own name, when it has one. */
  lite?: string;
  /** The design's AXI4 manager, by its own name, when it has one. */
  axi?: string;
  /** The design's other inputs, with their types: what `hold` may name. */
  plainInputs: Map<string, Signal>;
}

/** A design problem the simulation cannot handle; the caller names the user's line. */
export class WrapError extends Error {}

/** Visit the leaves of the design's io (streams, AXI interfaces, signals) beside the instance's matching ones. */
function walkPair(ours: unknown, theirs: unknown, visit: (a: unknown, b: unknown) => void): void {
  if (ours instanceof Stream || ours instanceof AxiInterface || ours instanceof Signal) visit(ours, theirs);
  else if (Array.isArray(ours)) ours.forEach((x, i) => walkPair(x, (theirs as unknown[])[i], visit));
  else if (ours && typeof ours === 'object') for (const [k, x] of Object.entries(ours)) walkPair(x, (theirs as Record<string, unknown>)[k], visit);
}

const asDataType = (bits: Signal | ReturnType<Signal['bits']>, target: Signal) =>
  target.type.kind === 'sint' ? bits.asSInt() : target.type.kind === 'bool' ? bits.asBool() : bits;

/** Describe `def`'s interfaces without elaborating anything. */
export function describeDesign(def: ModuleDef): Omit<WrappedDesign, 'top'> {
  const streams: StreamInfo[] = [];
  const plainInputs = new Map<string, Signal>();
  let lite: string | undefined;
  let axi: string | undefined;
  walkPair(def.io, def.io, (x) => {
    if (x instanceof Stream) {
      if (x.flow === 'wire') throw new WrapError(`stream ${x.name} of ${def.name} is a wire, not a port`);
      streams.push({ name: x.name, dir: x.flow === 'in' ? 'in' : 'out', payload: x.spec.payload, dataWidth: dataType(x.spec.payload).width, last: x.last !== undefined, keep: x.keep?.width ?? 0, user: x.user?.width ?? 0 });
    } else if (x instanceof AxiInterface) {
      if (x.kind === 'axilite' && x.role === 'slave') {
        if (lite) throw new WrapError(`${def.name} has two AXI4-Lite subordinates (${lite}, ${x.name}); the harness drives one`);
        lite = x.name;
      } else if (x.kind === 'axi4' && x.role === 'master') {
        if (axi) throw new WrapError(`${def.name} has two AXI4 managers (${axi}, ${x.name}); the harness's memory serves one`);
        axi = x.name;
      } else throw new WrapError(`${def.name}'s ${x.kind === 'axilite' ? 'AXI4-Lite' : 'AXI4'} ${x.role === 'master' ? 'manager' : 'subordinate'} ${x.name} cannot be simulated: the harness drives an AXI4-Lite subordinate and serves an AXI4 manager`);
    } else if (x instanceof Signal) {
      const port = def.ports.find((p) => p.name === x.name);
      if (port?.direction === 'input') plainInputs.set(x.name, x);
    }
  });
  return { streams, lite, axi, plainInputs };
}

/** The harness's top around `def`, its plain inputs held at the values of `hold` (0 when absent). */
export function wrapDesign(def: ModuleDef, hold: ReadonlyMap<string, bigint>): WrappedDesign {
  const info = describeDesign(def);
  const top = defineModule(`sim_${def.name}`, (m) => {
    const u = m.instance('u_dut', def) as unknown;
    // The harness drives a clocked top (its manifest names aclk and aresetn), and the
    // back end gives a module those only when it holds a register: a purely combinational
    // design (a map, a join) would have none, so the wrapper holds one of its own.
    const clocked = m.reg('sim_clocked', Bool(), { reset: 0 });
    clocked.set(lit(true, Bool()));
    m.unused(clocked);
    const io: Record<string, unknown> = {};
    walkPair(def.io, u, (ours, theirs) => {
      if (ours instanceof Stream) {
        const inner = theirs as Stream;
        const packed = inner.keep !== undefined || inner.user !== undefined;
        const sideband = (inner.keep?.width ?? 0) + (inner.user?.width ?? 0);
        const spec = packed ? { payload: UInt(inner.data.width + sideband), ...(inner.last ? { last: true } : {}) } : ours.spec;
        const port = streamPort(m, ours.name, new StreamSignature(spec, ours.flow === 'in' ? 'sink' : 'source'));
        io[`stream_${ours.name}`] = port;
        const w = inner.data.width;
        const kw = inner.keep?.width ?? 0;
        if (ours.flow === 'in') {
          inner.valid.set(port.valid);
          port.ready.set(inner.ready);
          inner.data.set(packed ? asDataType(port.data.bits(w - 1, 0), inner.data) : port.data);
          if (inner.last) inner.last.set(port.last!);
          if (inner.keep) inner.keep.set(port.data.bits(w + kw - 1, w));
          if (inner.user) inner.user.set(port.data.bits(w + kw + inner.user.width - 1, w + kw));
        } else if (!packed) {
          connect(inner, port);
        } else {
          port.valid.set(inner.valid);
          inner.ready.set(port.ready);
          port.data.set(cat(...[inner.user, inner.keep].filter((s): s is Signal => s !== undefined), inner.data.asUInt()));
          if (inner.last) port.last!.set(inner.last);
        }
      } else if (ours instanceof AxiInterface) {
        const inner = theirs as AxiInterface;
        if (ours.kind === 'axilite') {
          const port = axiPort(m, 'axil', AxiLite(ours.config).flip());
          connect(port, inner);
          io.axil = port;
        } else {
          const port = axiPort(m, 'axi', Axi4(ours.config));
          connect(inner, port);
          io.axi = port;
        }
      } else if (ours instanceof Signal) {
        const inner = theirs as Signal;
        if (info.plainInputs.has(ours.name)) inner.set(lit(hold.get(ours.name) ?? 0n, inner.type));
        else m.unused(inner);
      }
    });
    return io;
  }, { design: def.name });
  return { top, ...info };
}
