/**
 * `sparsegrad <command>`: one CLI for the whole flow. Each area of the project
 * registers its own commands (see the register* imports), so a change to a
 * command lives beside the code it drives.
 *
 * Every failure ends here as one line `sparsegrad: error: …` and an exit code
 * of EXIT (util/errors.ts, README.md "Exit codes"): commander's own errors too
 * (exitOverride + configureOutput keep it from printing or exiting itself).
 */
import { Command, CommanderError } from 'commander';
import { EXIT, isUserError } from '../util/errors.ts';
import { fsErrorMessage } from '../util/fs-errors.ts';
import { registerCommands } from './commands.ts';

const program = new Command();
program
  .name('sparsegrad')
  .description('Sparsified-gradient LSTM training, turned into verified hardware.')
  .exitOverride()
  // Set before the commands are registered, so every subcommand inherits it.
  .configureOutput({ outputError: () => {} });

registerCommands(program);

function fail(message: string, code: number): never {
  process.stderr.write(`sparsegrad: error: ${message}\n`);
  process.exit(code);
}

/** The subcommand the user named, for the --help hint. */
function commandNamed(argv: readonly string[]): string | undefined {
  const names = new Set(program.commands.map((c) => c.name()));
  return argv.slice(2).find((a) => names.has(a));
}

/** Commander's message ("error: unknown option '--x'\n(Did you mean --y?)") as one line with the way to help. */
function commanderMessage(e: CommanderError): string {
  const text = e.message.replace(/^error: /, '').split('\n').map((l) => l.trim()).filter(Boolean).join(' ').replace(/\.$/, '');
  const cmd = commandNamed(process.argv);
  return `${text}; see 'sparsegrad${cmd ? ` ${cmd}` : ''} --help'`;
}

if (process.argv.length <= 2) fail("no command given; see 'sparsegrad --help' for the commands", EXIT.usage);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version were printed as asked, and exit 0.
    if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version') process.exit(e.exitCode);
    fail(commanderMessage(e), EXIT.usage);
  }
  if (isUserError(e)) fail(e.message, e.exitCode ?? EXIT.input);
  const fsMessage = fsErrorMessage(e);
  if (fsMessage !== undefined) fail(fsMessage, EXIT.input);
  if (process.env.SPARSEGRAD_DEBUG) throw e;
  const msg = e instanceof Error ? e.message : String(e);
  fail(`internal error: ${msg.split('\n')[0]} (set SPARSEGRAD_DEBUG=1 for the stack trace, and please report it)`, EXIT.internal);
}
