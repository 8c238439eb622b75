import { existsSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDirectory, makeDirectories, type Ownership } from './atomic-write.js';

/** `20261125T204812Z`: sortable, and free of `:` (which qmail and some tools dislike in names). */
export function archiveStamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Moves a mailbox (or a .qmail file) into the archive by rename: same filesystem, so it is one
 * atomic step and not a byte of mail is copied or lost. Never falls back to copy-and-delete.
 * Returns where it went, or undefined when the source no longer exists.
 */
export function archivePath(source: string, archiveParent: string, name: string, now: Date, owner?: Ownership): string | undefined {
  if (!existsSync(source)) return undefined;
  makeDirectories(archiveParent, owner);
  const base = `${archiveParent}/${name}-${archiveStamp(now)}`;
  let target = base;
  for (let n = 2; existsSync(target); n++) target = `${base}-${n}`;
  try {
    renameSync(source, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EXDEV') {
      throw new Error(`cannot archive ${source}: ${archiveParent} is on another filesystem, and mailstate never copies mail to delete it`);
    }
    throw error;
  }
  fsyncDirectory(dirname(source));
  fsyncDirectory(archiveParent);
  return target;
}

