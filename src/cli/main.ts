import { readFileSync } from 'node:fs';
import { didYouMean } from '../model/did-you-mean.js';
import { HelpRequested } from './args.js';
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
  place: async () => (await import('./commands/place.js')).placeCommand,
  release: async () => (await import('./commands/release.js')).releaseCommand,
};

/** package.json's version: dist/cli/main.js and src/cli/main.ts both lie two levels below it. */
function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

function unknownCommand(name: string): string {
  const near = didYouMean(name, [...Object.keys(COMMANDS), 'help']);
  const hint = near ? ` (did you mean "mailstate ${near}"?)` : '';
  return `mailstate: unknown command "${name}"${hint}\nRun "mailstate help" for the commands.\n`;
}

/** Runs one mailstate command; the only place that turns errors into exit codes. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V' || first === 'version') {
    io.stdout(`mailstate ${version()}\n`);
    return EXIT.ok;
  }
  // `mailstate help plan` is `mailstate plan --help`.
  const [name, args] = first === 'help' && rest[0] !== undefined ? [rest[0], ['--help']] : [first, rest];
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(HELP);
    return name === undefined ? EXIT.error : EXIT.ok;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    io.stderr(unknownCommand(name));
    return EXIT.error;
  }
  try {
    const command = await load();
    return await command(args, io);
  } catch (error) {
    if (error instanceof HelpRequested) {
      io.stdout(error.text);
      return EXIT.ok;
    }
    if (error instanceof ExitError) {
      io.stderr(`Error: ${error.message}\n`);
      return error.code;
    }
    io.stderr(`mailstate: internal error (a bug; please report it): ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.error;
  }
}
