import { exists, type ApplyIo, type Ownership } from './io.js';
import { assertNoSymlinkBelow, UnsafePathError } from './tree-guard.js';

/** The trusted directories an archive move must stay below: where the source lives, where the archive does. */
export interface ArchiveBounds {
  /** The domain directory the source belongs to (never the source itself). */
  sourceWithin: string;
  /** ~vpopmail: the archive is created below it. */
  archiveWithin: string;
}

/** `20261125T204812Z`: sortable, and free of `:` (which qmail and some tools dislike in names). */
export function archiveStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Moves a mailbox (or a .qmail file) into the archive by rename: same filesystem, so it is one
 * atomic step and not a byte of mail is copied or lost. Never falls back to copy-and-delete.
 * Returns where it went, or undefined when the source no longer exists.
 */
export function archivePath(
  io: ApplyIo,
  source: string,
  archiveParent: string,
  name: string,
  now: Date,
  bounds: ArchiveBounds,
  owner?: Ownership,
): string | undefined {
  // Both ends are checked right before the move: a vpasswd line or a link put in the path by the
  // vpopmail account must not make root move a directory from, or into, anywhere else.
  if (source === bounds.sourceWithin || !source.startsWith(`${bounds.sourceWithin}/`)) {
    throw new UnsafePathError(`${source} is not inside ${bounds.sourceWithin}: refusing to archive it`);
  }
  assertNoSymlinkBelow(io, bounds.sourceWithin, source);
  if (!exists(io, source)) return undefined;
  assertNoSymlinkBelow(io, bounds.archiveWithin, archiveParent);
  io.makeDirectories(archiveParent, owner);
  const base = `${archiveParent}/${name}-${archiveStamp(now)}`;
  let target = base;
  for (let n = 2; exists(io, target); n++) target = `${base}-${n}`;
  try {
    io.move(source, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EXDEV') {
      throw new Error(
        `cannot archive ${source}: ${archiveParent} is on another filesystem, and mailstate never copies mail to delete it`,
      );
    }
    throw error;
  }
  return target;
}
