/**
 * The command table: each area registers its own subcommands, and the wiring
 * between areas that must not import each other happens here (golden/'s
 * `train --backward rtl` runs on sim/'s engine; golden/ never imports sim/).
 */
import type { Command } from 'commander';
import { register as registerGolden } from '../golden/cli.ts';
import { register as registerEngineModel } from '../golden/engine-model/cli.ts';
import { register as registerGenerator } from '../generator/cli.ts';
import { register as registerSim } from '../sim/cli.ts';
import { register as registerFpga } from '../fpga/cli.ts';
import { register as registerReports } from '../reports/cli.ts';
import { register as registerCluster } from '../cluster/cli.ts';
import { register as registerFormal } from '../formal/cli.ts';
import { register as registerBoard } from '../board/cli.ts';

export function registerCommands(program: Command): void {
  registerGolden(program, {
    // Loaded only when asked for: the simulator pulls in Verilator plumbing a float run never needs.
    engineBackward: async (kind, preset, opts) => (await import('../sim/engine-backward.ts')).EngineBackwardProducts.create(kind, preset, opts),
  });
  registerEngineModel(program);
  registerGenerator(program);
  registerSim(program);
  registerFpga(program);
  registerReports(program);
  registerCluster(program);
  registerFormal(program);
  registerBoard(program);
}
