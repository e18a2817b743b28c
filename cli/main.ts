/**
 * `sparsegrad <command>`: one CLI for the whole flow. Each area of the project
 * registers its own commands (see the register* imports), so a change to a
 * command lives beside the code it drives.
 */
import { Command, CommanderError } from 'commander';
import { isUserError } from './errors.ts';
import { registerCommands } from './commands.ts';

const program = new Command();
program
  .name('sparsegrad')
  .description('Sparsified-gradient LSTM training, turned into verified hardware.')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerCommands(program);

function fail(message: string, code: number): never {
  process.stderr.write(`sparsegrad: error: ${message}\n`);
  process.exit(code);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Commander already printed its message (or help/version, which exit 0).
    process.exit(e.exitCode);
  }
  if (isUserError(e)) fail(e.message, e.exitCode ?? 1);
  if (process.env.SPARSEGRAD_DEBUG) throw e;
  const msg = e instanceof Error ? e.message : String(e);
  fail(`internal error: ${msg.split('\n')[0]} (set SPARSEGRAD_DEBUG=1 for the stack trace, and please report it)`, 70);
}
