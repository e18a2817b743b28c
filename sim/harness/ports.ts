/**
 * Groups a top's ports (as read from the Verilog by the header parser) into
 * the interfaces the harness drives, by the naming convention of
 * docs/ARCHITECTURE.md: `aclk`, `aresetn`, `s_axis_<name>_*`,
 * `m_axis_<name>_*`, `s_axil_*`, `m_axi_*`. Any other input is tied to zero.
 */
import { UserError } from '../../util/errors.ts';

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

/** `s_axil_*` slave, by channel signal suffix (`awaddr`, `wdata`, ...). */
export type LitePorts = Record<string, HarnessPort>;

export interface AxiMasterPorts {
  dataBits: number;
  /** By suffix after `m_axi_` (`araddr`, `rdata`, ...). */
  ports: Record<string, HarnessPort>;
}

export interface TopInterfaces {
  clock: string;
  reset: string;
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

export function classifyPorts(top: string, ports: readonly HarnessPort[]): TopInterfaces {
  const byName = new Map(ports.map((p) => [p.name, p]));
  const used = new Set<string>();
  const need = (name: string, dir: 'input' | 'output'): HarnessPort => {
    const p = byName.get(name);
    if (!p) throw new UserError(`${top}: port ${name} is missing; streams, AXI4-Lite and AXI4 ports must follow the names in docs/ARCHITECTURE.md`);
    if (p.direction !== dir) throw new UserError(`${top}: port ${name} must be an ${dir}`);
    used.add(name);
    return p;
  };

  const clock = ['aclk', 'clk'].find((n) => byName.has(n));
  const reset = ['aresetn', 'rst_n', 'resetn'].find((n) => byName.has(n));
  if (!clock) throw new UserError(`${top}: no clock port (aclk); the harness drives tops with aclk and active-low aresetn`);
  if (!reset) throw new UserError(`${top}: no active-low reset port (aresetn); the harness drives tops with aclk and active-low aresetn`);
  need(clock, 'input');
  need(reset, 'input');

  const streamNames = (prefix: string): string[] =>
    [...new Set(ports.filter((p) => p.name.startsWith(prefix) && p.name.endsWith('_tdata')).map((p) => p.name.slice(prefix.length, -'_tdata'.length)))].sort();

  const stream = (prefix: string, name: string, dataDir: 'input' | 'output'): StreamPorts => {
    const other = dataDir === 'input' ? 'output' : 'input';
    const base = `${prefix}${name}`;
    const tdata = need(`${base}_tdata`, dataDir);
    const s: StreamPorts = {
      name,
      width: tdata.width,
      tdata: tdata.name,
      tvalid: need(`${base}_tvalid`, dataDir).name,
      tready: need(`${base}_tready`, other).name,
    };
    if (byName.has(`${base}_tlast`)) s.tlast = need(`${base}_tlast`, dataDir).name;
    return s;
  };
  const inputs = streamNames('s_axis_').map((n) => stream('s_axis_', n, 'input'));
  const outputs = streamNames('m_axis_').map((n) => stream('m_axis_', n, 'output'));

  const group = (prefix: string, required: string[]): Record<string, HarnessPort> | undefined => {
    const members = ports.filter((p) => p.name.startsWith(prefix));
    if (members.length === 0) return undefined;
    for (const r of required) if (!byName.has(prefix + r)) throw new UserError(`${top}: port ${prefix + r} is missing from the ${prefix}* interface`);
    const out: Record<string, HarnessPort> = {};
    for (const p of members) {
      out[p.name.slice(prefix.length)] = p;
      used.add(p.name);
    }
    return out;
  };
  const lite = group('s_axil_', LITE_REQUIRED);
  const axiPorts = group('m_axi_', AXI_REQUIRED);
  let axi: AxiMasterPorts | undefined;
  if (axiPorts) {
    const dataBits = axiPorts.rdata.width;
    if (dataBits < 8 || (dataBits & (dataBits - 1)) !== 0) throw new UserError(`${top}: m_axi_rdata is ${dataBits} bits; the AXI4 data width must be a power of two`);
    if (axiPorts.wdata.width !== dataBits) throw new UserError(`${top}: m_axi_wdata and m_axi_rdata differ in width`);
    if (axiPorts.araddr.width > 64) throw new UserError(`${top}: m_axi_araddr wider than 64 bits is not supported`);
    axi = { dataBits, ports: axiPorts };
  }
  if (lite && (lite.wdata.width !== 32 || lite.rdata.width !== 32)) throw new UserError(`${top}: s_axil data must be 32 bits`);

  const tiedOff = ports.filter((p) => p.direction === 'input' && !used.has(p.name)).map((p) => p.name);
  const inout = ports.find((p) => p.direction === 'inout');
  if (inout) throw new UserError(`${top}: inout port ${inout.name} cannot be driven by the harness`);
  const driven = ports.filter((p) => p.direction === 'input' && p.name !== clock);
  const observed = ports.filter((p) => p.direction === 'output');
  return { clock, reset, inputs, outputs, lite, axi, tiedOff, driven, observed };
}
