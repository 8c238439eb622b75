import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync, chownSync, mkdirSync, fchmodSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** uid/gid to give created files and directories; undefined when not running as root. */
export interface Ownership {
  uid: number;
  gid: number;
}

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** Directory entries are only durable once the directory itself is synced. */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` so that a reader (or a crash) sees either the old file or the complete new one:
 * temp file in the same directory, fsync, rename, fsync of the directory. Mode and owner are set
 * on the temp file, so the new file never exists with looser permissions.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: { mode?: number; owner?: Ownership } = {}): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.mailstate-${process.pid}.tmp`);
  const fd = openSync(temp, 'w', options.mode ?? FILE_MODE);
  try {
    fchmodSync(fd, options.mode ?? FILE_MODE);
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  try {
    if (options.owner) chownSync(temp, options.owner.uid, options.owner.gid);
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
  if (owner) for (const dir of chain) chownSync(dir, owner.uid, owner.gid);
}
