/** The README at the top of a bundle: what is in it and how to run each flow. */
import type { FpgaReport, FpgaRun } from './flow.ts';
import { nextpnrCommandLine } from './bundle.ts';
import { harnessModuleName } from './io-harness.ts';
import { PNR_SEED } from './pnr.ts';
import { formatReportTable } from './table.ts';
import { devicesFor } from './targets.ts';

export function bundleReadme(run: FpgaRun, rep: FpgaReport): string {
  const s = run.settings;
  const L: string[] = [];
  L.push(`# FPGA bundle${run.preset ? `: preset \`${run.preset}\`` : ''}`, '');
  L.push(`Written by \`sparsegrad fpga\` for target \`${s.target}\` (${s.devices.map((d) => d.label).join(', ')}), clock ${s.clockMHz} MHz${s.board ? `, board ${s.board.name}` : ''}${s.seed !== undefined && s.seed !== PNR_SEED ? `, nextpnr seed ${s.seed}` : ''}.`);
  L.push('`manifest.json` holds the SHA-256 of every source and of the generator and flow code that produced them; `report.json` the measured figures.', '');
  L.push('## Designs', '');
  for (const d of run.designs) L.push(`- \`${d.top}/\` (${d.role}): ${d.files.length} Verilog file(s) from ${d.origin}`);
  L.push('', 'Each design folder is self-contained; every path in it is relative to it:', '');
  L.push('| file | what it is |', '|---|---|');
  L.push('| `rtl/*.v` | the Verilog-2005 sources |');
  L.push('| `<top>.f` | file list (Verilator, Icarus, most simulators: `-f <top>.f`) |');
  L.push('| `<top>.core` | FuseSoC CAPI2 core: filesets, and targets `lint` (Verilator), `ice40_<device>` (icestorm flow) and `vivado_<device>` (Vivado flow) |');
  L.push('| `edalize/<device>.edam.json`, `edalize/run.py` | EDAM for Edalize, one per iCE40 and Artix-7 device (toplevel: the place-and-route harness), and the script that builds one |');
  L.push('| `constraints/<top>.sdc` | clock, I/O delays and the reset false path in SDC, for SDC flows (OpenSTA, Radiant, iCEcube2) |');
  L.push('| `constraints/<top>.xdc` | the same in XDC, for Vivado out of context (`vivado/<device>.tcl`) |');
  L.push('| `constraints/<top>_fpga_harness.xdc` | XDC of the harness as a chip (the Vivado EDAM and FuseSoC targets) |');
  if (s.board) L.push(`| \`constraints/${s.board.name}.pcf\` | pins of the place-and-route harness on the ${s.board.name} |`);
  L.push('| `vivado/<device>.tcl` | Vivado non-project flow for that part: read, synth (out of context), place, route, utilization and timing reports into `build/<device>/vivado/` |');
  L.push('| `yosys/<device>.ys` | Yosys synthesis of the design alone: the LUT/FF/BRAM/DSP figures |');
  L.push('| `yosys/<device>-harness.ys`, `harness/*.v` | the place-and-route harness (iCE40) |');
  L.push('| `nextpnr/<device>.sh` | the nextpnr-ice40 command line |');
  L.push('| `c/<top>_regs.h` | the register map as C macros, from the table the hardware is generated from |');
  L.push('| `c/<top>_driver.h`, `.c` | a minimal C99 driver: program a job, START, poll DONE, read the counters |');
  L.push('| `templates/<top>_inst.v` | Verilog instantiation template: a wire per port and the instance |');
  L.push('| `build/<device>/` | outputs of the runs made here: netlists, `stat -json`, nextpnr `--report`, logs |');
  L.push('', '## Running it', '');
  L.push('Every command runs from a design folder (a copy of it will do); the scripts make the `build/` folders they write to.', '');
  L.push('```sh', 'cd <top>', ...s.devices.map((d) => `yosys -s yosys/${d.name}.ys`));
  for (const d of s.devices.filter((x) => x.nextpnrArgs)) L.push(`yosys -s yosys/${d.name}-harness.ys && sh nextpnr/${d.name}.sh`);
  L.push(...devicesFor('xilinx7').map((d) => `vivado -mode batch -source vivado/${d.name}.tcl`));
  L.push('```', '');
  L.push('With Edalize (`pip install edalize`; the flow API, or a legacy back end: `icestorm`/`yosys` for iCE40, `vivado`/`yosys` for Artix-7):', '');
  L.push('```sh', 'python3 edalize/run.py up5k            # yosys, nextpnr, icepack: build/edalize/up5k/<top>_up5k.bin', 'python3 edalize/run.py up5k icestorm   # the same through the legacy icestorm back end', 'python3 edalize/run.py xc7a35t         # Vivado project flow to a bitstream', 'python3 edalize/run.py xc7a35t yosys   # Yosys synth_xilinx to an EDIF netlist', '```', '');
  L.push('With FuseSoC (`pip install fusesoc`):', '');
  L.push('```sh', 'fusesoc --cores-root . run --target=lint sparsegrad:engine:<top>:0', 'fusesoc --cores-root . run --target=ice40_up5k sparsegrad:engine:<top>:0', '```', '');
  L.push('The C driver builds with any C99 compiler: `cc -std=c99 -c c/<top>_driver.c`.', '');
  const first = run.designs[0];
  const ice = s.devices.find((d) => d.nextpnrArgs);
  if (first && ice) L.push(`The nextpnr command line (${ice.label}): \`${nextpnrCommandLine(first, ice, s)}\``, '');
  L.push('## Why a harness for place and route', '');
  L.push(
    `The engine's AXI ports are far more bits than an iCE40 package has pins, and nextpnr-ice40 has no out-of-context mode. \`${harnessModuleName(first?.top ?? 'top')}\` drives every input bit with the XOR of its own pair of bits of a short scan chain and folds every output bit into a registered XOR tree, so nothing can be optimised away and every path is register to register. LUT/FF/BRAM/DSP figures in the table come from synthesising the design alone; Fmax and the "LCs with harness" column come from place and route of the harness.`,
    '',
  );
  L.push(
    'In the table, "fits" compares the design alone with the device by count (LUTs, FFs, BRAMs, DSPs; an iCE40 logic cell holds one LUT and one FF). "does not fit" under Fmax means the design with its harness cannot be placed on that device, so no Fmax could be measured: either a lower bound read from the harness netlist (LUT4 + flip-flops − the LUT→FF pairs nextpnr can pack into one cell; block RAMs; DSPs) already exceeds the device and placement was skipped, or placement ran out of sites.',
    '',
  );
  L.push('## Reset', '');
  L.push(
    'aresetn is active low and must be released synchronously to aclk: drive it from a reset synchronizer (two flip-flops on aclk) in the design around the engine, which then times the path into the engine. The SDC and XDC declare the aresetn port a false path at the engine boundary for that reason.',
    '',
  );
  L.push('## Results', '', '```', formatReportTable(rep).trimEnd(), '```', '');
  return L.join('\n');
}
