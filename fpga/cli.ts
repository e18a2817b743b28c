/** CLI commands of fpga/ (see docs/ARCHITECTURE.md): `sparsegrad fpga`. */
import type { Command } from 'commander';
import { z } from 'zod';
import { EXIT, UsageError, UserError } from '../util/errors.ts';
import { designsFromDir } from './designs.ts';
import { presetDesigns, type ResolvedDesigns } from './preset-rtl.ts';
import { runFpgaFlowTimed, type FpgaTimings } from './flow.ts';
import { availableParallelism } from 'node:os';
import { intArg, presetArg } from '../cli/options.ts';
import { writeFileAtomicSync } from '../util/atomic.ts';
import { stableJson } from '../util/json.ts';
import { addExecutorOptions, slurmCampaignOf } from '../cluster/cli.ts';
import { formatReportTable } from './table.ts';
import { boardFlowCommand, isBoardTop } from './board-flow.ts';
import { boardNames, parseTarget, resolveBoard, resolveDevices, TARGET_NAMES } from './targets.ts';
import { PNR_SEED } from './pnr.ts';

const optionsSchema = z.object({
  preset: z.string().optional(),
  rtl: z.string().optional(),
  top: z.array(z.string()).optional(),
  target: z.string(),
  device: z.array(z.string()).optional(),
  board: z.string().optional(),
  clock: z.number({ message: '--clock must be a number of MHz, e.g. --clock 25' }).gt(0, '--clock must be above 0 MHz').max(1000, '--clock above 1000 MHz is not an FPGA clock'),
  out: z.string().min(1),
  progress: z.boolean(),
  breakdown: z.boolean().optional(),
  jobs: z.number().int().min(1).max(64, '--jobs above 64 is more runs at once than any FPGA flow here needs'),
  timings: z.string().min(1).optional(),
  seed: z.number().int(),
});

function splitList(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** One line of where the time went: wall clock in all, and the summed time of each kind of step. */
export function timingSummary(t: FpgaTimings): string {
  const by = new Map<string, number>();
  for (const p of t.phases) by.set(p.phase, (by.get(p.phase) ?? 0) + p.seconds);
  const parts = [...by].map(([phase, sec]) => `${phase} ${sec.toFixed(1)} s`);
  return `fpga: ${t.totalSeconds.toFixed(1)} s wall clock with --jobs ${t.jobs}${parts.length ? ` (summed over runs: ${parts.join(', ')})` : ''}`;
}

export function register(program: Command): void {
  addExecutorOptions(program
    .command('fpga')
    .description('write an FPGA bundle (sources, .f, EDAM, SDC/XDC/PCF, Vivado Tcl, Yosys script, nextpnr command) and measure area and Fmax of the sparse engine against the dense baseline')
    .option('--preset <name>', 'engine preset whose emitted RTL to bundle (tiny, default, wide)', presetArg('--preset'), 'default')
    .option('--rtl <dir>', 'bundle the Verilog in this folder instead of a preset (hand-edited RTL)')
    .option('--top <names>', 'top module(s), comma separated (default: sparse_bwd_engine and dense_bwd_engine)', splitList)
    .option('--target <name>', `FPGA target: ${TARGET_NAMES.join(', ')}`, 'ice40')
    .option('--device <names...>', 'devices of the target (ice40: up5k hx8k; xilinx7: xc7a35t xc7a100t), space or comma separated', (v: string, prev: string[] = []) => splitList(v, prev))
    .option('--board <name>', `write a PCF and a bitstream for a board: ${boardNames().join(', ')}`)
    .option('--clock <mhz>', 'target clock frequency in MHz', (v: string) => Number(v), 25)
    .requiredOption('--out <dir>', 'bundle folder to write')
    .option('--breakdown', 'also synthesise with the hierarchy kept and report area by module')
    .option('--jobs <n>', 'design × device runs at once (Yosys and nextpnr use one core each); the report does not depend on it', intArg('--jobs', 1), Math.max(1, availableParallelism()))
    .option('--seed <n>', 'nextpnr placement seed: a netlist at ~96 % fill closes MHz apart from seed to seed, so compare seeds, not one run', intArg('--seed', 1), PNR_SEED)
    .option('--timings <file>', 'write the wall-clock time of every synthesis and place-and-route step as JSON (kept out of the bundle, whose files are byte-identical run to run)')
    .option('--no-progress', 'no progress bar'))
    .action(async (raw: Record<string, unknown>, cmd: Command) => {
      const given = (flag: string): boolean => cmd.getOptionValueSource(flag) === 'cli';
      if (isBoardTop(raw, given)) return await boardFlowCommand(raw, given);
      const slurm = slurmCampaignOf(raw as unknown as Parameters<typeof slurmCampaignOf>[0]);
      const parsed = optionsSchema.safeParse(raw);
      if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
      const o = parsed.data;
      const target = parseTarget(o.target);
      const devices = resolveDevices(target, o.device);
      const board = resolveBoard(o.board, devices);
      const designs: ResolvedDesigns = o.rtl ? { specs: await designsFromDir(o.rtl, o.top, o.rtl) } : await presetDesigns(o.preset ?? 'default', o.top);
      const { report, timings } = await runFpgaFlowTimed({
        designs: designs.specs,
        settings: { target, devices, clockMHz: o.clock, seed: o.seed, ...(board ? { board } : {}) },
        outDir: o.out,
        ...(o.rtl ? {} : { preset: o.preset }),
        ...(designs.config ? { engine: designs.config } : {}),
        ...(designs.provenance ? { provenance: designs.provenance } : {}),
        progress: o.progress && process.stderr.isTTY,
        breakdown: o.breakdown ?? false,
        jobs: o.jobs,
        ...(slurm ? { slurm } : {}),
      });
      if (o.timings) writeFileAtomicSync(o.timings, stableJson(timings));
      process.stdout.write(formatReportTable(report));
      process.stdout.write(`\nwrote ${o.out}/ (README.md, manifest.json, report.json)\n`);
      // The bundle is kept (its logs say why), but a synthesis that was asked for and failed is a failed run.
      const failed = report.results.filter((r) => r.synth.status === 'failed');
      if (failed.length > 0) {
        const f = failed[0]!;
        const more = failed.length > 1 ? ` (and ${failed.length - 1} more)` : '';
        throw new UserError(`synthesis of ${f.top} for ${f.deviceLabel} failed${more}: ${f.synth.reason}`, EXIT.designFailure);
      }
      // After the failure check: a failed run's stderr is its one error line.
      process.stderr.write(`${timingSummary(timings)}\n`);
    });
}
