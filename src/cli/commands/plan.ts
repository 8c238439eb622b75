import { resolve } from 'node:path';
import { isPlanFormat } from '../../render/formats.js';
import { renderText } from '../../render/text.js';
import { OUTPUT_OPTIONS, textOptions } from '../output.js';
import { renderJson } from '../../render/json.js';
import { renderMarkdown } from '../../render/markdown.js';
import {
  COMMON_OPTIONS,
  type CommandSpec,
  DOMAIN_OPTION,
  PEER_SNAPSHOTS_OPTION,
  parseCommandArgs,
  SERVER_OPTION,
} from '../args.js';
import { checkOutputTarget, EXIT, ExitError, writeOutputFile, type CliIo } from '../io.js';
import { balanceReport } from '../../fleet/report.js';
import { planAgainstBase, planAgainstSnapshot, planFleetFromSnapshots, type PlanRun } from '../../reconcile/index.js';
import { renderFleetJson, renderFleetMarkdown, renderFleetText, type FleetPlanView } from '../../render/fleet-plan.js';
import { desiredSourceOf, orExit, peerOptions, planFromOptions, stderrNote, stderrReport } from '../pipeline.js';
import { checkDiffFlags, DIFF_OPTION, exitIfDryRunStopped, fileDiffsFor, fileDiffsText } from '../plan-diff.js';

export const PLAN = {
  name: 'plan',
  usage: '[options]',
  summary:
    'Print what apply would change: the desired state (-f) against the live server, a snapshot\n(--live, for CI without a server) or the YAML committed at a git ref (--base). Changes nothing.',
  options: {
    ...COMMON_OPTIONS,
    format: {
      type: 'string',
      default: 'text',
      value: 'FORMAT',
      help: 'text (default), markdown (a pull-request comment) or json (for machines)',
    },
    'detailed-exitcode': { type: 'boolean', default: false, help: 'exit 2 when there are changes (as terraform plan)' },
    out: {
      type: 'string',
      value: 'PLAN.json',
      help: 'also save the JSON plan here, for apply PLAN.json (a regular file, written atomically)',
    },
    live: {
      type: 'string',
      value: 'SNAPSHOT.json',
      help: 'plan against a snapshot (mailstate snapshot) instead of the server; password hashes\nare compared with the key from MAILSTATE_KEY (hex) or --key-file',
    },
    'key-file': { type: 'string', value: 'FILE', help: 'with --live: the snapshot key (~vpopmail/etc/mailstate.key)' },
    base: {
      type: 'string',
      value: 'REF',
      help: 'what the working tree changes against the YAML committed at REF (e.g. origin/main);\nreads no server; passwords compare by reference',
    },
    domain: DOMAIN_OPTION,
    server: SERVER_OPTION,
    fleet: {
      type: 'boolean',
      default: false,
      help: 'with servers: every server at once, from their snapshots in --live-dir: one plan per\nserver, the distribution of users and the moves across servers (for CI)',
    },
    'live-dir': {
      type: 'string',
      value: 'DIR',
      help: 'with --fleet: DIR/<server>.json, from mailstate snapshot on each server',
    },
    'key-dir': {
      type: 'string',
      value: 'DIR',
      help: "with --fleet: DIR/<server>.key, each server's snapshot key (passwords are not compared without)",
    },
    'peer-snapshots': PEER_SNAPSHOTS_OPTION,
    diff: DIFF_OPTION,
    ...OUTPUT_OPTIONS,
  },
  exitCodes: [
    '0  no changes, or changes without --detailed-exitcode',
    '1  error: invalid input, unreadable live state, or a plan that cannot be made safely',
    '2  --detailed-exitcode: there are changes',
  ],
} as const satisfies CommandSpec;

type PlanValues = ReturnType<typeof parseCommandArgs<typeof PLAN.options>>['values'];

