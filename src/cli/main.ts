import { HELP } from './help.js';
import { EXIT, ExitError, type CliIo } from './io.js';

type Command = (argv: string[], io: CliIo) => Promise<number>;

/**
 * Loaded on demand: a CI `validate` or `plan` should not pay for the watcher's chokidar and
 * simple-git, nor the drivers, at every start (about a quarter of a short run's time).
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  validate: async () => (await import('./commands/validate.js')).validateCommand,
  plan: async () => (await import('./commands/plan.js')).planCommand,
  apply: async () => (await import('./commands/apply.js')).applyCommand,
  import: async () => (await import('./commands/import.js')).importCommand,
  snapshot: async () => (await import('./commands/snapshot.js')).snapshotCommand,
  watch: async () => (await import('./commands/watch.js')).watchCommand,
  status: async () => (await import('./commands/status.js')).statusCommand,
};

/** Runs one mailstate command; the only place that turns errors into exit codes. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(HELP);
    return name === undefined ? EXIT.error : EXIT.ok;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    io.stderr(`mailstate: unknown command "${name}"\n\n${HELP}`);
    return EXIT.error;
  }
  try {
    const command = await load();
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
