/** CLI commands of board/: `sparsegrad board run` (docs/board.md). */
import type { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../util/errors.ts';
import { intArg, presetArg } from '../cli/options.ts';
import { PRESET_NAMES } from '../engine/config.ts';
import { ICEBREAKER_DEFAULTS } from '../generator/boards/icebreaker/index.ts';
import { boardRun, failIfMismatch, formatBoardReport } from './run.ts';

const runSchema = z.strictObject({
  port: z.string().min(1).optional(),
  sim: z.boolean().optional(),
  streams: z.string().min(1),
  preset: z.enum(PRESET_NAMES),
  layer: z.number().int().min(0),
  mode: z.enum(['data', 'weight', 'both']),
  baud: z.number().int().min(300).max(12_000_000),
  timeout: z.number().int().min(1),
});

export function register(program: Command): void {
  const board = program.command('board').description('run the engine on the iCEBreaker board (or its board-level simulation) and check it against the model');
  board
    .command('run')
    .description('load W, stream a gradient dump through the engine on the board, read results and counters, and check them bit-exactly against the engine model')
    .option('--port <device>', 'serial device of the iCEBreaker (its FTDI UART, e.g. /dev/ttyUSB1)')
    .option('--sim', 'run on the Verilated board top instead of a real board (the same bitstream design, UART bit-banged on its pins)')
    .requiredOption('--streams <file|dir>', "gradient dump(s) from 'sparsegrad train --dump-streams DIR'")
    .option('--preset <name>', `engine preset the board was built with (${PRESET_NAMES.join(', ')})`, presetArg('--preset'), ICEBREAKER_DEFAULTS.preset)
    .option('--layer <n>', 'LSTM layer of the dump', intArg('--layer', 0), 0)
    .option('--mode <mode>', 'data, weight or both', 'both')
    .option('--baud <rate>', 'UART bit rate of the bitstream', intArg('--baud', 1), ICEBREAKER_DEFAULTS.baud)
    .option('--timeout <ms>', 'milliseconds to wait for each response', intArg('--timeout', 1), 5000)
    .action(async (raw: Record<string, unknown>) => {
      const r = runSchema.safeParse(raw);
      if (!r.success) {
        const issue = r.error.issues[0]!;
        throw new UsageError(`--${String(issue.path[0] ?? 'options')}: ${issue.message}; see --help`);
      }
      const o = r.data;
      if (!o.port === !o.sim) throw new UsageError('give either --port DEVICE (a real board) or --sim (the simulated board)');
      const report = await boardRun({
        preset: o.preset,
        streams: o.streams,
        layer: o.layer,
        mode: o.mode,
        baud: o.baud,
        timeoutMs: o.timeout,
        ...(o.port ? { port: o.port } : {}),
        onBuild: () => process.stderr.write('building the simulated board (Verilator, once per design)…\n'),
      });
      process.stdout.write(formatBoardReport(report));
      failIfMismatch(report);
    });
}
