/** CLI commands of reports/ (see docs/ARCHITECTURE.md). */
import type { Command } from 'commander';

export function register(program: Command): void {
  void program;
}
