/**
 * Timing and pin constraints of a design's bundle. SDC and XDC are kept apart:
 * each file is read by the flows of its own dialect only (the SDC by SDC flows,
 * the XDC by Vivado), so no clock is created twice and no SDC-only command
 * reaches Vivado. Ports are named one by one rather than through collection
 * arithmetic, which both dialects accept.
 *
 * Reset: aresetn must come from a reset synchronizer (assert at any time,
 * release synchronous to aclk) in the design around the engine; that design
 * times the synchronizer's output register to the engine's flip-flops. At the
 * engine's own boundary the port is a false path, in both dialects.
 */
import { planHarness, type TopPort } from './io-harness.ts';
import type { Board } from './targets.ts';

export interface ConstrainedTop {
  top: string;
  ports: TopPort[];
}

function periodNs(clockMHz: number): string {
  return (1000 / clockMHz).toFixed(3);
}

/** Half a period on each side of the boundary: all I/O is AXI, synchronous to the one clock. */
function ioDelayNs(clockMHz: number): string {
  return (500 / clockMHz).toFixed(3);
}

/** A port's bits as get_ports matches them: a bus by its bit names, which both SDC and XDC tools name `bus[i]`. */
function bits(p: TopPort): string {
  return p.width > 1 ? `${p.name}[*]` : p.name;
}

/** The ports that carry data (not the clock, not the reset), by direction. */
function dataPorts(d: ConstrainedTop): { clock: string; reset?: string; inputs: string[]; outputs: string[] } {
  const plan = planHarness(d.top, d.ports);
  return {
    clock: plan.clock,
    ...(plan.reset ? { reset: plan.reset } : {}),
    inputs: d.ports.filter((p) => p.direction === 'input' && p.name !== plan.clock && p.name !== plan.reset).map(bits),
    outputs: d.ports.filter((p) => p.direction === 'output').map(bits),
  };
}

const RESET_NOTE = '# aresetn comes from a reset synchronizer on aclk in the surrounding design, which times it; a false path at this boundary.';

function portList(names: string[]): string {
  return `[get_ports {${names.join(' ')}}]`;
}

/** SDC (OpenSTA, Radiant, iCEcube2, Quartus-style flows): the engine as a block clocked by its aclk. */
export function sdc(d: ConstrainedTop, clockMHz: number): string {
  const p = dataPorts(d);
  const L = [`# Clock and I/O constraints for ${d.top} (SDC). Vivado reads constraints/${d.top}.xdc instead.`];
  L.push(`create_clock -name ${p.clock} -period ${periodNs(clockMHz)} [get_ports ${p.clock}]`);
  if (p.inputs.length) L.push(`set_input_delay -clock ${p.clock} ${ioDelayNs(clockMHz)} ${portList(p.inputs)}`);
  if (p.outputs.length) L.push(`set_output_delay -clock ${p.clock} ${ioDelayNs(clockMHz)} ${portList(p.outputs)}`);
  if (p.reset) L.push(RESET_NOTE, `set_false_path -from [get_ports ${p.reset}]`);
  return L.join('\n') + '\n';
}

/** XDC for Vivado's out-of-context run of the engine alone (vivado/<device>.tcl). */
export function xdc(d: ConstrainedTop, clockMHz: number): string {
  const p = dataPorts(d);
  const L = [`# Clock and I/O constraints for ${d.top} (XDC, Vivado out of context: the AXI ports stay ports, no I/O buffers)`];
  L.push(`create_clock -period ${periodNs(clockMHz)} -name ${p.clock} [get_ports ${p.clock}]`);
  // Out of context, Vivado must be told the clock arrives on a global buffer, or it times the clock tree as I/O.
  L.push(`set_property HD.CLK_SRC BUFGCTRL_X0Y0 [get_ports ${p.clock}]`);
  if (p.inputs.length) L.push(`set_input_delay -clock ${p.clock} ${ioDelayNs(clockMHz)} ${portList(p.inputs)}`);
  if (p.outputs.length) L.push(`set_output_delay -clock ${p.clock} ${ioDelayNs(clockMHz)} ${portList(p.outputs)}`);
  if (p.reset) L.push(RESET_NOTE, `set_false_path -from [get_ports ${p.reset}]`);
  return L.join('\n') + '\n';
}

/**
 * XDC for the place-and-route harness as a whole chip (the Vivado EDAM and the
 * FuseSoC vivado target build a bitstream of it): its few pins are static test
 * pins, so only the clock is timed.
 */
export function harnessXdc(d: ConstrainedTop, clockMHz: number): string {
  const plan = planHarness(d.top, d.ports);
  const statics = [...(plan.reset ? [plan.reset] : []), 'scan_in', 'scan_en'];
  const pins = [plan.clock, ...statics, 'scan_out'];
  return [
    `# Constraints for ${plan.module} as a chip (XDC): the place-and-route harness around ${d.top}.`,
    `create_clock -period ${periodNs(clockMHz)} -name ${plan.clock} [get_ports ${plan.clock}]`,
    `set_property IOSTANDARD LVCMOS33 ${portList(pins)}`,
    '# Reset and scan pins are driven by hand or by a slow tester, the parity output is read the same way.',
    `set_false_path -from ${portList(statics)}`,
    'set_false_path -to [get_ports scan_out]',
    '# No board pinout: Vivado chooses the pins.',
    'set_property BITSTREAM.GENERAL.UNCONSTRAINEDPINS Allow [current_design]',
    '',
  ].join('\n');
}

/** PCF for the place-and-route harness top on a named board. */
export function pcf(d: ConstrainedTop, board: Board): string {
  const plan = planHarness(d.top, d.ports);
  const L = [`# ${board.name}: pins of ${plan.module} (the place-and-route harness around ${d.top})`];
  L.push(`set_io ${plan.clock} ${board.pins.clk}`);
  if (plan.reset) L.push(`set_io ${plan.reset} ${board.pins.rst}`);
  L.push(`set_io scan_in ${board.pins.scanIn}`, `set_io scan_en ${board.pins.scanEn}`, `set_io scan_out ${board.pins.scanOut}`, '');
  return L.join('\n');
}
