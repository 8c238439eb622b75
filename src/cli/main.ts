import { applyCommand } from './commands/apply.js';
import { importCommand } from './commands/import.js';
import { planCommand } from './commands/plan.js';
import { snapshotCommand } from './commands/snapshot.js';
import { statusCommand } from './commands/status.js';
import { validateCommand } from './commands/validate.js';
import { watchCommand } from './commands/watch.js';
import { HELP } from './help.js';
import { EXIT, ExitError, type CliIo } from './io.js';

type Command = (argv: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  validate: validateCommand,
  plan: planCommand,
  apply: applyCommand,
  import: importCommand,
  snapshot: snapshotCommand,
  watch: watchCommand,
  status: statusCommand,
};

/** Runs one mailstate command; the only place that turns errors into exit codes. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(HELP);
    return name === undefined ? EXIT.error : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`mailstate: unknown command "${name}"\n\n${HELP}`);
    return EXIT.error;
  }
  try {
    return await command(rest, io);
  } catch (error) {
    if (error instanceof ExitError) {
      io.stderr(`Error: ${error.message}\n`);
      return error.code;
    }
    io.stderr(`mailstate: internal error (a bug; please report it): ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.error;
  }
}
