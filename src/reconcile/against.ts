import { readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ioReason } from '../desired/io-reason.js';
import { loadDesiredAtCommit } from '../git/desired-at-commit.js';
import { fileAt, openRepo, repoPath, RepoError, resolveCommit, shortCommit } from '../git/repo.js';
import type { DesiredState } from '../model/state.js';
import { liveFromDesired, withUnreadSecrets } from '../snapshot/desired-as-live.js';
import { parseSnapshot } from '../snapshot/format.js';
import { hashDigest, keyId, parseKey, readKeyFile } from '../snapshot/key.js';
import { acceptDesired, loadDesiredFile, overridesFrom, type DesiredSource, type Report } from './desired.js';
import type { PlanOptions } from '../plan/plan.js';
import { planChanges, type PlanRun } from './plan.js';
import { Refused, staged, unwrap, type Staged } from './refusal.js';

/**
 * Plans made against something other than the server (`plan --live SNAPSHOT`, `plan --base REF`),
 * for review where the server cannot be read: in CI, on a laptop.
 */

/** A plan made against something other than the server, and what that something was. */
export interface PlanAgainst extends PlanRun {
  /** For the Markdown footer and the note on standard error. */
  against: string;
}

/** What these plans take from where they run: paths are relative to `cwd`; `note` gets a sentence for the user. */
export interface PlanContext {
  cwd: string;
  env: Record<string, string | undefined>;
  note: (sentence: string) => void;
}

function unreadable(what: string, error: unknown): Refused {
  return new Refused(`${what}: ${ioReason(error)}`, 'unreadable');
}

/** The key that opens a snapshot's digests: MAILSTATE_KEY (hex) or --key-file; undefined when neither is given. */
function snapshotKey(context: PlanContext, keyFile: string | undefined): Buffer | undefined {
  if (keyFile !== undefined) {
    try {
      return readKeyFile(resolve(context.cwd, keyFile));
    } catch (error) {
      throw (error as NodeJS.ErrnoException).code
        ? unreadable(`--key-file ${keyFile}`, error)
        : new Refused((error as Error).message);
    }
  }
  const hex = context.env.MAILSTATE_KEY;
  if (hex === undefined || hex === '') return undefined;
  const key = parseKey(hex);
  if (!key)
    throw new Refused(
      'MAILSTATE_KEY is not a mailstate key (64 hex digits, the content of ~vpopmail/etc/mailstate.key)',
    );
  return key;
}

export interface SnapshotPlanOptions {
  /** More of what the planner is told (a fleet's peers). */
  plan?: PlanOptions;
  /** The desired state, already loaded (and cut to the server's share): a fleet plan loads the YAML once. */
  desired?: DesiredState;
}

/**
 * The plan the server would make, from a snapshot of it. Secrets are not read (a digest cannot
 * check them); the homes are the snapshot's unless given on the command line.
 */
