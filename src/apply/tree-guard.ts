import { quoted } from '../model/display.js';
import { PATH_SHOWN, userDirProblem } from '../model/live-paths.js';
import type { ApplyIo, EntryKind } from './io.js';

/**
 * The vpopmail account owns the domain and user directories, so it can swap any of them for a
 * symbolic link to, say, /etc; root following that link would write, chown, rename or delete
 * outside the mail tree. Node has no openat(), so each path is checked with lstat, component by
 * component below the trusted root, right before it is used: every existing component must be a
 * real directory, and the last one, when it exists, must not be a link. (A process running as
 * vpopmail that swaps a directory in the microseconds between this check and the write is the
 * remaining window; README says so.) guarded-io.ts applies the check to every path the port
 * touches in the tree; the drivers call it themselves only to refuse before a step begins.
 */
export class UnsafePathError extends Error {}

/** Throws UnsafePathError unless `path` lies at or below `root` with no symbolic link on the way. */
export function assertNoSymlinkBelow(io: ApplyIo, root: string, path: string): void {
  if (path !== root && !path.startsWith(`${root}/`)) {
    throw new UnsafePathError(
      `${quoted(path, PATH_SHOWN)} is not inside ${quoted(root, PATH_SHOWN)}: refusing to write there`,
    );
  }
  const parts = path
    .slice(root.length)
    .split('/')
    .filter((part) => part !== '');
  if (parts.some((part) => part === '.' || part === '..')) {
    throw new UnsafePathError(`${quoted(path, PATH_SHOWN)} has a "." or ".." segment: refusing to write there`);
  }
  let current = root;
  for (const [index, part] of parts.entries()) {
    current = `${current}/${part}`;
    const info = io.entry(current);
    // Not there yet: whatever follows is created by this apply, as real directories and files.
    if (info === undefined) return;
    if (info.kind === 'symlink') {
      throw new UnsafePathError(
        `${quoted(current, PATH_SHOWN)} is a symbolic link: mailstate does not write through links in the mail tree`,
      );
    }
    if (index < parts.length - 1 && info.kind !== 'directory') {
      throw new UnsafePathError(`${quoted(current, PATH_SHOWN)} is not a directory: refusing to write below it`);
    }
  }
}

/** The kind of what stands at `path`, never following a link; undefined when nothing does. */
export function entryKind(io: ApplyIo, path: string): EntryKind | undefined {
  return io.entry(path)?.kind;
}

/**
 * The directory a vpasswd line (re-read under the lock: it may have changed since the plan)
 * gives a user, refused unless it is the user's own below the domain with no link on the way.
 */
export function checkedUserDir(io: ApplyIo, dir: string, name: string, domain: string, domainDir: string): string {
  const problem = userDirProblem(dir, name, domainDir);
  if (problem)
    throw new UnsafePathError(`user ${name}@${domain}: vpasswd gives it the ${problem}: mailstate does not touch it`);
  assertNoSymlinkBelow(io, domainDir, dir);
  return dir;
}
