import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { dirname } from 'node:path';
import { withFaults } from '../apply/fault-io.js';
import { guardedIo } from '../apply/guarded-io.js';
import { DIR_MODE, FILE_MODE, type ApplyIo, type Entry } from '../apply/io.js';
import { fsyncDirectory, makeDirectories, writeFileAtomic } from './atomic-write.js';
import { withFileLock } from './file-lock.js';

function entryOf(info: Stats | undefined): Entry | undefined {
  if (!info) return undefined;
  const kind = info.isSymbolicLink() ? 'symlink' : info.isDirectory() ? 'directory' : info.isFile() ? 'file' : 'other';
  return { kind, uid: info.uid, gid: info.gid, mode: info.mode & 0o7777, size: info.size };
}

/**
 * A regular file with a second name may be a root-only file the vpopmail account linked into its
 * tree (see live/fs-read.ts): reading it would copy its content into a file that account reads,
 * chmod or chown would hand it over. EMLINK, the errno closest to "too many links".
 */
function refuseHardLink(fd: number, path: string, syscall: string): void {
  const info = fstatSync(fd);
  if (info.isFile() && info.nlink > 1)
    throw Object.assign(new Error(`EMLINK: ${path} has ${info.nlink} names (a hard link), ${syscall} refused`), {
      code: 'EMLINK',
      path,
      syscall,
    });
}

/** Apply's port on the real disk and processes. `isRoot` defaults to the process's own uid. */
export function nodeIo(isRoot = process.getuid?.() === 0): ApplyIo {
  return {
    isRoot,
    entry: (path) => entryOf(lstatSync(path, { throwIfNoEntry: false })),
    followedEntry: (path) => entryOf(statSync(path, { throwIfNoEntry: false })),
    read(path) {
      let fd: number;
      try {
        fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      try {
        refuseHardLink(fd, path, 'read');
        return readFileSync(fd);
      } finally {
        closeSync(fd);
      }
    },
    list: (path) => readdirSync(path),
    writeAtomic: (path, data, options) => writeFileAtomic(path, data, options, isRoot),
    writeNew(path, data, owner) {
      const fd = openSync(
        path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        FILE_MODE,
      );
      try {
        if (owner) fchownSync(fd, owner.uid, owner.gid);
        writeSync(fd, data);
      } finally {
        closeSync(fd);
      }
    },
    makeDirectory(path, owner) {
      try {
        mkdirSync(path, { mode: DIR_MODE });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      }
      // lchown: a directory swapped for a link since mkdir must not hand the link's target to the owner.
      if (owner) lchownSync(path, owner.uid, owner.gid);
      return true;
    },
    makeDirectories: (path, owner) => makeDirectories(path, owner),
    move(from, to) {
      renameSync(from, to);
      fsyncDirectory(dirname(from));
      fsyncDirectory(dirname(to));
    },
    remove: (path) => rmSync(path, { force: true }),
    setModeAndOwner(path, mode, owner) {
      // Through a descriptor opened without following a link, so what is checked is what is changed.
      const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | constants.O_NOFOLLOW);
      try {
        refuseHardLink(fd, path, 'chmod');
        fchmodSync(fd, mode);
        if (owner) fchownSync(fd, owner.uid, owner.gid);
      } finally {
        closeSync(fd);
      }
    },
    run(program, args, options = {}) {
      const result = spawnSync(program, args, {
        input: options.input ?? '',
        encoding: 'utf8',
        ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
      });
      return {
        status: result.status,
        signal: result.signal,
        stdout: result.stdout ?? '',
        stderr: result.stderr ?? '',
        ...(result.error ? { error: result.error } : {}),
      };
    },
    withLock: withFileLock,
  };
}

/**
 * The port an apply of the real server uses: Node's, behind the tree guard, with a fault point
 * before every change (a no-op unless the crash tests set one).
 */
export function serverIo(options: {
  vpopmailHome: string;
  domainBases?: readonly string[] | undefined;
  isRoot?: boolean | undefined;
  fault?: ((point: string) => void) | undefined;
}): ApplyIo {
  const guarded = guardedIo(nodeIo(options.isRoot), options.vpopmailHome, options.domainBases);
  return options.fault ? withFaults(guarded, options.fault) : guarded;
}
