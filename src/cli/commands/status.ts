import { resolve } from 'node:path';
import { isPlainGitName, openRepo, RepoError, resolveCommit, shortCommit } from '../../git/repo.js';
import type { Plan } from '../../model/change.js';
import { renderChangeBody, summaryLine } from '../../render/text.js';
import { COMMON_OPTIONS, type CommandSpec, parseCommandArgs, SERVER_OPTION } from '../args.js';
import { EXIT, ExitError, type CliIo } from '../io.js';
import { driftFromCommit } from '../../reconcile/index.js';
import { orExit, serverChoice, stderrNote, stderrReport } from '../pipeline.js';
import { statusFleetCommand } from './status-fleet.js';
import { readWatchState, watchStatePath, type ReconcileRecord } from '../watch/state-file.js';

/** status: the tip of the branch is not what the server runs (the watcher refused it, failed, or has not got to it). */
export const EXIT_NOT_APPLIED = 3;

function describeRecord(record: ReconcileRecord): string {
  const counts = record.counts
    ? `: ${summaryLine(record.counts)
        .replace(/^Plan: /, '')
        .replace(/\.$/, '')}`
    : '';
  const reason = record.reason ? `: ${record.reason}` : '';
  return `${shortCommit(record.commit)} at ${record.time} (${record.outcome}, ${record.trigger})${counts}${reason}`;
}

export const STATUS = {
  name: 'status',
  usage: '[--vpopmail-home DIR] [--repo DIR] | --fleet --repo DIR [--remote NAME]',
  summary:
    'What the watcher on this server last applied, when and how it went, whether the branch tip is\napplied, and whether the live state has drifted since (a plan of that commit against the server).\nWith --fleet: every server of the fleet, from the git notes each watcher records (--record-notes).',
  options: {
    'vpopmail-home': {
      type: 'string',
      default: '/home/vpopmail',
      value: 'DIR',
      help: "the server's vpopmail home (where the watcher keeps its state)",
    },
    'qmail-home': COMMON_OPTIONS['qmail-home'],
    repo: { type: 'string', value: 'DIR', help: 'use this git working copy instead of the one the watcher recorded' },
    server: SERVER_OPTION,
    fleet: {
      type: 'boolean',
      default: false,
      help: "every server's last recorded commit and outcome, read from --repo's notes refs\n(refs/notes/mailstate/<server>) alone: no watch state, no server needed",
    },
    branch: { type: 'string', default: 'main', value: 'NAME', help: 'with --fleet: the branch the watchers follow' },
    file: {
      type: 'string',
      short: 'f',
      default: 'mailstate.yaml',
      value: 'FILE',
      help: 'with --fleet: the desired-state file, relative to the repository (its servers: are listed)',
    },
    remote: { type: 'string', value: 'NAME', help: "with --fleet: fetch the servers' notes from this remote first" },
    format: { type: 'string', default: 'text', value: 'FORMAT', help: 'with --fleet: text or json' },
  },
  exitCodes: [
    '0  the branch tip is applied and the live state matches it',
    '1  error: no watch state, an unreadable repository or server',
    '2  the live state drifted from the applied commit',
    '3  the branch tip is not applied (refused, invalid, failed, or not reached yet); with --fleet:\n   on some declared server',
  ],
} as const satisfies CommandSpec;

/**
 * `mailstate status`: what the watcher last applied, when and how it went, and whether the live
 * state has drifted since (a plan of that commit's desired state against the server).
 */
export async function statusCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(STATUS, argv);
  if (values.fleet) {
    if (values.repo === undefined)
      throw new ExitError('mailstate status --fleet needs --repo DIR (a clone of the repository the watchers follow)');
    if (!isPlainGitName(values.branch))
      throw new ExitError(`mailstate status: "${values.branch}" is not a branch name`);
    if (values.remote !== undefined && !isPlainGitName(values.remote))
      throw new ExitError(`mailstate status: "${values.remote}" is not a remote name`);
    return statusFleetCommand(io, values, resolve(io.cwd, values.repo), EXIT_NOT_APPLIED);
  }
  const path = watchStatePath(resolve(io.cwd, values['vpopmail-home']));
  let state: ReturnType<typeof readWatchState>;
  try {
    state = readWatchState(path);
  } catch (error) {
    throw new ExitError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (!state)
    throw new ExitError(
      `no watch state at ${path}: "mailstate watch" has not reconciled anything yet (or vpopmail lives elsewhere: pass --vpopmail-home)`,
    );

  const out: string[] = [`Watching:     ${state.repo}, branch ${state.branch}, file ${state.file} (on ${state.host})`];
  out.push(`Last applied: ${state.lastApplied ? describeRecord(state.lastApplied) : 'nothing yet'}`);
  if (state.lastAttempt) out.push(`Last attempt: ${describeRecord(state.lastAttempt)}`);
  if (state.lastCheck)
    out.push(
      `Last check:   ${state.lastCheck.time} (${state.lastCheck.outcome}, ${state.lastCheck.trigger}, ${shortCommit(state.lastCheck.commit)})`,
    );

  const report = stderrReport(io);
  let tip: string | undefined;
  let plan: Plan | undefined;
  try {
    const repo = await openRepo(values.repo === undefined ? state.repo : resolve(io.cwd, values.repo));
    tip = await resolveCommit(repo, `refs/heads/${state.branch}`);
    if (state.lastApplied) {
      const overrides = {
        vpopmailHome: state.vpopmailHome,
        qmailHome: values['qmail-home'] === undefined ? state.qmailHome : resolve(io.cwd, values['qmail-home']),
        server: serverChoice(io, values.server),
      };
      plan = orExit(
        await driftFromCommit(
          { repo, commit: state.lastApplied.commit, file: state.file, overrides, env: io.env, note: stderrNote(io) },
          report,
        ),
      );
    }
  } catch (error) {
    if (error instanceof RepoError) throw new ExitError(`${error.message}; drift is unknown.`);
    throw error;
  }

  const tipApplied = tip !== undefined && tip === state.lastApplied?.commit;
  out.push(
    `Branch tip:   ${tip === undefined ? `(no branch ${state.branch})` : `${shortCommit(tip)}${tipApplied ? ' (applied)' : ' (not applied)'}`}`,
  );
  if (!plan) {
    out.push('Drift:        unknown (nothing applied yet)');
  } else if (plan.changes.length === 0) {
    out.push(`Drift:        none: the live state matches ${shortCommit(state.lastApplied!.commit)}`);
  } else {
    out.push(
      `Drift:        the live state differs from ${shortCommit(state.lastApplied!.commit)}; converging again would do:`,
      '',
      ...renderChangeBody(plan),
      '',
      summaryLine(plan.summary),
    );
  }
  io.stdout(`${out.join('\n')}\n`);
  if (plan && plan.changes.length > 0) return EXIT.changes;
  return tipApplied ? EXIT.ok : EXIT_NOT_APPLIED;
}
