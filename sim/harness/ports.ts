/**
 * The interfaces the harness drives, taken from the top's description (its
 * manifest.json entry, or a black box's blackBoxManifest): AXI4-Stream slaves
 * and masters, one AXI4-Lite slave, one AXI4 master, the clock and the reset.
 * Every port the description names is checked against the Verilog header (it
 * exists, points the right way); any other input is tied to zero.
 */
import { UserError } from '../../util/errors.ts';
import type { ManifestInterface, TopDescription } from '../../generator/backend/manifest.ts';

/** The part of the header parser's port record the harness needs. */
export interface HarnessPort {
  name: string;
  direction: 'input' | 'output' | 'inout';
  width: number;
}

export interface StreamPorts {
  name: string;
  width: number;
  tdata: string;
  tvalid: string;
  tready: string;
  /** Absent when the stream has no tlast; beats then carry last = 0. */
  tlast?: string;
}

/** The AXI4-Lite slave, by channel signal (`awaddr`, `wdata`, ...). */
export type LitePorts = Record<string, HarnessPort>;

export interface AxiMasterPorts {
  dataBits: number;
  /** By channel signal (`araddr`, `rdata`, ...). */
  ports: Record<string, HarnessPort>;
}

export interface TopInterfaces {
  clock: string;
  reset: string;
  /** The reset input is asserted low (AXI's aresetn) rather than high. */
  resetActiveLow: boolean;
  inputs: StreamPorts[];
  outputs: StreamPorts[];
  lite?: LitePorts;
  axi?: AxiMasterPorts;
  /** Inputs that belong to no interface; the testbench holds them at 0. */
  tiedOff: string[];
  /** Every input but the clock, and every output, in declaration order: what a replay sets and what its digest covers. */
  driven: HarnessPort[];
  observed: HarnessPort[];
}

const LITE_REQUIRED = ['awaddr', 'awvalid', 'awready', 'wdata', 'wvalid', 'wready', 'bvalid', 'bready', 'araddr', 'arvalid', 'arready', 'rdata', 'rvalid', 'rready'];
const AXI_REQUIRED = ['araddr', 'arvalid', 'arready', 'rdata', 'rvalid', 'rready', 'awaddr', 'awvalid', 'awready', 'wdata', 'wvalid', 'wready', 'bvalid', 'bready'];
/** Signals the master drives, by channel: the rest of a channel goes the other way. */
const MASTER_DRIVES = /^(aw|w|ar)(?!ready$)|^(b|r)ready$/;

/**
 * Group a top's ports (as read from its Verilog) into the interfaces its description
 * declares. `where` names the description in errors (a manifest file, a black box).
 */
