import { lstatSync } from 'node:fs';
import { quoted } from '../model/display.js';
import { PATH_SHOWN, userDirProblem } from '../model/live-paths.js';

/**
 * The door every write of apply below ~vpopmail goes through. The vpopmail account owns the
 * domain and user directories, so it can swap any of them for a symbolic link to, say, /etc;
 * root following that link would write, chown, rename or delete outside the mail tree. Node has
 * no openat(), so each path is checked with lstat, component by component below the trusted
 * root, right before it is used: every existing component must be a real directory, and the
 * last one, when it exists, must not be a link. (A process running as vpopmail that swaps a
 * directory in the microseconds between this check and the write is the remaining window;
 * README says so.)
 */
export class UnsafePathError extends Error {}

/** Throws UnsafePathError unless `path` lies at or below `root` with no symbolic link on the way. */
export function assertNoSymlinkBelow(root: string, path: string): void {
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
    const info = lstatSync(current, { throwIfNoEntry: false });
    // Not there yet: whatever follows is created by this apply, as real directories and files.
    if (info === undefined) return;
    if (info.isSymbolicLink()) {
      throw new UnsafePathError(
        `${quoted(current, PATH_SHOWN)} is a symbolic link: mailstate does not write through links in the mail tree`,
      );
    }
    if (index < parts.length - 1 && !info.isDirectory()) {
      throw new UnsafePathError(`${quoted(current, PATH_SHOWN)} is not a directory: refusing to write below it`);
    }
  }
}

/** The kind of what stands at `path`, never following a link; undefined when nothing does. */
export function entryKind(path: string): 'file' | 'directory' | 'symlink' | 'other' | undefined {
  const info = lstatSync(path, { throwIfNoEntry: false });
  if (!info) return undefined;
  return info.isSymbolicLink() ? 'symlink' : info.isDirectory() ? 'directory' : info.isFile() ? 'file' : 'other';
}

/**
 * The directory a vpasswd line (re-read under the lock: it may have changed since the plan)
 * gives a user, refused unless it is the user's own below the domain with no link on the way.
 */
export function checkedUserDir(dir: string, name: string, domain: string, domainDir: string): string {
  const problem = userDirProblem(dir, name, domainDir);
  if (problem)
    throw new UnsafePathError(`user ${name}@${domain}: vpasswd gives it the ${problem}: mailstate does not touch it`);
  assertNoSymlinkBelow(domainDir, dir);
  return dir;
}
