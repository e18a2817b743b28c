/**
 * `sparsegrad fpga --board icebreaker`: the board top (generator/boards/icebreaker/)
 * synthesized, placed and routed on the iCEBreaker's UP5K with its real pinout, packed
 * into a bitstream, and timed by both nextpnr and icetime. The folder it writes
 * rebuilds itself with `sh build.sh` (the same commands, in the same order).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, UserError } from '../util/errors.ts';
import { withStagedDir, type StagedDir } from '../util/atomic.ts';
import { getPreset } from '../engine/config.ts';
import { requireTool, runTool, type ToolName } from '../toolchain/index.ts';
import { sanitizeLog } from './logs.ts';
import { emitBoard, ICEBREAKER_DEFAULTS, PCF_FILE, TOP_NAME, type BoardClocking } from '../generator/boards/icebreaker/index.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BOARD_SEED = 1;

export interface BoardFlowOptions {
  preset: string;
  clockMHz: number;
  baud: number;
  out: string;
}

export interface BoardFlowReport {
  board: 'icebreaker';
  device: 'iCE40UP5K-SG48';
  preset: string;
  top: string;
  clocking: BoardClocking;
  /** Yosys cell counts of the flattened board top (SB_LUT4, SB_DFF*, SB_RAM40_4K, SB_SPRAM256KA, SB_MAC16, …). */
  cells: Record<string, number>;
  luts: number;
  ffs: number;
  /** nextpnr's placed utilization: used of available, per BEL type. */
  utilization: Record<string, { used: number; available: number }>;
  /** nextpnr's Fmax of the PLL clock domain, and icetime's estimate of the same netlist. */
  fmaxMHz: number;
  icetimeMHz: number | null;
  /** The PLL clock is below both. */
  meetsClock: boolean;
  files: { bitstream: string; icetime: string; nextpnrReport: string };
}

const SYNTH_YS = (files: string[]): string =>
  [
    `# Synthesis of ${TOP_NAME} for the iCE40UP5K. SB_PLL40_PAD and SB_SPRAM256KA are Yosys' own cells:`,
    '# the simulation stand-ins in generator/boards/icebreaker/models/ are not read here.',
    ...files.map((f) => `read_verilog -defer rtl/${f}`),
    `synth_ice40 -device u -dsp -top ${TOP_NAME} -json build/${TOP_NAME}.json`,
    'tee -q -o build/stat.json stat -json',
    '',
  ].join('\n');

const commands = (clockMHz: number) => ({
  yosys: ['-q', '-l', 'build/yosys.log', 'synth.ys'],
  nextpnr: ['--up5k', '--package', 'sg48', '--json', `build/${TOP_NAME}.json`, '--pcf', 'constraints/icebreaker.pcf', '--asc', `build/${TOP_NAME}.asc`,
    '--freq', String(clockMHz), '--seed', String(BOARD_SEED), '--timing-allow-fail', '--report', 'build/nextpnr-report.json', '-l', 'build/nextpnr.log', '-q'],
  icepack: [`build/${TOP_NAME}.asc`, `build/${TOP_NAME}.bin`],
  icetime: ['-d', 'up5k', '-P', 'sg48', '-p', 'constraints/icebreaker.pcf', '-t', '-r', 'build/icetime.txt', `build/${TOP_NAME}.asc`],
});

function buildScript(clockMHz: number): string {
  const c = commands(clockMHz);
  return [
    '#!/bin/sh',
    '# Rebuilds build/ from rtl/ and constraints/: synthesis, place and route, bitstream, timing.',
    'set -e',
    'cd "$(dirname "$0")"',
    'mkdir -p build',
    `yosys ${c.yosys.join(' ')}`,
    `nextpnr-ice40 ${c.nextpnr.join(' ')}`,
    `icepack ${c.icepack.join(' ')}`,
    `icetime ${c.icetime.join(' ')}`,
    '',
  ].join('\n');
}

