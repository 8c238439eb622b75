import { isAbsolute, join, resolve } from 'node:path';
import { DRIVER_NAMES, type DriverName } from '../../apply/choose-driver.js';
import { isPlainGitName, openRepo, repoPath, RepoError } from '../../git/repo.js';
import { COMMON_OPTIONS, type CommandSpec, PEER_SNAPSHOTS_OPTION, parseCommandArgs, SERVER_OPTION } from '../args.js';
import { EXIT, ExitError, type CliIo } from '../io.js';
import { overridesFrom } from '../../reconcile/index.js';
import { peerOptions, serverChoice } from '../pipeline.js';
import { formatEvent, type LogFormat } from '../watch/log.js';
import { Watcher } from '../watch/watcher.js';

/** A duration flag in seconds (decimals allowed), as milliseconds. */
function seconds(flag: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback === undefined ? undefined : fallback * 1000;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || !/^\d+(\.\d+)?$/.test(value.trim())) {
    throw new ExitError(`mailstate watch: ${flag} takes a number of seconds above 0, not "${value}"`);
  }
  return Math.round(parsed * 1000);
}

export const WATCH = {
  name: 'watch',
  usage: '[options]',
  summary:
    "Follow a git branch and apply each new commit's desired state, as Flux or Argo CD do; re-plan\nagainst the server every --resync-interval and repair drift. Runs until SIGTERM or SIGINT, which\nlet the reconcile in progress finish.",
  options: {
    repo: { type: 'string', default: '.', value: 'DIR', help: 'the git working copy to follow' },
    branch: { type: 'string', default: 'main', value: 'NAME', help: 'the branch whose commits are applied' },
    file: {
      type: 'string',
      short: 'f',
      default: 'mailstate.yaml',
      value: 'FILE',
      help: 'the desired state, relative to --repo',
    },
    remote: { type: 'string', default: 'origin', value: 'NAME', help: 'the remote --pull-interval fetches' },
    'pull-interval': {
      type: 'string',
      value: 'SECONDS',
      help: 'fetch the remote every SECONDS and fast-forward the branch (default: no fetching)',
    },
    'resync-interval': {
      type: 'string',
      value: 'SECONDS',
      help: 're-plan against the live state every SECONDS (default 600)',
    },
    debounce: {
      type: 'string',
      value: 'SECONDS',
      help: 'quiet time after a ref change before applying (default 0.5)',
    },
    'no-self-heal': { type: 'boolean', default: false, help: 'report drift found on resync instead of repairing it' },
    'record-notes': {
      type: 'boolean',
      default: false,
      help: 'record each applied commit as a git note (refs/notes/mailstate/HOST)',
    },
    'log-format': {
      type: 'string',
      default: 'text',
      value: 'FORMAT',
      help: 'text (one line per event, for journald) or json (one object per line)',
    },
    driver: { type: 'string', default: 'auto', value: 'NAME', help: 'as for apply: files, vpopmail or auto' },
    server: SERVER_OPTION,
    'allow-moves': {
      type: 'boolean',
      default: false,
      help: 'apply commits that move users between the servers of a fleet (move-in, move-out)',
    },
    'peer-snapshots': PEER_SNAPSHOTS_OPTION,
    'vpopmail-home': COMMON_OPTIONS['vpopmail-home'],
    'qmail-home': COMMON_OPTIONS['qmail-home'],
    'domain-base': COMMON_OPTIONS['domain-base'],
  },
  exitCodes: ['0  stopped by SIGTERM or SIGINT', '1  cannot start: no repository, a bad flag'],
} as const satisfies CommandSpec;

/**
 * `mailstate watch`: runs until SIGTERM or SIGINT, applying each new commit of the branch and
 * repairing drift on every resync. Exits 0 after a signal once the reconcile in progress is done;
 * 1 only when it cannot start (no repository, bad flags).
 */
export async function watchCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(WATCH, argv);
  const format = values['log-format'];
  if (format !== 'text' && format !== 'json')
    throw new ExitError(`mailstate watch: unknown --log-format "${format}" (text or json)`);
  const driver = values.driver as DriverName;
  if (!DRIVER_NAMES.includes(driver))
    throw new ExitError(`mailstate watch: unknown --driver "${values.driver}" (files, vpopmail or auto)`);
  if (!isPlainGitName(values.branch)) throw new ExitError(`mailstate watch: "${values.branch}" is not a branch name`);
  if (!isPlainGitName(values.remote)) throw new ExitError(`mailstate watch: "${values.remote}" is not a remote name`);
  if (!io.onStopSignal) throw new ExitError('mailstate watch needs signal handling (run it from the mailstate binary)');
  const pullIntervalMs = seconds('--pull-interval', values['pull-interval']);
  const resyncIntervalMs = seconds('--resync-interval', values['resync-interval'], 600)!;
  const debounceMs = seconds('--debounce', values.debounce, 0.5)!;

  let repo: Awaited<ReturnType<typeof openRepo>>;
  try {
    repo = await openRepo(resolve(io.cwd, values.repo));
  } catch (error) {
    if (error instanceof RepoError) throw new ExitError(`mailstate watch: ${error.message}`);
    throw error;
  }
  const file = repoPath(repo, isAbsolute(values.file) ? values.file : join(repo.root, values.file));
  if (file === undefined || file === '')
    throw new ExitError(`mailstate watch: --file ${values.file} is not inside the repository ${repo.root}`);

  const logFormat: LogFormat = format;
  const watcher = new Watcher({
    repo,
    file,
    branch: values.branch,
    remote: values.remote,
    ...(pullIntervalMs === undefined ? {} : { pullIntervalMs }),
    resyncIntervalMs,
    debounceMs,
    selfHeal: !values['no-self-heal'],
    recordNotes: values['record-notes'],
    driver,
    overrides: overridesFrom(io.cwd, {
      vpopmailHome: values['vpopmail-home'],
      qmailHome: values['qmail-home'],
      domainBases: values['domain-base'],
      server: serverChoice(io, values.server),
    }),
    allowMoves: values['allow-moves'],
    ...peerOptions(io, values['peer-snapshots']),
    env: io.env,
    // A fleet's watchers share one repository: each records its notes under its server's name.
    host: values.server ?? io.env.MAILSTATE_SERVER ?? io.hostname ?? 'localhost',
    emit: (event) => io.stdout(`${formatEvent(event, logFormat, new Date())}\n`),
  });

  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  const removeHandler = io.onStopSignal((signal) => void watcher.stop(signal).then(stopped));
  try {
    try {
      await watcher.start();
    } catch (error) {
      await watcher.stop('a start-up error');
      throw error;
    }
    await done;
  } finally {
    removeHandler();
  }
  return EXIT.ok;
}
