import { join } from 'node:path';
import { acquireApplyLock, LockBusyError } from '../io/apply-lock.js';
import { applyPlan } from '../apply/apply-plan.js';
import { chooseDriver, type DriverName } from '../apply/choose-driver.js';
import { domainOwner } from '../apply/domain-files.js';
import { faultHookFromEnv } from '../apply/fault.js';
import { serverIo } from '../io/node-io.js';
import { ApplyStepError, newCounters, type ApplyCounters, type ApplyEnvironment } from '../apply/types.js';
import type { Change, Plan } from '../model/change.js';
import { formatDiagnostic } from '../model/diagnostic.js';
import type { DesiredState } from '../model/state.js';
import { planDigest } from '../render/digest.js';
import { renderJson } from '../render/json.js';
import { renderExemptions, renderThresholds } from '../render/thresholds.js';
import type { PeerEvidence } from '../plan/moves.js';
import type { Report } from './desired.js';
import { planAgainstServer } from './plan.js';
import { Refused, staged, unwrap, type Refusal, type Staged } from './refusal.js';
import { overThreshold, thresholdCause, thresholdRefusal } from './threshold.js';

export interface ApplyOptions {
  /** Loads, validates and resolves the desired state; called once, and its result reused under the lock. */
  loadDesired: () => Promise<Staged<DesiredState>>;
  driver: DriverName;
  /** Apply even when the plan is over a safety limit (policy.maxChangePercent, policy.maxChanges, the loopback relay rule). */
  force: boolean;
  /** Refuse unless the plan has this digest (lowercase hex), checked before asking and again under the lock. */
  expectDigest?: string;
  /** Refuse unless the plan is still this saved one (`plan --out`): its name and JSON text. */
  savedPlan?: { name: string; json: string };
  /** Asked once the first plan has changes; omitted means apply without asking. */
  confirm?: (plan: Plan) => Promise<boolean>;
  /** Threshold warnings and small-set exemptions, one line each (no trailing newline). */
  note: (line: string) => void;
  report: Report;
  env: Record<string, string | undefined>;
  /** What the desired state is called in messages ("mailstate.yaml", "mailstate.yaml at 1a2b3c"). */
  label: string;
  isRoot?: boolean;
  /** Asked between steps: a reason (a signal's name) stops the apply there, reported as a failure. */
  stopRequested?: () => string | undefined;
  /** Apply a plan that moves users between the servers of a fleet (move-in, move-out). */
  allowMoves?: boolean;
  /** What is known of the other servers of a fleet (their snapshots): a user moves out only to one holding its mailbox. */
  peers?: PeerEvidence;
  /** `mailstate release`: archive the old mailboxes of these moved-out users (`user@domain`), and do nothing else. */
  release?: ReadonlySet<string>;
}

export type ApplyRun =
  | { outcome: 'no-changes'; plan: Plan; digest: string }
  | {
      outcome: 'applied';
      plan: Plan;
      digest: string;
      driver: 'files' | 'vpopmail';
      counters: ApplyCounters;
      done: Change[];
    }
  /** `archived`: mailboxes and files moved before the failure, by a step that did not finish too. */
  | { outcome: 'failed'; plan: Plan; digest: string; error: ApplyStepError; done: Change[]; archived: string[] }
  /** Stopped before writing anything. */
  | { outcome: 'refused'; refusal: Refusal };

/** Plans compare by their JSON rendering without the warnings: it holds every change and nothing secret. */
function planFingerprint(json: string): string {
  const { warnings: _warnings, ...rest } = JSON.parse(json) as Record<string, unknown>;
  return JSON.stringify(rest);
}

function checkDigest(plan: Plan, expected: string | undefined, label: string): void {
  if (expected === undefined) return;
  const actual = planDigest(plan);
  if (actual !== expected) {
    throw new Refused(
      `the plan's digest is ${actual}, not the reviewed ${expected}: the live state or ${label} changed since the review. Run plan again; nothing was applied.`,
    );
  }
}

/**
 * A release archives the old mailboxes it names and nothing else: a user that is not moved out
 * here is refused, and so is a server with other changes pending (apply converges it first).
 */
function checkRelease(plan: Plan, release: ReadonlySet<string>, label: string): void {
  const released = new Set(
    plan.changes.flatMap((c) =>
      c.kind === 'delete-user' && release.has(`${c.name}@${c.domain}`) ? [`${c.name}@${c.domain}`] : [],
    ),
  );
  const missing = [...release].filter((address) => !released.has(address));
  if (missing.length > 0) {
    // A release killed after its vpasswd rewrite leaves only the cdb rebuild: say what finishes it.
    const rebuilding = new Set(plan.changes.flatMap((c) => (c.kind === 'rebuild-vpasswd-cdb' ? [c.domain] : [])));
    const halfDone = missing.some((address) => rebuilding.has(address.slice(address.lastIndexOf('@') + 1)));
    throw new Refused(
      `${missing.join(', ')} ${missing.length === 1 ? 'is not a user' : 'are not users'} that moved out of this server (a forward to its new server here, its old mailbox kept) by ${label}; nothing was released.${halfDone ? ' If a release of it stopped half-way, its old mailbox is already in the archive and only the rebuild of vpasswd.cdb is left: mailstate apply does it.' : ''}`,
    );
  }
  const other =
    plan.changes.filter((c) => c.kind !== 'rebuild-vpasswd-cdb' && c.kind !== 'delete-user').length +
    plan.changes.filter((c) => c.kind === 'delete-user' && !release.has(`${c.name}@${c.domain}`)).length;
  if (other > 0)
    throw new Refused(
      `this server has ${other} other change${other === 1 ? '' : 's'} pending (mailstate plan shows them): apply them first, then release; nothing was released.`,
    );
}

