import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { DRIVER_NAMES, type DriverName } from '../../apply/choose-driver.js';
import type { Change } from '../../model/change.js';
import { ioReason } from '../../desired/io-reason.js';
import { describeChange } from '../../render/describe.js';
import { normaliseDigest } from '../../render/digest.js';
import { noChanges, renderText } from '../../render/text.js';
import { OUTPUT_OPTIONS, textOptions } from '../output.js';
import {
  COMMON_OPTIONS,
  type CommandSpec,
  DOMAIN_OPTION,
  PEER_SNAPSHOTS_OPTION,
  parseCommandArgs,
  SERVER_OPTION,
} from '../args.js';
import { EXIT, ExitError, type CliIo } from '../io.js';
import { loadDesiredWithSecrets, applyWithLock } from '../../reconcile/index.js';
import { desiredSourceOf, peerOptions, stderrReport } from '../pipeline.js';

async function confirm(io: CliIo): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question('\nApply these changes? Only "yes" is accepted: ');
    return answer.trim() === 'yes';
  } finally {
    rl.close();
    io.stdout('');
  }
}

/** The text of a saved plan (`plan --out`), refused unless it is a regular file holding a plan's JSON. */
function readSavedPlan(path: string, shown: string): string {
  const notAPlan = (why: string) =>
    new ExitError(`${shown} is not a saved plan (mailstate plan --out): ${why}; nothing was applied.`);
  let text: string;
  try {
    const info = statSync(path);
    if (info.isDirectory()) throw notAPlan('it is a directory');
    if (!info.isFile()) throw notAPlan('it is not a regular file');
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ExitError) throw error;
    throw new ExitError(`cannot read ${shown}: ${ioReason(error)}; nothing was applied.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw notAPlan('it is not JSON');
  }
  const plan = parsed as { formatVersion?: unknown; changes?: unknown } | null;
  if (
    typeof plan !== 'object' ||
    plan === null ||
    Array.isArray(plan) ||
    typeof plan.formatVersion !== 'number' ||
    !Array.isArray(plan.changes)
  ) {
    throw notAPlan('it is JSON, but not a plan');
  }
  return text;
}

/**
 * The --domain patterns of this apply. A saved partial plan carries its own (it was made with
 * them); giving others would apply a different plan than the one reviewed.
 */
function applyTargets(given: string[] | undefined, savedPlan: string | undefined, savedJson: string | undefined) {
  if (savedJson === undefined) return given;
  const saved = (JSON.parse(savedJson) as { partial?: { patterns?: unknown } }).partial?.patterns;
  const recorded = Array.isArray(saved) ? saved.map(String) : undefined;
  if (given !== undefined && JSON.stringify(given) !== JSON.stringify(recorded ?? []))
    throw new ExitError(
      `${savedPlan} was made ${recorded ? `with --domain ${recorded.join(' --domain ')}` : 'for every declared domain'}; apply it without --domain (it applies what it was made for). Nothing was applied.`,
    );
  return recorded;
}

export function describeDone(change: Change): string {
  const described = describeChange(change);
  return `${'domain' in change ? `${change.domain}: ` : ''}${described.symbol} ${described.headline}`;
}

export const APPLY = {
  name: 'apply',
  usage: '[options] [PLAN.json]',
  summary:
    'Converge the server to the desired state: plan, show the plan and ask (unless --yes or a saved\nPLAN.json is given), then apply only the changes, under a lock, re-planning under the lock first.\nDeleted users are archived, never removed. A second apply plans nothing and writes nothing.',
  options: {
    ...COMMON_OPTIONS,
    driver: {
      type: 'string',
      default: 'auto',
      value: 'NAME',
      help: "files (write vpopmail's cdb-backend files), vpopmail (run ~vpopmail/bin's programs) or\nauto: the files driver where domains keep vpasswd files, vpopmail's programs otherwise (SQL)",
    },
    yes: { type: 'boolean', default: false, help: 'apply without asking (needed when not on a terminal)' },
    force: { type: 'boolean', default: false, help: 'apply even when the plan is over a policy threshold' },
    'expect-digest': {
      type: 'string',
      value: 'SHA256',
      help: 'refuse unless the plan has this sha256 digest (from a reviewed plan)',
    },
    domain: DOMAIN_OPTION,
    server: SERVER_OPTION,
    'allow-moves': {
      type: 'boolean',
      default: false,
      help: 'apply a plan that moves users between the servers of a fleet (move-in, move-out)',
    },
    'peer-snapshots': PEER_SNAPSHOTS_OPTION,
    ...OUTPUT_OPTIONS,
  },
  positional: { max: 1, what: 'at most one saved plan, from plan --out' },
  exitCodes: [
    '0  applied, or nothing to do',
    '1  error: invalid input, unreadable live state, a refused plan (threshold, digest, saved plan\n   no longer matching, lock held) or a failed apply (it names the step and what was applied)',
    '130  stopped by SIGINT/SIGTERM after the step in progress (what was applied is listed)',
  ],
} as const satisfies CommandSpec;

export async function applyCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(APPLY, argv);
  const driverName = values.driver as DriverName;
  if (!DRIVER_NAMES.includes(driverName))
    throw new ExitError(`mailstate apply: unknown --driver "${values.driver}" (files, vpopmail or auto)`);
  const expectDigest = values['expect-digest'] === undefined ? undefined : normaliseDigest(values['expect-digest']);
  if (values['expect-digest'] !== undefined && expectDigest === undefined) {
    throw new ExitError(
      `mailstate apply: --expect-digest "${values['expect-digest']}" is not a sha256 digest (64 hex digits, optionally after "sha256:")`,
    );
  }
  const savedPlan = positionals[0];
  // Read and checked before anything else: a YAML file or a directory given as PLAN is a mistake to say so, not a bug.
  const savedJson = savedPlan === undefined ? undefined : readSavedPlan(resolve(io.cwd, savedPlan), savedPlan);
  const targets = applyTargets(values.domain, savedPlan, savedJson);
  const label = values.file;
  const text = textOptions(io, values, label);
  const report = stderrReport(io);
  // SIGINT/SIGTERM during an apply: finish the step in progress, then stop and say what was done.
  let signalled: string | undefined;
  const removeStopHandler = io.onStopSignal?.((signal) => {
    if (signalled !== undefined) process.exit(130);
    signalled = signal;
  });

  const run = await applyWithLock({
    loadDesired: () =>
      loadDesiredWithSecrets(desiredSourceOf(io, values, targets), io.cwd, io.env, report, 'nothing was applied'),
    driver: driverName,
    force: values.force,
    allowMoves: values['allow-moves'],
    ...peerOptions(io, values['peer-snapshots']),
    ...(expectDigest ? { expectDigest } : {}),
    ...(savedPlan !== undefined ? { savedPlan: { name: savedPlan, json: savedJson! } } : {}),
    // A saved plan was reviewed when it was saved, and apply refuses it unless it is still exactly
    // what would be done: as terraform apply PLANFILE, it is applied without asking.
    ...(values.yes || savedPlan !== undefined
      ? {}
      : {
          confirm: async (plan) => {
            if (!io.isTty)
              throw new ExitError(
                'apply changes a live mail server: pass --yes when not running on a terminal. Nothing was applied.',
              );
            io.stdout(renderText(plan, text));
            return confirm(io);
          },
        }),
    note: (line) => io.stderr(`${line}\n`),
    report,
    env: io.env,
    label,
    stopRequested: () => signalled,
  }).finally(() => removeStopHandler?.());

  switch (run.outcome) {
    case 'refused':
      throw new ExitError(run.refusal.reason, EXIT.error, run.refusal.kind);
    case 'no-changes':
      io.stdout(`${noChanges(label)}\n`);
      return EXIT.ok;
    case 'failed':
      io.stderr(`Apply failed: ${run.error.message}\n`);
      io.stderr(
        run.done.length === 0
          ? 'No change had been completed before it.\n'
          : `Already applied (${run.done.length}):\n${run.done.map((c) => `  ${describeDone(c)}\n`).join('')}`,
      );
      // A batch that failed midway may already have moved mailboxes: they are in the archive, and said so.
      if (run.archived.length > 0)
        io.stderr(
          `Moved to the archive (${run.archived.length}):\n${run.archived.map((path) => `  ${path}\n`).join('')}`,
        );
      io.stderr('Run "mailstate plan" to see what is left; "mailstate apply" converges from here.\n');
      return signalled === undefined ? EXIT.error : 130;
    case 'applied': {
      const cdbDomains = [...run.counters.cdbBuilds.keys()];
      const { add, change, delete: deleted, move } = run.plan.summary;
      io.stdout(
        `Apply complete (${run.driver} driver): ${add} added, ${change} changed, ${deleted} deleted${move > 0 ? `, ${move} moved` : ''}; ` +
          `vpasswd.cdb rebuilt for ${cdbDomains.length === 0 ? 'no domain' : cdbDomains.join(', ')}; ` +
          `tcp.smtp.cdb ${run.counters.tcpRulesBuilds > 0 ? 'rebuilt' : 'untouched'}.\n`,
      );
      for (const target of run.counters.archived) io.stdout(`Archived: ${target}\n`);
      return EXIT.ok;
    }
  }
}
