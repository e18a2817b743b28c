/**
 * The I/O harness that lets place and route run on a top with far more ports
 * than the package has pins (the default engine has ~1,000 port bits; a UP5K
 * SG48 has 39 I/Os). nextpnr-ice40 has no out-of-context mode, so the engine
 * is wrapped the way timing-closure harnesses usually are:
 *   - every input bit is the XOR of its own pair of bits of a short serial
 *     scan chain, so no input is constant and no two inputs are the same
 *     function (the optimiser cannot merge them). A LUT rather than a
 *     flip-flop per input bit: where the engine registers an input directly,
 *     nextpnr packs the harness LUT into that register's logic cell, which a
 *     flip-flop-per-bit chain would not allow (an iCE40 flip-flop is fed by
 *     its own cell's LUT only);
 *   - every output bit feeds a registered XOR tree (4 bits per LUT4 per level),
 *     so no output logic can be removed and output paths end in a register.
 * Timing through the harness is therefore register to register, like an
 * engine embedded in a larger design. Its cost is reported separately
 * (harnessFlops in report.json) and excluded from the engine's own figures,
 * which come from synthesising the engine alone.
 */
import { UserError } from '../util/errors.ts';

export interface TopPort {
  name: string;
  direction: 'input' | 'output' | 'inout';
  width: number;
  /** The top's clock or reset, as its manifest declares (ports.ts): the harness passes them through. */
  role?: 'clock' | 'reset';
}

export interface HarnessPlan {
  module: string;
  clock: string;
  reset?: string;
  inputBits: number;
  /** Scan-chain length: the smallest C with C·(C−1)/2 distinct bit pairs for the inputs. */
  chainBits: number;
  outputBits: number;
  /** XOR-tree register widths from the first level to the single output bit. */
  treeLevels: number[];
  /** Flip-flops the harness adds (chain + tree) — reported beside the engine's own count. */
  harnessFlops: number;
}

export function chainLength(inputBits: number): number {
  if (inputBits === 0) return 0;
  let c = 2;
  while ((c * (c - 1)) / 2 < inputBits) c++;
  return c;
}

/** The k-th pair (a < b) in the order (0,1), (0,2), (1,2), (0,3), … — the first n pairs fit in chainLength(n) bits. */
function pair(k: number): [number, number] {
  let b = 1;
  while ((b * (b + 1)) / 2 <= k) b++;
  return [k - (b * (b - 1)) / 2, b];
}

/** Instance name of the design inside the harness; srcmap tells harness cells from design cells by it. */
export const HARNESS_INSTANCE = 'u_dut';

export function harnessModuleName(top: string): string {
  return `${top}_fpga_harness`;
}

export function planHarness(top: string, ports: TopPort[]): HarnessPlan {
  const inout = ports.find((p) => p.direction === 'inout');
  if (inout) throw new UserError(`top '${top}' has inout port '${inout.name}'; the place-and-route harness only wraps inputs and outputs`);
  const clock = ports.find((p) => p.role === 'clock')?.name;
  if (!clock) throw new UserError(`top '${top}' declares no clock (its manifest's "clock"); the place-and-route harness needs one`);
  const reset = ports.find((p) => p.role === 'reset')?.name;
  const inputBits = ports.filter((p) => p.direction === 'input' && p.name !== clock && p.name !== reset).reduce((s, p) => s + p.width, 0);
  const outputBits = ports.filter((p) => p.direction === 'output').reduce((s, p) => s + p.width, 0);
  if (outputBits === 0) throw new UserError(`top '${top}' has no outputs; place and route would remove all of its logic`);
  const treeLevels: number[] = [];
  for (let w = outputBits; w > 1 || treeLevels.length === 0; ) {
    w = Math.ceil(w / 4);
    treeLevels.push(w);
    if (w === 1) break;
  }
  return {
    module: harnessModuleName(top),
    clock,
    reset,
    inputBits,
    outputBits,
    treeLevels,
    chainBits: chainLength(inputBits),
    harnessFlops: chainLength(inputBits) + treeLevels.reduce((s, w) => s + w, 0),
  };
}

/** Verilog-2005 text of the harness; deterministic for the same ports. */
export function emitHarness(top: string, ports: TopPort[]): string {
  const plan = planHarness(top, ports);
  const L: string[] = [];
  L.push(`// Place-and-route harness for ${top}, written by sparsegrad fpga (see fpga/io-harness.ts).`);
  L.push('// Not a functional wrapper: it exists so nextpnr can place and time the engine on a small package.');
  L.push(`// ${plan.inputBits} input bits are XORs of bit pairs of a ${plan.chainBits}-bit scan chain, ${plan.outputBits} output bits go into a registered XOR tree.`);
  L.push('`default_nettype none');
  L.push(`module ${plan.module} (`);
  L.push(`  input  wire ${plan.clock},`);
  if (plan.reset) L.push(`  input  wire ${plan.reset},`);
  L.push('  input  wire scan_in,');
  L.push('  input  wire scan_en,');
  L.push('  output wire scan_out');
  L.push(');');
  const N = plan.inputBits;
  const C = plan.chainBits;
  if (N > 0) {
    L.push(`  reg [${C - 1}:0] chain;`);
    L.push(`  always @(posedge ${plan.clock}) if (scan_en) chain <= {chain[${C - 2}:0], scan_in};`);
    L.push(`  wire [${N - 1}:0] stim;`);
    for (let k = 0; k < N; k++) {
      const [a, b] = pair(k);
      L.push(`  assign stim[${k}] = chain[${a}] ^ chain[${b}];`);
    }
  }
  const conns: string[] = [`.${plan.clock}(${plan.clock})`];
  if (plan.reset) conns.push(`.${plan.reset}(${plan.reset})`);
  let inAt = 0;
  const outParts: string[] = [];
  for (const p of ports) {
    if (p.name === plan.clock || p.name === plan.reset) continue;
    if (p.direction === 'input') {
      const slice = p.width === 1 ? `stim[${inAt}]` : `stim[${inAt + p.width - 1}:${inAt}]`;
      conns.push(`.${p.name}(${slice})`);
      inAt += p.width;
    } else {
      L.push(`  wire [${p.width - 1}:0] o_${p.name};`);
      conns.push(`.${p.name}(o_${p.name})`);
      outParts.push(`o_${p.name}`);
    }
  }
  L.push(`  ${top} ${HARNESS_INSTANCE} (`);
  L.push(conns.map((c) => `    ${c}`).join(',\n'));
  L.push('  );');
  // Concatenation order is reversed so the first declared output lands in the low bits.
  let prev = 'outs';
  let prevWidth = plan.outputBits;
  L.push(`  wire [${prevWidth - 1}:0] outs = {${[...outParts].reverse().join(', ')}};`);
  plan.treeLevels.forEach((w, level) => {
    const padded = w * 4;
    const src = `t${level}_in`;
    const pad = padded - prevWidth;
    L.push(`  wire [${padded - 1}:0] ${src} = ${pad > 0 ? `{${pad}'d0, ${prev}}` : prev};`);
    L.push(`  reg [${w - 1}:0] t${level};`);
    L.push(`  integer i${level};`);
    L.push(`  always @(posedge ${plan.clock}) for (i${level} = 0; i${level} < ${w}; i${level} = i${level} + 1) t${level}[i${level}] <= ^${src}[i${level} * 4 +: 4];`);
    prev = `t${level}`;
    prevWidth = w;
  });
  L.push(`  assign scan_out = ${prev}[0];`);
  L.push('endmodule');
  L.push('`default_nettype wire');
  return L.join('\n') + '\n';
}
