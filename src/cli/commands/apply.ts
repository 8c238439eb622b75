import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { DriverName } from '../../apply/choose-driver.js';
import type { Change } from '../../model/change.js';
import { describeChange } from '../../render/describe.js';
import { normaliseDigest } from '../../render/digest.js';
import { NO_CHANGES, renderText } from '../../render/text.js';
import { runApply } from '../apply-run.js';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.js';
import { EXIT, ExitError, type CliIo } from '../io.js';
import { loadDesiredOrExit, resolveSecretsOrExit, stderrReport } from '../pipeline.js';

const DRIVERS: readonly DriverName[] = ['files', 'vpopmail', 'auto'];

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

export function describeDone(change: Change): string {
  const described = describeChange(change);
  return `${'domain' in change ? `${change.domain}: ` : ''}${described.symbol} ${described.headline}`;
}

export async function applyCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('apply', argv, {
    ...COMMON_OPTIONS,
    driver: { type: 'string', default: 'auto' },
    yes: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
    'expect-digest': { type: 'string' },
  });
  const driverName = values.driver as DriverName;
  if (!DRIVERS.includes(driverName)) throw new ExitError(`mailstate apply: unknown --driver "${values.driver}" (files, vpopmail or auto)`);
  if (positionals.length > 1) throw new ExitError('mailstate apply: at most one saved plan (PLAN.json)');
  const expectDigest = values['expect-digest'] === undefined ? undefined : normaliseDigest(values['expect-digest']);
  if (values['expect-digest'] !== undefined && expectDigest === undefined) {
    throw new ExitError(`mailstate apply: --expect-digest "${values['expect-digest']}" is not a sha256 digest (64 hex digits, optionally after "sha256:")`);
  }
  const savedPlan = positionals[0];
  const report = stderrReport(io);

  const run = await runApply({
    loadDesired: async () =>
      resolveSecretsOrExit(await loadDesiredOrExit(io, { file: values.file, vpopmailHome: values['vpopmail-home'], qmailHome: values['qmail-home'] }, report), io.env, report),
    driver: driverName,
    force: values.force,
    ...(expectDigest ? { expectDigest } : {}),
    ...(savedPlan !== undefined ? { savedPlan: { name: savedPlan, json: readFileSync(resolve(io.cwd, savedPlan), 'utf8') } } : {}),
    ...(values.yes
      ? {}
      : {
          confirm: async (plan) => {
            if (!io.isTty) throw new ExitError('apply changes a live mail server: pass --yes when not running on a terminal. Nothing was applied.');
            io.stdout(renderText(plan));
            return confirm(io);
          },
        }),
    note: (line) => io.stderr(`${line}\n`),
    report,
    env: io.env,
    label: values.file,
  });

  switch (run.outcome) {
    case 'no-changes':
      io.stdout(`${NO_CHANGES}\n`);
      return EXIT.ok;
    case 'failed':
      io.stderr(`Apply failed: ${run.error.message}\n`);
      io.stderr(run.done.length === 0 ? 'Nothing had been applied before it.\n' : `Already applied (${run.done.length}):\n${run.done.map((c) => `  ${describeDone(c)}\n`).join('')}`);
      io.stderr('Run "mailstate plan" to see what is left; "mailstate apply" converges from here.\n');
      return EXIT.error;
    case 'applied': {
      const cdbDomains = [...run.counters.cdbBuilds.keys()];
      const { add, change, delete: deleted } = run.plan.summary;
      io.stdout(
        `Apply complete (${run.driver} driver): ${add} added, ${change} changed, ${deleted} deleted; ` +
          `vpasswd.cdb rebuilt for ${cdbDomains.length === 0 ? 'no domain' : cdbDomains.join(', ')}; ` +
          `tcp.smtp.cdb ${run.counters.tcpRulesBuilds > 0 ? 'rebuilt' : 'untouched'}.\n`,
      );
      for (const target of run.counters.archived) io.stdout(`Archived: ${target}\n`);
      return EXIT.ok;
    }
  }
}