export async function planAgainstSnapshot(
  context: PlanContext,
  source: DesiredSource,
  snapshotFile: string,
  keyFile: string | undefined,
  report: Report,
  options: SnapshotPlanOptions = {},
): Promise<Staged<PlanAgainst>> {
  return staged(async () => {
    let text: string;
    try {
      text = readFileSync(resolve(context.cwd, snapshotFile), 'utf8');
    } catch (error) {
      throw unreadable(`cannot read the snapshot ${snapshotFile}`, error);
    }
    const parsed = parseSnapshot(text, snapshotFile);
    if (!parsed.ok) {
      for (const d of parsed.diagnostics) report(d);
      throw new Refused(`${snapshotFile} cannot be used; nothing was planned.`, 'invalid');
    }
    const { snapshot, live } = parsed.value;
    const key = snapshotKey(context, keyFile);
    if (key && keyId(key) !== snapshot.passwords.keyId) {
      throw new Refused(
        `the key given (id ${keyId(key)}) is not the one ${snapshotFile} was made with (id ${snapshot.passwords.keyId}): use the content of ${snapshot.vpopmailHome}/etc/mailstate.key on ${snapshot.host}`,
      );
    }
    for (const d of snapshot.diagnostics) report(d);
    const loaded = withUnreadSecrets(options.desired ?? unwrap(await loadDesiredFile(source, context.cwd, report)));
    const desired: DesiredState = {
      ...loaded,
      vpopmailHome: source.vpopmailHome === undefined ? snapshot.vpopmailHome : loaded.vpopmailHome,
      qmailHome: source.qmailHome === undefined ? snapshot.qmailHome : loaded.qmailHome,
    };
    if (desired.vpopmailHome !== loaded.vpopmailHome || desired.qmailHome !== loaded.qmailHome) {
      context.note(
        `the snapshot was read from ${snapshot.vpopmailHome} and ${snapshot.qmailHome}, not from the ${loaded.vpopmailHome} and ${loaded.qmailHome} of ${source.file}: the plan uses the snapshot's paths.`,
      );
    }
    const plan = unwrap(
      planChanges(desired, live, report, {
        ...options.plan,
        passwords: key ? { hashDigest: (hash) => hashDigest(key, hash) } : {},
      }),
    );
    return {
      desired,
      live,
      plan,
      against: `the snapshot ${basename(snapshotFile)} of ${snapshot.host} taken ${snapshot.createdAt}`,
    };
  });
}

/** An empty desired state: the base of a branch that adds mailstate.yaml. */
function emptyState(like: DesiredState): DesiredState {
  return { ...like, relay: undefined, domains: new Map(), files: [] };
}

/**
 * The desired state committed at REF (`git show`, includes too), validated like the working tree's
 * and cut to the same server's share; undefined when the file does not exist at REF (a branch that
 * adds it). Its warnings are the working tree's too, or stale: only what stops it is reported.
 */
export async function desiredAtRef(
  context: PlanContext,
  source: DesiredSource,
  ref: string,
  report: Report,
): Promise<{ desired: DesiredState | undefined; commit: string }> {
  const file = resolve(context.cwd, source.file);
  let realFile: string;
  try {
    realFile = join(realpathSync(dirname(file)), basename(file));
  } catch (error) {
    throw unreadable(`cannot resolve ${source.file}`, error);
  }
  try {
    const repo = await openRepo(dirname(realFile));
    const commit = await resolveCommit(repo, ref);
    if (!commit) throw new Refused(`--base ${ref}: no such commit in ${repo.root}`);
    const rel = repoPath(repo, realFile);
    if (rel === undefined) throw new Refused(`${source.file} is outside the repository ${repo.root}`);
    if ((await fileAt(repo, commit, rel)) === undefined) {
      context.note(`${rel} does not exist at ${ref} (${shortCommit(commit)}): everything it declares is new.`);
      return { desired: undefined, commit };
    }
    const result = await loadDesiredAtCommit(repo, commit, rel, overridesFrom(context.cwd, source));
    const desired = unwrap(
      acceptDesired(result, `${source.file} at ${ref}`, (d) => d.severity === 'error' && report(d)),
    );
    return { desired, commit };
  } catch (error) {
    if (error instanceof RepoError) throw new Refused(`--base ${ref}: ${error.message}`);
    throw error;
  }
}

/**
 * What the working tree changes against the desired state committed at REF (`git show`, includes
 * too), with no server. Passwords compare by reference (the same hash, the same env:/file:
 * source); secrets are not read.
 */
export async function planAgainstBase(
  context: PlanContext,
  source: DesiredSource,
  ref: string,
  report: Report,
): Promise<Staged<PlanAgainst>> {
  return staged(async () => {
    const working = withUnreadSecrets(unwrap(await loadDesiredFile(source, context.cwd, report)));
    const { desired, commit } = await desiredAtRef(context, source, ref, report);
    const base = desired ?? emptyState(working);
    // The base is laid out under the working tree's homes: a path change is not what a review is about.
    const live = liveFromDesired({ ...base, vpopmailHome: working.vpopmailHome, qmailHome: working.qmailHome });
    const plan = unwrap(planChanges(working, live, report));
    return { desired: working, live, plan, against: `${ref} (${shortCommit(commit)}), without reading any server` };
  });
}