/** `plan --fleet --live-dir DIR`: every server's plan from its snapshot, the distribution, the moves. */
async function planFleetCommand(io: CliIo, values: PlanValues, format: 'text' | 'markdown' | 'json'): Promise<number> {
  if (values['live-dir'] === undefined)
    throw new ExitError('mailstate plan: --fleet plans from snapshots: give --live-dir DIR (DIR/<server>.json)');
  for (const flag of ['live', 'base', 'server', 'out', 'key-file', 'peer-snapshots'] as const)
    if (values[flag] !== undefined) throw new ExitError(`mailstate plan: --${flag} does not go with --fleet`);
  if (values.diff) throw new ExitError('mailstate plan: --diff does not go with --fleet');
  // Every server's share is cut from the whole: --server is refused above.
  const source = desiredSourceOf(io, values, values.domain);
  const context = { cwd: io.cwd, env: io.env, note: stderrNote(io) };
  const run = orExit(
    await planFleetFromSnapshots(context, source, values['live-dir'], values['key-dir'], stderrReport(io)),
  );
  const view: FleetPlanView = {
    servers: run.servers,
    balance: balanceReport(run.desired),
  };
  if (format === 'json') io.stdout(renderFleetJson(view));
  else if (format === 'markdown') io.stdout(renderFleetMarkdown(view, values.file));
  else io.stdout(renderFleetText(view, textOptions(io, values, values.file)));
  const changes = view.servers.some(({ plan }) => plan.changes.length > 0);
  return values['detailed-exitcode'] && changes ? EXIT.changes : EXIT.ok;
}

/** The footer of a server plan: which machine, which trees, when (the review must know what it saw). */
function serverPlanned(io: CliIo, desired: { vpopmailHome: string; qmailHome: string }): string {
  const host = io.hostname ?? 'this host';
  return `the server on ${host} (${desired.vpopmailHome}, ${desired.qmailHome}) at ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`;
}

export async function planCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(PLAN, argv);
  const format = values.format;
  if (!isPlanFormat(format))
    throw new ExitError(`mailstate plan: unknown --format "${format}" (text, markdown or json)`);
  if (values.live !== undefined && values.base !== undefined)
    throw new ExitError('mailstate plan: --live and --base are alternatives: give one');
  if (values['key-file'] !== undefined && values.live === undefined)
    throw new ExitError('mailstate plan: --key-file only goes with --live SNAPSHOT');
  checkDiffFlags(values);
  if (values.fleet) return planFleetCommand(io, values, format);
  for (const flag of ['live-dir', 'key-dir'] as const)
    if (values[flag] !== undefined) throw new ExitError(`mailstate plan: --${flag} only goes with --fleet`);
  if (values.out === '-')
    throw new ExitError(
      'mailstate plan: --out takes a file name; for the JSON plan on standard output, use --format json',
    );
  // Checked before planning, so a refused --out prints and writes nothing.
  const out = values.out === undefined ? undefined : resolve(io.cwd, values.out);
  if (out !== undefined) checkOutputTarget(out, values.out!);
  const options = desiredSourceOf(io, values, values.domain);
  const report = stderrReport(io);

  let run: PlanRun & { against?: string };
  const context = { cwd: io.cwd, env: io.env, note: stderrNote(io) };
  if (values.live !== undefined)
    run = orExit(await planAgainstSnapshot(context, options, values.live, values['key-file'], report));
  else if (values.base !== undefined) run = orExit(await planAgainstBase(context, options, values.base, report));
  else {
    const server = await planFromOptions(io, options, 'nothing was planned', peerOptions(io, values['peer-snapshots']));
    run = { ...server, against: serverPlanned(io, server.desired) };
  }

  const plan = run.plan;
  const fileDiffs = await fileDiffsFor(values.diff, run);
  // The file first: if it cannot be written, the run fails without having printed a plan.
  if (out !== undefined) writeOutputFile(out, values.out!, renderJson(plan));
  const label = values.file;
  if (format === 'json') io.stdout(renderJson(plan, fileDiffs));
  else if (format === 'markdown') io.stdout(renderMarkdown(plan, { label, against: run.against, fileDiffs }));
  else {
    const text = textOptions(io, values, label);
    io.stdout(renderText(plan, text) + fileDiffsText(fileDiffs, text.style));
  }
  exitIfDryRunStopped(fileDiffs);
  return values['detailed-exitcode'] && plan.changes.length > 0 ? EXIT.changes : EXIT.ok;
}