async function run(dir: StagedDir, tool: ToolName, args: string[]): Promise<string> {
  const r = await runTool(tool, args, { cwd: dir.path('.') });
  const out = String(r.all ?? '');
  if (r.exitCode !== 0) {
    const logName = tool === 'nextpnr-ice40' ? 'build/nextpnr.log' : tool === 'yosys' ? 'build/yosys.log' : undefined;
    const log = logName ? safeRead(dir.path(logName)) : '';
    const err = (log + '\n' + out).split('\n').find((l) => /^ERROR:/.test(l)) ?? out.trim().split('\n').pop() ?? '';
    const full = /Failed to expand region .* of (\d+) (\w+)s/.exec(err) ?? /no BELs remaining to implement cell type '(\w+)'/.exec(err);
    if (full) {
      throw new UserError(`the board top does not fit the UP5K: ${err.replace(/^ERROR: /, '')}; use a smaller --preset (docs/board.md says which fits)`, EXIT.designFailure);
    }
    if (tool === 'icetime' && /chipdb/i.test(out)) throw new UserError("icetime cannot find the iCE40 chip database: install it (Debian: apt-get install fpga-icestorm-chipdb)", EXIT.missingTool);
    throw new UserError(`${tool} failed on the board top: ${err}`, EXIT.designFailure);
  }
  return out;
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** icetime's "Total path delay: 41.23 ns (24.25 MHz)". */
export function parseIcetime(text: string): number | null {
  const m = /Total path delay:\s*[\d.]+\s*ns\s*\(([\d.]+)\s*MHz\)/.exec(text);
  return m ? Number(m[1]) : null;
}

export async function runBoardFlow(o: BoardFlowOptions): Promise<BoardFlowReport> {
  for (const t of ['yosys', 'nextpnr-ice40', 'icepack', 'icetime'] as const) requireTool(t);
  const cfg = getPreset(o.preset);
  const board = emitBoard(cfg, { clockMHz: o.clockMHz, baud: o.baud });
  const files = [...board.files.keys()].sort();
  return await withStagedDir(o.out, async (dir) => {
    for (const f of files) await dir.write(`rtl/${f}`, board.files.get(f)!);
    await dir.write('rtl/manifest.json', `${JSON.stringify(board.manifest, null, 2)}\n`);
    await dir.write('constraints/icebreaker.pcf', readFileSync(path.join(REPO, PCF_FILE), 'utf8'));
    await dir.write('synth.ys', SYNTH_YS(files));
    await dir.write('build.sh', buildScript(board.manifest.clocking.pll.outMHz));
    mkdirSync(dir.path('build'), { recursive: true });
    const c = commands(board.manifest.clocking.pll.outMHz);
    await run(dir, 'yosys', c.yosys);
    await run(dir, 'nextpnr-ice40', c.nextpnr);
    await run(dir, 'icepack', c.icepack);
    await run(dir, 'icetime', c.icetime);
    // The logs stay for diagnosis, without the run times that would make two builds differ.
    for (const log of ['build/yosys.log', 'build/nextpnr.log']) writeFileSync(dir.path(log), sanitizeLog(safeRead(dir.path(log))));

    const stat = JSON.parse(readFileSync(dir.path('build/stat.json'), 'utf8')) as { design?: { num_cells_by_type?: Record<string, number> }; modules?: Record<string, { num_cells_by_type?: Record<string, number> }> };
    const cells = stat.design?.num_cells_by_type ?? stat.modules?.[`\\${TOP_NAME}`]?.num_cells_by_type ?? {};
    const rep = JSON.parse(readFileSync(dir.path('build/nextpnr-report.json'), 'utf8')) as { fmax?: Record<string, { achieved: number }>; utilization?: Record<string, { used: number; available: number }> };
    const domains = Object.entries(rep.fmax ?? {});
    const pllDomain = domains.find(([n]) => /pll_clk|PLLOUT/.test(n)) ?? domains[0];
    if (!pllDomain) throw new UserError('nextpnr reported no clock domain for the board top', EXIT.designFailure);
    const icetimeMHz = parseIcetime(readFileSync(dir.path('build/icetime.txt'), 'utf8'));
    const fmaxMHz = pllDomain[1].achieved;
    const clk = board.manifest.clocking.pll.outMHz;
    const report: BoardFlowReport = {
      board: 'icebreaker',
      device: 'iCE40UP5K-SG48',
      preset: o.preset,
      top: TOP_NAME,
      clocking: board.manifest.clocking,
      cells: Object.fromEntries(Object.entries(cells).sort(([a], [b]) => (a < b ? -1 : 1))),
      luts: cells.SB_LUT4 ?? 0,
      ffs: Object.entries(cells).filter(([k]) => k.startsWith('SB_DFF')).reduce((s, [, v]) => s + v, 0),
      utilization: Object.fromEntries(Object.entries(rep.utilization ?? {}).filter(([, u]) => u.used > 0).sort(([a], [b]) => (a < b ? -1 : 1))),
      fmaxMHz,
      icetimeMHz,
      meetsClock: fmaxMHz >= clk && (icetimeMHz === null || icetimeMHz >= clk),
      files: { bitstream: `build/${TOP_NAME}.bin`, icetime: 'build/icetime.txt', nextpnrReport: 'build/nextpnr-report.json' },
    };
    await dir.write('report.json', `${JSON.stringify(report, null, 2)}\n`);
    await dir.write('README.md', boardReadme(report));
    return report;
  });
}

function boardReadme(r: BoardFlowReport): string {
  const p = r.clocking.pll;
  return `# ${r.top} for the iCEBreaker (iCE40UP5K-SG48)

The sparse engine (preset \`${r.preset}\`) behind a UART bridge, on the UP5K's SPRAM,
clocked by SB_PLL40_PAD at ${p.outMHz} MHz from the 12 MHz oscillator
(DIVR ${p.divr}, DIVF ${p.divf}, DIVQ ${p.divq}, FILTER_RANGE ${p.filterRange}); UART
${Math.round(r.clocking.actualBaud)} baud 8N1 (divisor ${r.clocking.divisor}). Protocol and
clocking: docs/board.md in the sparsegrad repository.

- \`build/${r.top}.bin\`: the bitstream. Flash it with \`iceprog build/${r.top}.bin\`.
- \`build/icetime.txt\`: icetime's timing report; \`build/nextpnr-report.json\`: nextpnr's.
- \`report.json\`: ${r.luts} SB_LUT4, ${r.ffs} flip-flops; nextpnr Fmax ${r.fmaxMHz.toFixed(2)} MHz,
  icetime ${r.icetimeMHz === null ? 'n/a' : `${r.icetimeMHz.toFixed(2)} MHz`} against the ${p.outMHz} MHz clock.
- \`sh build.sh\` rebuilds \`build/\` from \`rtl/\` and \`constraints/\` with the same commands.

Then, with the board on USB: \`sparsegrad board run --port /dev/ttyUSB1 --preset ${r.preset} --streams DUMP\`.
`;
}

/**
 * Whether `fpga` builds the iCEBreaker board top: `--board icebreaker` for a preset. With
 * `--rtl` or `--top` it keeps bundling those designs in the scan-chain harness, with the
 * board's PCF (fpga/targets.ts).
 */
export function isBoardTop(raw: Record<string, unknown>, given: (flag: string) => boolean): boolean {
  return typeof raw.board === 'string' && raw.board.toLowerCase() === 'icebreaker' && !given('rtl') && !given('top');
}

/**
 * The `fpga --board icebreaker` command: the preset and clock are the board's own
 * unless given (`given(flag)` says whether the user passed it).
 */
export async function boardFlowCommand(raw: Record<string, unknown>, given: (flag: string) => boolean): Promise<void> {
  for (const flag of ['breakdown', 'executor']) {
    if (given(flag)) throw new UserError(`--board icebreaker builds the board top of a preset; --${flag} does not apply to it`, EXIT.usage);
  }
  const devices = given('device') ? (raw.device as string[]).map((d) => d.toLowerCase()) : ['up5k'];
  if ((given('target') && String(raw.target) !== 'ice40') || devices.some((d) => d !== 'up5k')) {
    throw new UserError(`--board icebreaker builds for the board's iCE40UP5K; --target ice40 --device up5k or nothing, not ${given('target') ? `--target ${String(raw.target)} ` : ''}--device ${devices.join(',')}`, EXIT.usage);
  }
  const preset = given('preset') ? String(raw.preset) : ICEBREAKER_DEFAULTS.preset;
  const clockMHz = given('clock') ? Number(raw.clock) : ICEBREAKER_DEFAULTS.clockMHz;
  const out = String(raw.out);
  const r = await runBoardFlow({ preset, clockMHz, baud: ICEBREAKER_DEFAULTS.baud, out });
  const p = r.clocking.pll;
  const lc = r.utilization.ICESTORM_LC;
  process.stdout.write([
    `icebreaker_top, preset ${r.preset}, on the iCE40UP5K-SG48`,
    `  logic cells ${lc ? `${lc.used} / ${lc.available}` : 'n/a'}, SB_LUT4 ${r.luts}, flip-flops ${r.ffs}, BRAM ${r.cells.SB_RAM40_4K ?? 0}, SPRAM ${r.cells.SB_SPRAM256KA ?? 0}, DSP ${r.cells.SB_MAC16 ?? 0}`,
    `  PLL ${p.outMHz} MHz (DIVR ${p.divr} DIVF ${p.divf} DIVQ ${p.divq}); Fmax nextpnr ${r.fmaxMHz.toFixed(2)} MHz, icetime ${r.icetimeMHz?.toFixed(2) ?? 'n/a'} MHz${r.meetsClock ? '' : '  (below the PLL clock: lower --clock)'}`,
    `wrote ${out}/ (${r.files.bitstream}, ${r.files.icetime}, report.json, README.md)`,
    '',
  ].join('\n'));
  if (!r.meetsClock) throw new UserError(`the board top closes at ${r.fmaxMHz.toFixed(2)} MHz, below its ${p.outMHz} MHz PLL clock; pass a lower --clock`, EXIT.designFailure);
}
