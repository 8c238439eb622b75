import {
  closeSync,
  constants,
  fchownSync,
  fsyncSync,
  lchownSync,
  lstatSync,
  openSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
  mkdirSync,
  fchmodSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DIR_MODE, FILE_MODE, type Ownership, type WriteOptions } from '../apply/io.js';

/** Directory entries are only durable once the directory itself is synced. */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function existingModeAndOwner(path: string, root: boolean): { mode?: number; owner?: Ownership } {
  // lstat: a link put in the file's place is replaced by the rename, and its target is not ours.
  const info = lstatSync(path, { throwIfNoEntry: false });
  if (!info || info.isSymbolicLink()) return {};
  return { mode: info.mode & 0o7777, ...(root ? { owner: { uid: info.uid, gid: info.gid } } : {}) };
}

/**
 * Replaces `path` so that a reader (or a crash) sees either the old file or the complete new one:
 * temp file in the same directory, fsync, rename, fsync of the directory. Mode and owner are set
 * on the temp file, so the new file never exists with looser permissions.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteOptions = {},
  root = process.getuid?.() === 0,
): void {
  if (options.keepExisting) options = { ...options, ...existingModeAndOwner(path, root) };
  const dir = dirname(path);
  // One name per file, not per process: writes happen under the apply lock, so there is one
  // writer at a time, and the temp file of an apply killed before its rename is truncated and
  // reused by the re-run that writes the same file, instead of piling up.
  const temp = join(dir, `.${basename(path)}.mailstate.tmp`);
  // The directory may belong to the vpopmail account, which could have put a link (to
  // /etc/shadow, say) at the temp name: remove whatever stands there (unlink never follows a
  // link), then create the file anew, refusing to follow one. Owner and mode go through the
  // descriptor, never through the name, which can be swapped.
  rmSync(temp, { force: true });
  const fd = openSync(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    options.mode ?? FILE_MODE,
  );
  try {
    fchmodSync(fd, options.mode ?? FILE_MODE);
    if (options.owner) fchownSync(fd, options.owner.uid, options.owner.gid);
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temp, path);
  } catch (error) {
    unlinkSync(temp);
    throw error;
  }
  fsyncDirectory(dir);
}

/** mkdir -p with vpopmail's mode and owner on every directory it creates. */
export function makeDirectories(path: string, owner?: Ownership): void {
  const created = mkdirSync(path, { recursive: true, mode: DIR_MODE });
  if (created === undefined) return;
  // mkdirSync returns the first directory it created; chown it and everything below down to path.
  let current = path;
  const chain: string[] = [];
  while (current.length >= created.length) {
    chain.push(current);
    current = dirname(current);
  }
  // lchown: a directory swapped for a link since mkdir must not hand the link's target to the owner.
  if (owner) for (const dir of chain) lchownSync(dir, owner.uid, owner.gid);
}
