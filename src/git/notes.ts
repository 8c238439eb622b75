import { gitRaw, RepoError, type Repo } from './repo.js';

const NOTES_PREFIX = 'refs/notes/mailstate/';

/** One notes ref per server, so several servers applying one repository do not overwrite each other. */
export function notesRef(host: string): string {
  const safe = host.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.-]+/, '') || 'server';
  return `mailstate/${safe}`;
}

async function identityArgs(repo: Repo, host: string): Promise<string[]> {
  const email = (await repo.git.raw(['config', '--get', 'user.email']).catch(() => '')).trim();
  return email ? [] : ['-c', 'user.name=mailstate', '-c', `user.email=mailstate@${host}`];
}

/**
 * Adds to the note of `commit` what this server did with it (`git notes --ref mailstate/<host>`).
 * It appends, never replaces: a later drift repair must not erase the record of the first apply.
 * An identity is supplied only when git has none configured.
 */
export async function recordNote(repo: Repo, commit: string, host: string, text: string): Promise<string> {
  const ref = notesRef(host);
  await gitRaw(
    repo,
    [...(await identityArgs(repo, host)), 'notes', '--ref', ref, 'append', '--message', text, commit],
    `cannot record a git note on ${commit}`,
  );
  return `refs/notes/${ref}`;
}

/** The note `ref` (as notesRef gives it) holds for `commit`, or undefined when there is none. */
export async function readNote(repo: Repo, ref: string, commit: string): Promise<string | undefined> {
  try {
    return (await repo.git.raw(['notes', '--ref', ref, 'show', commit])).trimEnd() || undefined;
  } catch {
    return undefined;
  }
}

/** Whether the repository has `remote` configured: notes are exchanged only through one. */
export async function hasRemote(repo: Repo, remote: string): Promise<boolean> {
  if (remote.startsWith('-')) return false;
  return repo.git
    .raw(['remote', 'get-url', remote])
    .then(() => true)
    .catch(() => false);
}

/**
 * Publishes this server's notes ref to the remote, where the other servers and `status --fleet`
 * read it. Only this server writes its ref, so a rejected push means the remote holds notes this
 * clone lacks (a re-cloned server): they are merged in, every line of both kept, and pushed again.
 */
export async function pushNotes(repo: Repo, remote: string, host: string): Promise<void> {
  const ref = `refs/notes/${notesRef(host)}`;
  const push = () =>
    gitRaw(repo, ['push', '--quiet', remote, `${ref}:${ref}`], `git push of ${ref} to ${remote} failed`);
  try {
    await push();
    return;
  } catch (error) {
    if (!(error instanceof RepoError)) throw error;
  }
  const incoming = `refs/mailstate/incoming-notes/${notesRef(host).slice('mailstate/'.length)}`;
  await gitRaw(
    repo,
    ['fetch', '--quiet', '--no-tags', remote, `+${ref}:${incoming}`],
    `git fetch of ${ref} from ${remote} failed`,
  );
  await gitRaw(
    repo,
    [
      ...(await identityArgs(repo, host)),
      'notes',
      '--ref',
      ref,
      'merge',
      '--quiet',
      '--strategy',
      'cat_sort_uniq',
      incoming,
    ],
    `cannot merge the notes of ${remote} into ${ref}`,
  );
  await push();
}

/**
 * Copies every server's notes ref from the remote to below `into` (a read-only mirror, for
 * `status --fleet`, which must never replace a watcher's own unpushed notes).
 */
export async function mirrorFleetNotes(repo: Repo, remote: string, into: string): Promise<void> {
  await gitRaw(
    repo,
    ['fetch', '--quiet', '--no-tags', remote, `+${NOTES_PREFIX}*:${into}*`],
    `git fetch of the fleet's notes from ${remote} failed`,
  );
}

/**
 * The refspecs that copy every server's notes ref from the remote, except this server's own
 * (`ownHost`), which only this server writes: the others' records are the remote's to decide, so
 * they are mirrored. They ride on the fetch of the branch (one round trip per pull).
 */
export function fleetNotesRefspecs(ownHost: string): string[] {
  return [`+${NOTES_PREFIX}*:${NOTES_PREFIX}*`, `^refs/notes/${notesRef(ownHost)}`];
}

/** The servers that have a notes ref under `prefix` (a full ref ending in "/"), by the name in their ref. */
export async function notedServers(repo: Repo, prefix = NOTES_PREFIX): Promise<string[]> {
  const out = await gitRaw(repo, ['for-each-ref', '--format=%(refname)', prefix], "cannot list the fleet's notes refs");
  return out
    .split('\n')
    .filter(Boolean)
    .map((ref) => ref.slice(prefix.length));
}

/** What one paragraph of a mailstate note says (the format noteText writes). */
export interface NoteRecord {
  /** The outcome word: applied, no-changes, drift repaired, refused, failed, invalid. */
  what: string;
  host: string;
  time: string;
  digest: string | undefined;
  /** The rest after the digest: moves waiting, or why it was refused. */
  detail: string | undefined;
}

const NOTE_LINE = /^mailstate: (.+?)(?: \([^)]*\))? on (\S+) at (\S+); plan digest (\S+)(?:; (.*))?$/;

/** The newest record of a note (its last paragraph), or undefined when it is not one of ours. */
export function lastNoteRecord(note: string): NoteRecord | undefined {
  const lines = note.split('\n').filter((line) => line.startsWith('mailstate: '));
  const match = NOTE_LINE.exec(lines.at(-1) ?? '');
  if (!match) return undefined;
  return {
    what: match[1]!,
    host: match[2]!,
    time: match[3]!,
    digest: match[4] === '-' ? undefined : match[4],
    detail: match[5],
  };
}

/** Whether a record says the server is at that commit (applied, already matched, or repaired). */
export function inEffectRecord(record: NoteRecord | undefined): boolean {
  return record !== undefined && ['applied', 'no-changes', 'drift repaired'].includes(record.what);
}

/**
 * The newest commit on the branch (`branchRef`, a full ref) whose note in `ref` (a full ref) is accepted, how many commits the branch has
 * above it (0: the tip), and the note. One `git log` over the branch; undefined when none is.
 */
export async function newestNoted(
  repo: Repo,
  ref: string,
  branchRef: string,
  accept: (note: string) => boolean,
): Promise<{ commit: string; behind: number; note: string } | undefined> {
  const out = await gitRaw(
    repo,
    ['log', '--format=%H%x1f%N%x1e', `--notes=${ref}`, branchRef, '--'],
    `cannot read the history of ${branchRef}`,
  );
  const records = out.split('\x1e');
  for (const [behind, record] of records.entries()) {
    const [commit, note] = record.replace(/^\n/, '').split('\x1f');
    if (commit && note?.trim() && accept(note.trimEnd())) return { commit, behind, note: note.trimEnd() };
  }
  return undefined;
}
