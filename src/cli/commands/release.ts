import { DRIVER_NAMES, type DriverName } from '../../apply/choose-driver.js';
import { applyWithLock, loadDesiredWithSecrets } from '../../reconcile/index.js';
import { COMMON_OPTIONS, type CommandSpec, parseCommandArgs, SERVER_OPTION } from '../args.js';
import { EXIT, ExitError, type CliIo } from '../io.js';
import { desiredSourceOf, stderrReport } from '../pipeline.js';
import { describeDone } from './apply.js';

export const RELEASE = {
  name: 'release',
  usage: 'USER@DOMAIN... --yes [options]',
  summary:
    'After a user of a fleet moved to another server and its old mail was copied there: archive the\nold mailbox on this server (to ~vpopmail/archive/, as a deletion does) and remove its vpasswd line.\nThe forward to the new server stays. Nothing else is changed: a server with other changes pending\nis refused.',
  options: {
    ...COMMON_OPTIONS,
    server: SERVER_OPTION,
    driver: {
      type: 'string',
      default: 'auto',
      value: 'NAME',
      help: 'as for apply: files, vpopmail or auto',
    },
    yes: { type: 'boolean', default: false, help: 'needed: the old mailbox leaves the server (to the archive)' },
  },
  positional: { max: 100, what: 'the moved users, as USER@DOMAIN' },
  exitCodes: ['0  released', '1  error: not a moved-out user, other changes pending, no --yes, or a failed step'],
} as const satisfies CommandSpec;

export async function releaseCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(RELEASE, argv);
  if (positionals.length === 0)
    throw new ExitError('mailstate release: name the moved users to release, as USER@DOMAIN');
  if (!values.yes)
    throw new ExitError(
      `mailstate release archives the old mailbox of ${positionals.join(', ')} on this server: copy its mail to the new server first, then pass --yes. Nothing was released.`,
    );
  if (!DRIVER_NAMES.includes(values.driver as DriverName))
    throw new ExitError(`mailstate release: unknown --driver "${values.driver}" (files, vpopmail or auto)`);
  const report = stderrReport(io);
  const run = await applyWithLock({
    loadDesired: () =>
      loadDesiredWithSecrets(desiredSourceOf(io, values), io.cwd, io.env, report, 'nothing was released'),
    driver: values.driver as DriverName,
    force: false,
    release: new Set(positionals.map((address) => address.toLowerCase())),
    note: (line) => io.stderr(`${line}\n`),
    report,
    env: io.env,
    label: values.file,
  });
  switch (run.outcome) {
    case 'refused':
      throw new ExitError(run.refusal.reason, EXIT.error, run.refusal.kind);
    case 'no-changes':
      throw new ExitError('internal error: a release planned nothing');
    case 'failed':
      io.stderr(`Release failed: ${run.error.message}\n`);
      for (const change of run.done) io.stderr(`  done: ${describeDone(change)}\n`);
      io.stderr(
        'Nothing is lost: the old mailbox is in place or in the archive. Run the same mailstate release again to finish (or mailstate apply, when it says only vpasswd.cdb is left).\n',
      );
      return EXIT.error;
    case 'applied':
      for (const target of run.counters.archived) io.stdout(`Archived: ${target}\n`);
      io.stdout(`Released ${positionals.join(', ')}: the forward to the new server stays.\n`);
      return EXIT.ok;
  }
}
