/** The README at the top of a bundle: what is in it and how to run each flow. */
import type { FpgaReport, FpgaRun } from './flow.ts';
import { nextpnrCommandLine } from './bundle.ts';
import { harnessModuleName } from './io-harness.ts';
import { formatReportTable } from './table.ts';

export function bundleReadme(run: FpgaRun, rep: FpgaReport): string {
  const s = run.settings;
  const L: string[] = [];
  L.push(`# FPGA bundle${run.preset ? `: preset \`${run.preset}\`` : ''}`, '');
  L.push(`Written by \`sparsegrad fpga\` for target \`${s.target}\` (${s.devices.map((d) => d.label).join(', ')}), clock ${s.clockMHz} MHz${s.board ? `, board ${s.board.name}` : ''}.`);
  L.push('`manifest.json` holds the SHA-256 of every source and of the generator and flow code that produced them; `report.json` the measured figures.', '');
  L.push('## Designs', '');
  for (const d of run.designs) L.push(`- \`${d.top}/\` (${d.role}): ${d.files.length} Verilog file(s) from ${d.origin}`);
  L.push('', 'Each design folder is self-contained; every path in it is relative to it:', '');
  L.push('| file | what it is |', '|---|---|');
  L.push('| `rtl/*.v` | the Verilog-2005 sources |');
  L.push('| `<top>.f` | file list (Verilator, Icarus, most simulators: `-f <top>.f`) |');
  L.push('| `<top>.edam.json` | EDAM description for edalize (files with file_type, toplevel, parameters, tool_options) |');
  L.push('| `constraints/<top>.sdc`, `.xdc` | clock constraint for SDC flows and for Vivado (out-of-context) |');
  if (s.board) L.push(`| \`constraints/${s.board.name}.pcf\` | pins of the place-and-route harness on the ${s.board.name} |`);
  L.push('| `vivado/build.tcl` | Vivado non-project flow: read, synth (out of context), place, route, utilization and timing reports |');
  L.push('| `yosys/<device>.ys` | Yosys synthesis of the design alone: the LUT/FF/BRAM/DSP figures |');
  L.push('| `yosys/<device>-harness.ys`, `harness/*.v` | the place-and-route harness (iCE40) |');
  L.push('| `nextpnr/<device>.sh` | the nextpnr-ice40 command line |');
  L.push('| `build/<device>/` | outputs of the runs made here: netlists, `stat -json`, nextpnr `--report`, logs |');
  L.push('', '## Running it', '');
  L.push('```sh', 'cd <top>', ...s.devices.map((d) => `yosys -s yosys/${d.name}.ys`));
  for (const d of s.devices.filter((x) => x.nextpnrArgs)) L.push(`yosys -s yosys/${d.name}-harness.ys && sh nextpnr/${d.name}.sh`);
  L.push('vivado -mode batch -source vivado/build.tcl', '```', '');
  const first = run.designs[0];
  const ice = s.devices.find((d) => d.nextpnrArgs);
  if (first && ice) L.push(`The nextpnr command line (${ice.label}): \`${nextpnrCommandLine(first, ice, s)}\``, '');
  L.push('## Why a harness for place and route', '');
  L.push(
    `The engine's AXI ports are far more bits than an iCE40 package has pins, and nextpnr-ice40 has no out-of-context mode. \`${harnessModuleName(first?.top ?? 'top')}\` drives every input bit with the XOR of its own pair of bits of a short scan chain and folds every output bit into a registered XOR tree, so nothing can be optimised away and every path is register to register. LUT/FF/BRAM/DSP figures in the table come from synthesising the design alone; Fmax and the "LCs with harness" column come from place and route of the harness.`,
    '',
  );
  L.push(
    'In the table, "fits" compares the design alone with the device by count (LUTs, FFs, BRAMs, DSPs; an iCE40 logic cell holds one LUT and one FF). "does not fit" under Fmax means placement of the design with its harness ran out of sites, so no Fmax could be measured on that device.',
    '',
  );
  L.push('## Results', '', '```', formatReportTable(rep).trimEnd(), '```', '');
  return L.join('\n');
}
