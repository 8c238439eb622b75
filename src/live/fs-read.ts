import { realpath } from 'node:fs/promises';
import { close, constants, fstat, open, read, readFile, stat, type Stats } from 'node:fs';
import type { Diagnostic } from '../model/diagnostic.js';

/** A file read that distinguishes "not there" (normal) from "could not read" (reported). */
export type FileRead =
  | { kind: 'ok'; data: Buffer }
  | { kind: 'missing' }
  | { kind: 'error'; code: string; message: string };

/**
 * How every file of a server is opened. O_NONBLOCK: opening a FIFO for reading would otherwise
 * wait for a writer forever (a `.qmail-x` FIFO hung the whole reader); it changes nothing for a
 * regular file. O_NOCTTY: a terminal device is never made the controlling terminal.
 */
export const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | constants.O_NOFOLLOW;

/**
 * O_NOFOLLOW: the server's files belong to the vpopmail account, which could make `.qmail-z` a
 * link to a root-only file; root must not read (and a plan must not print) what it points at.
 * A link is reported by name and kind only.
 */
export const SYMLINK_MESSAGE = 'a symbolic link, which mailstate does not follow';

/**
 * The error for an open file that is not a regular file, or undefined for a regular one. Only
 * regular files are read: a FIFO or a device could block or never end (a symlink to /dev/zero).
 * A directory answers EISDIR with Node's own message, as reading it used to.
 *
 * A regular file with more than one name is not read either: O_NOFOLLOW stops a symbolic link,
 * but the vpopmail account could hard-link a root-only file (a copy of /etc/shadow) as `.qmail-z`
 * or `vpasswd` where the kernel does not forbid it (fs.protected_hardlinks=0, or root's own link).
 * What it holds is not the vpopmail account's to show: it is reported by name and kind only.
 */
export function notRegularFile(
  stats: Pick<
    Stats,
    'isFile' | 'isDirectory' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice' | 'nlink'
  >,
): FileRead | undefined {
  if (stats.isFile() && stats.nlink > 1)
    return { kind: 'error', code: HARD_LINK, message: hardLinkMessage(stats.nlink) };
  if (stats.isFile()) return undefined;
  if (stats.isDirectory())
    return { kind: 'error', code: 'EISDIR', message: 'EISDIR: illegal operation on a directory, read' };
  const type = stats.isFIFO()
    ? 'a FIFO'
    : stats.isSocket()
      ? 'a socket'
      : stats.isCharacterDevice()
        ? 'a character device'
        : stats.isBlockDevice()
          ? 'a block device'
          : 'not a file';
  return { kind: 'error', code: NOT_REGULAR, message: `not a regular file but ${type}` };
}

/** The FileRead code of a FIFO, socket or device: not an errno, there being none for it. */
export const NOT_REGULAR = 'ENOTREG';

/** The FileRead code of a regular file with more than one name (see notRegularFile). */
export const HARD_LINK = 'EHARDLINK';

export function hardLinkMessage(names: number): string {
  return `a hard link (one of ${names} names of the same file), which mailstate does not read`;
}

/** A directory or a FIFO, socket or device where a file was expected. */
export function isNotRegularFile(read: FileRead): boolean {
  return (
    read.kind === 'error' &&
    (read.code === 'EISDIR' || read.code === NOT_REGULAR || read.code === 'ELOOP' || read.code === HARD_LINK)
  );
}

/** Fills `buffer` from `offset` on, or up to EOF when the file shrank since its fstat. */
function readFully(
  fd: number,
  buffer: Buffer,
  offset: number,
  done: (error: NodeJS.ErrnoException | null, data?: Buffer) => void,
): void {
  read(fd, buffer, offset, buffer.length - offset, offset, (error, bytesRead) => {
    if (error) return done(error);
    const filled = offset + bytesRead;
    if (bytesRead === 0 || filled === buffer.length)
      return done(null, filled === buffer.length ? buffer : buffer.subarray(0, filled));
    readFully(fd, buffer, filled, done);
  });
}

export function failure(error: NodeJS.ErrnoException): FileRead {
  if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return { kind: 'missing' };
  if (error.code === 'ELOOP') return { kind: 'error', code: 'ELOOP', message: SYMLINK_MESSAGE };
  return { kind: 'error', code: error.code ?? 'EIO', message: error.message };
}

/**
 * Reads a whole regular file; ENOENT and ENOTDIR (a parent is missing or is a file) mean
 * "missing"; anything that is not a regular file is an error (see notRegularFile), never waited on.
 *
 * The callback API is used on purpose: probing 100k user directories for a `.qmail` that mostly
 * does not exist costs about half as much as fs/promises, whose FileHandle path adds several
 * promise hops per failed open.
 */
export function readFileOrMissing(path: string): Promise<FileRead> {
  return new Promise((resolve) => {
    open(path, OPEN_FLAGS, (openError, fd) => {
      if (openError) {
        resolve(failure(openError));
        return;
      }
      const finish = (result: FileRead): void => close(fd, () => resolve(result));
      fstat(fd, (statError, stats) => {
        if (statError) return finish(failure(statError));
        const special = notRegularFile(stats);
        if (special) return finish(special);
        // The size is known: one read, as readFile(path) does, instead of readFile(fd)'s second fstat.
        // A size of 0 may be a file whose size the kernel does not know: readFile reads it to EOF.
        if (stats.size === 0)
          return readFile(fd, (readError, data) => finish(readError ? failure(readError) : { kind: 'ok', data }));
        readFully(fd, Buffer.allocUnsafeSlow(stats.size), 0, (readError, data) =>
          finish(readError ? failure(readError) : { kind: 'ok', data: data! }),
        );
      });
    });
  });
}

/**
 * Whether `path` may exist: false only when stat says ENOENT or ENOTDIR. A failed stat costs
 * about a third of a failed readFile (no read context, one thread-pool round trip), which is what
 * probing 100k user directories for a `.qmail` that mostly does not exist is made of; the few
 * paths that may exist are then read with readFileOrMissing, which reports any error as before.
 */
export function mayExist(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    stat(path, (error) => resolve(!error || (error.code !== 'ENOENT' && error.code !== 'ENOTDIR')));
  });
}

/** The diagnostic for a file that exists but could not be read (EACCES, EISDIR, EIO …). */
export function readErrorDiagnostic(
  path: string,
  failure: { code: string; message: string },
  what: string,
): Diagnostic {
  return {
    severity: 'error',
    code: 'read-error',
    message: `cannot read ${what}: ${failure.code} (${failure.message})`,
    file: path,
  };
}

/**
 * Runs `task` over `items` with at most `limit` in flight and returns the results in input order.
 * Bounded so a 100k-user domain neither opens 100k files at once nor waits on them one by one.
 */
export async function mapWithLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The resolved path, or undefined when it cannot be resolved (missing, a loop, no permission). */
export async function realpathOrMissing(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    return undefined;
  }
}
