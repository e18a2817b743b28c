/** The command table: each area registers its own subcommands here. */
import type { Command } from 'commander';

export function registerCommands(program: Command): void {
  void program;
}
