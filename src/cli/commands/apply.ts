import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { acquireApplyLock, LockBusyError } from '../../apply/apply-lock.js';
import { applyPlan } from '../../apply/apply-plan.js';
import { chooseDriver, type DriverName } from '../../apply/choose-driver.js';
import { vpopmailOwner } from '../../apply/domain-files.js';
import { ApplyStepError, newCounters, type ApplyEnvironment } from '../../apply/types.js';
import type { Change } from '../../model/change.js';
import { renderJson } from '../../render/json.js';
import { NO_CHANGES, renderText, renderThresholds } from '../../render/text.js';
import { describeChange } from '../../render/describe.js';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.js';
import { EXIT, ExitError, type CliIo } from '../io.js';
import { planFromOptions, type StateOptions } from '../pipeline.js';
import { faultHookFromEnv } from '../../apply/fault.js';

const DRIVERS: readonly DriverName[] = ['files', 'vpopmail', 'auto'];

/** Plans compare by their JSON rendering: it holds every change and nothing secret. */
function planFingerprint(json: string): string {
  const { warnings: _warnings, ...rest } = JSON.parse(json) as Record<string, unknown>;
  return JSON.stringify(rest);
}

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

function describeDone(change: Change): string {
  const described = describeChange(change);
  return `${'domain' in change ? `${change.domain}: ` : ''}${described.symbol} ${described.headline}`;
}

export async function applyCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('apply', argv, {
    ...COMMON_OPTIONS,
    driver: { type: 'string', default: 'auto' },
    yes: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
  });
  const driverName = values.driver as DriverName;
  if (!DRIVERS.includes(driverName)) throw new ExitError(`mailstate apply: unknown --driver "${values.driver}" (files, vpopmail or auto)`);
  if (positionals.length > 1) throw new ExitError('mailstate apply: at most one saved plan (PLAN.json)');
  const options: StateOptions = { file: values.file, vpopmailHome: values['vpopmail-home'], qmailHome: values['qmail-home'] };

  const first = await planFromOptions(io, options);
  const savedPlan = positionals[0];
  if (savedPlan !== undefined) {
    const saved = readFileSync(resolve(io.cwd, savedPlan), 'utf8');
    if (planFingerprint(saved) !== planFingerprint(renderJson(first.plan))) {
      throw new ExitError(`${savedPlan} no longer matches what mailstate would do now (the live state or ${values.file} changed): run plan again; nothing was applied.`);
    }
  }
  if (first.plan.changes.length === 0) {
    io.stdout(`${NO_CHANGES}\n`);
    return EXIT.ok;
  }
  if (first.plan.thresholdBreaches.length > 0 && !values.force) {
    for (const line of renderThresholds(first.plan)) io.stderr(`${line}\n`);
    throw new ExitError('the plan is over policy.maxChangePercent; re-run with --force if it is intended. Nothing was applied.');
  }
  if (!values.yes) {
    if (!io.isTty) throw new ExitError('apply changes a live mail server: pass --yes when not running on a terminal. Nothing was applied.');
    io.stdout(renderText(first.plan));
    if (!(await confirm(io))) throw new ExitError('not confirmed; nothing was applied.');
  }

  let release: () => void;
  try {
    release = acquireApplyLock(join(first.desired.vpopmailHome, 'etc', 'mailstate.lock'));
  } catch (error) {
    if (error instanceof LockBusyError) throw new ExitError(`${error.message}; nothing was applied.`);
    throw error;
  }
  try {
    // Under the lock, the live state is read again: what is applied is what was just checked.
    const { live, plan } = await planFromOptions(io, options);
    if (planFingerprint(renderJson(plan)) !== planFingerprint(renderJson(first.plan))) {
      throw new ExitError('the live state changed while waiting for confirmation or the lock; run apply again. Nothing was applied.');
    }
    const driver = await chooseDriver(driverName, live);
    const counters = newCounters();
    const done: Change[] = [];
    const root = process.getuid?.() === 0;
    const env: ApplyEnvironment = {
      vpopmailHome: live.vpopmailHome,
      qmailHome: live.qmailHome,
      live,
      now: new Date(),
      ownerOf: (domain) => {
        if (!root) return undefined;
        const known = live.domains.get(domain);
        return known ? { uid: known.uid, gid: known.gid } : vpopmailOwner(live);
      },
      counters,
      done: (change) => done.push(change),
      fault: faultHookFromEnv(io.env),
      addedUserDirs: new Map(),
      addedDomainDirs: new Map(),
    };
    try {
      await applyPlan(plan, driver, env);
    } catch (error) {
      if (!(error instanceof ApplyStepError)) throw error;
      io.stderr(`Apply failed: ${error.message}\n`);
      io.stderr(done.length === 0 ? 'Nothing had been applied before it.\n' : `Already applied (${done.length}):\n${done.map((c) => `  ${describeDone(c)}\n`).join('')}`);
      io.stderr('Run "mailstate plan" to see what is left; "mailstate apply" converges from here.\n');
      return EXIT.error;
    }
    const cdbDomains = [...counters.cdbBuilds.keys()];
    const { add, change, delete: deleted } = plan.summary;
    io.stdout(
      `Apply complete (${driver.name} driver): ${add} added, ${change} changed, ${deleted} deleted; ` +
        `vpasswd.cdb rebuilt for ${cdbDomains.length === 0 ? 'no domain' : cdbDomains.join(', ')}; ` +
        `tcp.smtp.cdb ${counters.tcpRulesBuilds > 0 ? 'rebuilt' : 'untouched'}.\n`,
    );
    for (const target of counters.archived) io.stdout(`Archived: ${target}\n`);
    return EXIT.ok;
  } finally {
    release();
  }
}
