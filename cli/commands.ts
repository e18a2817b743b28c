/** The command table: each area registers its own subcommands. */
import type { Command } from 'commander';
import { register as registerGolden } from '../golden/cli.ts';
import { register as registerEngineModel } from '../golden/engine-model/cli.ts';
import { register as registerGenerator } from '../generator/cli.ts';
import { register as registerSim } from '../sim/cli.ts';
import { register as registerFpga } from '../fpga/cli.ts';
import { register as registerReports } from '../reports/cli.ts';
import { register as registerCluster } from '../cluster/cli.ts';
import { register as registerFormal } from '../formal/cli.ts';

export function registerCommands(program: Command): void {
  registerGolden(program);
  registerEngineModel(program);
  registerGenerator(program);
  registerSim(program);
  registerFpga(program);
  registerReports(program);
  registerCluster(program);
  registerFormal(program);
}
