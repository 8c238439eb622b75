import { readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadDesiredAtCommit } from '../git/desired-at-commit.js';
import { fileAt, openRepo, repoPath, RepoError, resolveCommit, shortCommit } from '../git/repo.js';
import { ioReason } from '../desired/load.js';
import type { DesiredState } from '../model/state.js';
import { liveFromDesired, withUnreadSecrets } from '../snapshot/desired-as-live.js';
import { parseSnapshot } from '../snapshot/format.js';
import { hashDigest, keyId, parseKey, readKeyFile } from '../snapshot/key.js';
import { EXIT, ExitError, type CliIo } from './io.js';
import { acceptDesired, loadDesiredOrExit, overridesFrom, planOrExit, type PlanRun, type Report, type StateOptions } from './pipeline.js';

/** A plan made against something other than the server, and what that something was. */
export interface StandInPlan extends PlanRun {
  /** For the Markdown footer and the note on standard error. */
  against: string;
}

function unreadable(what: string, error: unknown): ExitError {
  return new ExitError(`${what}: ${ioReason(error)}`, EXIT.error, 'unreadable');
}

/** The key that opens a snapshot's digests: MAILSTATE_KEY (hex) or --key-file; undefined when neither is given. */
function snapshotKey(io: CliIo, keyFile: string | undefined): Buffer | undefined {
  if (keyFile !== undefined) {
    try {
      return readKeyFile(resolve(io.cwd, keyFile));
    } catch (error) {
      throw (error as NodeJS.ErrnoException).code ? unreadable(`--key-file ${keyFile}`, error) : new ExitError((error as Error).message);
    }
  }
  const hex = io.env.MAILSTATE_KEY;
  if (hex === undefined || hex === '') return undefined;
  const key = parseKey(hex);
  if (!key) throw new ExitError('MAILSTATE_KEY is not a mailstate key (64 hex digits, the content of ~vpopmail/etc/mailstate.key)');
  return key;
}

/**
 * `plan --live SNAPSHOT`: the plan the server would make, from a snapshot. Secrets are not read
 * (a digest cannot check them); the homes are the snapshot's unless given on the command line.
 */
export async function planAgainstSnapshot(io: CliIo, options: StateOptions, snapshotFile: string, keyFile: string | undefined, report: Report): Promise<StandInPlan> {
  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, snapshotFile), 'utf8');
  } catch (error) {
    throw unreadable(`cannot read the snapshot ${snapshotFile}`, error);
  }
  const parsed = parseSnapshot(text, snapshotFile);
  if (!parsed.ok) {
    for (const d of parsed.diagnostics) report(d);
    throw new ExitError(`${snapshotFile} cannot be used; nothing was planned.`, EXIT.error, 'invalid');
  }
  const { snapshot, live } = parsed.value;
  const key = snapshotKey(io, keyFile);
  if (key && keyId(key) !== snapshot.passwords.keyId) {
    throw new ExitError(
      `the key given (id ${keyId(key)}) is not the one ${snapshotFile} was made with (id ${snapshot.passwords.keyId}): use the content of ${snapshot.vpopmailHome}/etc/mailstate.key on ${snapshot.host}`,
    );
  }
  for (const d of snapshot.diagnostics) report(d);
  const loaded = withUnreadSecrets(await loadDesiredOrExit(io, options, report));
  const desired: DesiredState = {
    ...loaded,
    vpopmailHome: options.vpopmailHome === undefined ? snapshot.vpopmailHome : loaded.vpopmailHome,
    qmailHome: options.qmailHome === undefined ? snapshot.qmailHome : loaded.qmailHome,
  };
  if (desired.vpopmailHome !== loaded.vpopmailHome || desired.qmailHome !== loaded.qmailHome) {
    io.stderr(`note: the snapshot was read from ${snapshot.vpopmailHome} and ${snapshot.qmailHome}, not from the ${loaded.vpopmailHome} and ${loaded.qmailHome} of ${options.file}: the plan uses the snapshot's paths.\n`);
  }
  const plan = planOrExit(desired, live, report, { passwords: key ? { hashDigest: (hash) => hashDigest(key, hash) } : {} });
  return { desired, live, plan, against: `the snapshot ${basename(snapshotFile)} of ${snapshot.host} taken ${snapshot.createdAt}` };
}

/** An empty desired state: the base of a branch that adds mailstate.yaml. */
function emptyState(like: DesiredState): DesiredState {
  return { ...like, relay: undefined, domains: new Map(), files: [] };
}

/**
 * `plan --base REF`: what the working tree changes against the desired state committed at REF
 * (`git show`, includes too), with no server. Passwords compare by reference (the same hash, the
 * same env:/file: source); secrets are not read.
 */
export async function planAgainstBase(io: CliIo, options: StateOptions, ref: string, report: Report): Promise<StandInPlan> {
  const file = resolve(io.cwd, options.file);
  const working = withUnreadSecrets(await loadDesiredOrExit(io, options, report));
  let realFile: string;
  try {
    realFile = join(realpathSync(dirname(file)), basename(file));
  } catch (error) {
    throw unreadable(`cannot resolve ${options.file}`, error);
  }
  let base: DesiredState;
  let commit: string;
  try {
    const repo = await openRepo(dirname(realFile));
    const found = await resolveCommit(repo, ref);
    if (!found) throw new ExitError(`--base ${ref}: no such commit in ${repo.root}`);
    commit = found;
    const rel = repoPath(repo, realFile);
    if (rel === undefined) throw new ExitError(`${options.file} is outside the repository ${repo.root}`);
    if ((await fileAt(repo, commit, rel)) === undefined) {
      io.stderr(`note: ${rel} does not exist at ${ref} (${shortCommit(commit)}): everything it declares is new.\n`);
      base = emptyState(working);
    } else {
      const result = await loadDesiredAtCommit(repo, commit, rel, overridesFrom(io, options));
      // Its warnings are the working tree's too, or stale: only what stops the comparison is shown.
      base = acceptDesired(result, `${options.file} at ${ref}`, (d) => d.severity === 'error' && report(d));
    }
  } catch (error) {
    if (error instanceof RepoError) throw new ExitError(`--base ${ref}: ${error.message}`);
    throw error;
  }
  // The base is laid out under the working tree's homes: a path change is not what a review is about.
  const live = liveFromDesired({ ...base, vpopmailHome: working.vpopmailHome, qmailHome: working.qmailHome });
  const plan = planOrExit(working, live, report);
  return { desired: working, live, plan, against: `${ref} (${shortCommit(commit)}), without reading any server` };
}