/** Passes on each diagnostic once: the plan made again under the lock repeats the first one's. */
function reportOnce(report: Report): Report {
  const seen = new Set<string>();
  return (d) => {
    const key = formatDiagnostic(d);
    if (seen.has(key)) return;
    seen.add(key);
    report(d);
  };
}

/**
 * The apply pipeline, shared by `mailstate apply` and the watcher: validate → plan → safety checks
 * (saved plan, digest, threshold, confirmation) → take the apply lock → read the live state again
 * and re-plan under it, refusing if anything moved → execute. A refusal has written nothing; a
 * failed step comes back with what was applied before it.
 */
export async function applyWithLock(options: ApplyOptions): Promise<ApplyRun> {
  const run = await staged(() => lockedApply(options));
  return run.ok ? run.value : { outcome: 'refused', refusal: run.refusal };
}

async function lockedApply(options: ApplyOptions): Promise<Exclude<ApplyRun, { outcome: 'refused' }>> {
  const desired = unwrap(await options.loadDesired());
  const report = reportOnce(options.report);
  const planOptions = {
    ...(options.peers ? { peers: options.peers } : {}),
    ...(options.release ? { release: options.release } : {}),
  };
  const first = unwrap(await planAgainstServer(desired, report, planOptions));
  if (options.savedPlan && planFingerprint(options.savedPlan.json) !== planFingerprint(renderJson(first.plan))) {
    throw new Refused(
      `${options.savedPlan.name} no longer matches what mailstate would do now (the live state or ${options.label} changed): run plan again; nothing was applied.`,
    );
  }
  checkDigest(first.plan, options.expectDigest, options.label);
  if (options.release) checkRelease(first.plan, options.release, options.label);
  if (first.plan.changes.length === 0)
    return { outcome: 'no-changes', plan: first.plan, digest: planDigest(first.plan) };
  if (first.plan.summary.move > 0 && !options.allowMoves) {
    const moves = first.plan.summary.move;
    throw new Refused(
      `the plan moves ${moves === 1 ? 'a user' : `${moves} users`} between servers (move-in/move-out), which apply does only with --allow-moves; nothing was applied.`,
      'refused',
    );
  }
  if (overThreshold(first.plan) && !options.force) {
    for (const line of renderThresholds(first.plan)) options.note(line);
    const refusal = thresholdRefusal(first.plan);
    throw new Refused(
      `${thresholdCause(first.plan)}; re-run with --force if it is intended. Nothing was applied.`,
      'refused',
      refusal,
    );
  }
  // A plan shown for confirmation says it itself; otherwise a small domain's large change would pass without a word.
  if (!options.confirm) for (const line of renderExemptions(first.plan)) options.note(line);
  if (options.confirm && !(await options.confirm(first.plan))) throw new Refused('not confirmed; nothing was applied.');

  let release: () => void;
  try {
    release = await acquireApplyLock(join(desired.vpopmailHome, 'etc', 'mailstate.lock'));
  } catch (error) {
    if (error instanceof LockBusyError) throw new Refused(`${error.message}; nothing was applied.`, 'busy');
    throw error;
  }
  try {
    // Under the lock, the live state is read again: what is applied is what was just checked.
    const { live, plan } = unwrap(await planAgainstServer(desired, report, planOptions));
    if (planFingerprint(renderJson(plan)) !== planFingerprint(renderJson(first.plan))) {
      throw new Refused(
        'the live state changed while waiting for confirmation or the lock; run apply again. Nothing was applied.',
      );
    }
    checkDigest(plan, options.expectDigest, options.label);
    const io = serverIo({
      vpopmailHome: live.vpopmailHome,
      domainBases: desired.domainBases,
      isRoot: options.isRoot,
      fault: faultHookFromEnv(options.env),
    });
    const driver = await chooseDriver(options.driver, live, io);
    const counters = newCounters();
    const done: Change[] = [];
    const env: ApplyEnvironment = {
      vpopmailHome: live.vpopmailHome,
      qmailHome: live.qmailHome,
      live,
      now: new Date(),
      ownerOf: (domain) => domainOwner(io, live, domain),
      counters,
      done: (change) => done.push(change),
      io,
      addedUserDirs: new Map(),
      addedDomainDirs: new Map(),
      ...(options.stopRequested ? { stopRequested: options.stopRequested } : {}),
    };
    const digest = planDigest(plan);
    try {
      await applyPlan(plan, driver, env);
    } catch (error) {
      if (!(error instanceof ApplyStepError)) throw error;
      return { outcome: 'failed', plan, digest, error, done, archived: counters.archived };
    }
    return { outcome: 'applied', plan, digest, driver: driver.name, counters, done };
  } finally {
    release();
  }
}
