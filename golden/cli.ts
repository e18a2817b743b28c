/** CLI commands of golden/ (see docs/ARCHITECTURE.md). */
import type { Command } from 'commander';

export function register(program: Command): void {
  void program;
}
