import { join } from 'node:path';
import { maildirsizeText } from '../formats/maildirsize.js';
import { NOQUOTA } from '../model/quota.js';
import { exists, type ApplyIo, type Ownership } from './io.js';
import { assertNoSymlinkBelow } from './tree-guard.js';

const MAILDIR_PARTS = ['cur', 'new', 'tmp'] as const;

/** A directory that holds nothing but an empty Maildir skeleton (left by an interrupted apply). */
function isEmptySkeleton(io: ApplyIo, dir: string): boolean {
  for (const entry of io.list(dir)) {
    if (entry === 'lastauth' || entry === 'Maildir') continue;
    return false;
  }
  const maildir = join(dir, 'Maildir');
  if (!exists(io, maildir)) return true;
  for (const entry of io.list(maildir)) {
    if (entry === 'maildirsize') continue;
    if (!(MAILDIR_PARTS as readonly string[]).includes(entry)) return false;
    if (io.list(join(maildir, entry)).length > 0) return false;
  }
  return true;
}

/**
 * The user directory vadduser makes: `<dir>/Maildir/{cur,new,tmp}` (0700) and `lastauth`
 * (`0.0.0.0`, no newline, 0600), plus `Maildir/maildirsize` when there is a quota. An existing
 * directory with mail in it is never adopted: it belongs to someone else.
 *
 * Nothing reads a new user's files before the user's vpasswd line exists, and that line is
 * written (and synced) afterwards, so they are written directly, as vadduser does: no temp file,
 * no fsync each. (Adding 1,000 users, half with a quota, that was 1,000 fsyncs: a tenth of the
 * apply.)
 */
export function createUserDir(
  io: ApplyIo,
  dir: string,
  domainDir: string,
  quota: string,
  owner: Ownership | undefined,
): void {
  assertNoSymlinkBelow(io, domainDir, dir);
  const adopted = !makeNewDirectory(io, dir, owner);
  // An adopted skeleton is the vpopmail account's: nothing in it may be a link root follows.
  if (adopted)
    for (const part of ['lastauth', 'Maildir', ...MAILDIR_PARTS.map((p) => `Maildir/${p}`), 'Maildir/maildirsize'])
      assertNoSymlinkBelow(io, domainDir, join(dir, part));
  if (adopted && !isEmptySkeleton(io, dir)) {
    throw new Error(`${dir} already exists and is not empty: refusing to give it to a new user (vadduser refuses too)`);
  }
  // Parents first: each mkdir then succeeds at once instead of climbing up from a missing leaf.
  io.makeDirectories(join(dir, 'Maildir'), owner);
  for (const part of MAILDIR_PARTS) io.makeDirectories(join(dir, 'Maildir', part), owner);
  const lastauth = join(dir, 'lastauth');
  if (!adopted || !exists(io, lastauth)) io.writeNew(lastauth, '0.0.0.0', owner);
  const maildirsize = join(dir, 'Maildir', 'maildirsize');
  // An adopted skeleton's maildirsize (checked above: no link) is replaced: the quota is this user's.
  if (adopted) io.remove(maildirsize);
  if (quota !== NOQUOTA && quota !== '')
    io.writeNew(maildirsize, maildirsizeText(quota, { bytes: 0, count: 0 }), owner);
}

/** Creates `dir` (and its missing parents) for `owner`; false when it already exists. */
function makeNewDirectory(io: ApplyIo, dir: string, owner: Ownership | undefined): boolean {
  try {
    return io.makeDirectory(dir, owner);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // The first user of a new hashed directory.
    io.makeDirectories(dir, owner);
    return true;
  }
}

/** What a Maildir holds, as Maildir++ counts it: the size from `,S=` in each name, else the file's. */
function maildirUsage(io: ApplyIo, maildir: string): { bytes: number; count: number } {
  let bytes = 0;
  let count = 0;
  for (const part of ['cur', 'new']) {
    const folder = join(maildir, part);
    // Only real directories are counted: a link would let the listing of another tree in.
    if (io.entry(folder)?.kind !== 'directory') continue;
    for (const entry of io.list(folder)) {
      const size = /,S=(\d+)/.exec(entry);
      bytes += size ? Number(size[1]) : (io.entry(join(folder, entry))?.size ?? 0);
      count++;
    }
  }
  return { bytes, count };
}

/**
 * Maildir++ `maildirsize` for a new quota, removed for no quota, as vsetuserquota does. Usage is
 * recounted (vsetuserquota's behaviour), so the delivery agent's quota check starts from the truth.
 */
export function writeMaildirsize(
  io: ApplyIo,
  dir: string,
  domainDir: string,
  quota: string,
  owner: Ownership | undefined,
): void {
  const maildir = join(dir, 'Maildir');
  const file = join(maildir, 'maildirsize');
  // A Maildir swapped for a link would have root create, chown or delete a file wherever it points.
  assertNoSymlinkBelow(io, domainDir, file);
  if (quota === NOQUOTA || quota === '') {
    io.remove(file);
    return;
  }
  if (!exists(io, maildir)) return;
  io.writeAtomic(file, maildirsizeText(quota, maildirUsage(io, maildir)), owner ? { owner } : {});
}