export function interfacesFromDescription(top: string, desc: TopDescription, ports: readonly HarnessPort[], where: string): TopInterfaces {
  const byName = new Map(ports.map((p) => [p.name, p]));
  const used = new Set<string>();
  const fail = (msg: string): never => {
    throw new UserError(`${top}: ${msg} (interface metadata from ${where})`);
  };
  const need = (name: string, dir: 'input' | 'output', what: string): HarnessPort => {
    const p = byName.get(name);
    if (!p) fail(`${what} names port ${name}, which the Verilog of ${top} does not have`);
    if (p!.direction !== dir) fail(`${what} needs ${name} to be an ${dir}, but it is an ${p!.direction}`);
    used.add(name);
    return p!;
  };

  if (!desc.clock) fail('no clock port is declared; the harness needs one (manifest "clock")');
  if (!desc.reset) fail('no reset port is declared; the harness needs one (manifest "reset": { "port", "activeLow" })');
  const clock = need(desc.clock!, 'input', 'the clock').name;
  const reset = need(desc.reset!.port, 'input', 'the reset').name;

  const inputs: StreamPorts[] = [];
  const outputs: StreamPorts[] = [];
  let lite: LitePorts | undefined;
  let axi: AxiMasterPorts | undefined;
  for (const ifc of desc.interfaces ?? []) {
    const what = `${ifc.kind} interface ${ifc.name}`;
    if (ifc.kind === 'axis') {
      const slave = ifc.role === 'slave';
      const fwd = slave ? 'input' : 'output';
      const back = slave ? 'output' : 'input';
      const port = (sig: string, dir: 'input' | 'output'): HarnessPort => {
        const name = ifc.ports[sig];
        if (!name) fail(`${what} has no ${sig}`);
        return need(name!, dir, what);
      };
      const tdata = port('tdata', fwd);
      const s: StreamPorts = { name: ifc.name, width: tdata.width, tdata: tdata.name, tvalid: port('tvalid', fwd).name, tready: port('tready', back).name };
      if (ifc.ports.tlast) s.tlast = port('tlast', fwd).name;
      for (const extra of Object.keys(ifc.ports)) if (!['tdata', 'tvalid', 'tready', 'tlast'].includes(extra)) port(extra, fwd);
      (slave ? inputs : outputs).push(s);
    } else if (ifc.kind === 'axilite') {
      if (ifc.role !== 'slave') fail(`${what} is a master; the harness drives AXI4-Lite slaves only`);
      if (lite) fail(`a second AXI4-Lite slave (${ifc.name}); the harness drives one`);
      lite = axiGroup(ifc, LITE_REQUIRED, false, need, fail);
      if (lite.wdata!.width !== 32 || lite.rdata!.width !== 32) fail(`${what}: the harness drives 32-bit AXI4-Lite data`);
    } else if (ifc.kind === 'axi4') {
      if (ifc.role !== 'master') fail(`${what} is a slave; the harness serves AXI4 masters only (it is the memory)`);
      if (axi) fail(`a second AXI4 master (${ifc.name}); the harness models one memory`);
      const group = axiGroup(ifc, AXI_REQUIRED, true, need, fail);
      const dataBits = group.rdata!.width;
      if (dataBits < 8 || (dataBits & (dataBits - 1)) !== 0) fail(`${what}: rdata is ${dataBits} bits; the AXI4 data width must be a power of two`);
      if (group.wdata!.width !== dataBits) fail(`${what}: wdata and rdata differ in width`);
      if (group.araddr!.width > 64) fail(`${what}: addresses wider than 64 bits are not supported`);
      axi = { dataBits, ports: group };
    } else {
      fail(`${what}: the harness drives axis, axilite (slave) and axi4 (master) interfaces, not ${ifc.kind}`);
    }
  }
  // By name, not declaration order: the testbench's stream indices (and the draws of its
  // seeded generators) follow this order, so a top's port order does not change a run.
  const byStreamName = (a: StreamPorts, b: StreamPorts): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  inputs.sort(byStreamName);
  outputs.sort(byStreamName);
  const inout = ports.find((p) => p.direction === 'inout');
  if (inout) fail(`inout port ${inout.name} cannot be driven by the harness`);
  const tiedOff = ports.filter((p) => p.direction === 'input' && !used.has(p.name)).map((p) => p.name);
  const driven = ports.filter((p) => p.direction === 'input' && p.name !== clock);
  const observed = ports.filter((p) => p.direction === 'output');
  return { clock, reset, resetActiveLow: desc.reset!.activeLow, inputs, outputs, lite, axi, tiedOff, driven, observed };
}

/** The ports of an AXI interface by channel signal, each checked for its direction (the harness is the other end). */
function axiGroup(
  ifc: ManifestInterface,
  required: readonly string[],
  topIsMaster: boolean,
  need: (name: string, dir: 'input' | 'output', what: string) => HarnessPort,
  fail: (msg: string) => never,
): Record<string, HarnessPort> {
  const what = `${ifc.kind} interface ${ifc.name}`;
  for (const r of required) if (!ifc.ports[r]) fail(`${what} has no ${r}`);
  const out: Record<string, HarnessPort> = {};
  for (const [sig, name] of Object.entries(ifc.ports)) {
    const topDrives = MASTER_DRIVES.test(sig) === topIsMaster;
    out[sig] = need(name, topDrives ? 'output' : 'input', what);
  }
  return out;
}
