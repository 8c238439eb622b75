import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lock } from 'os-lock';

export class LockBusyError extends Error {
  readonly holderPid: number | undefined;
  constructor(message: string, holderPid: number | undefined) {
    super(message);
    this.holderPid = holderPid;
  }
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EAGAIN' || code === 'EBUSY';
}

/**
 * The pid the kernel names as holding the fcntl lock on the file open at `fd` (Linux /proc/locks:
 * `1: POSIX  ADVISORY  WRITE <pid> <major>:<minor>:<inode> 0 EOF`), or undefined where it cannot
 * tell. The pid in the file cannot say it: the holder writes it only after locking, so a loser
 * may read the pid of an apply that died long ago.
 */
function kernelLockHolder(fd: number): number | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  const { dev, ino } = fstatSync(fd, { bigint: true });
  // glibc's dev_t encoding, printed by the kernel as two-digit hex.
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  const file = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${ino}`;
  for (const line of table.split('\n')) {
    const [, type, , , pid, where] = line.trim().split(/\s+/);
    // Lines of blocked waiters read "N: -> POSIX …": their type field is "->".
    if (type === 'POSIX' && where === file) return Number(pid) > 0 ? Number(pid) : undefined;
  }
  return undefined;
}

/** The holder writes its pid just after locking; give it a moment, so the message names it. */
async function holderOf(path: string): Promise<number | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pid = readHolder(path);
    if (pid !== undefined && pid !== process.pid) return pid;
    await sleep(10);
  }
  return readHolder(path);
}

/**
 * One mailstate apply per server: an fcntl lock on ~vpopmail/etc/mailstate.lock, which the
 * kernel drops when its holder dies however it dies, so there is no stale lock to judge (a pid
 * file with O_EXCL had to guess, and two appliers taking over the same stale file could both
 * win). The file holds the holder's pid only so that a refused apply can name it.
 */
export async function acquireApplyLock(path: string): Promise<() => void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  for (;;) {
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
    try {
      await lock(fd, { exclusive: true, immediate: true });
    } catch (error) {
      const known = isBusy(error) ? kernelLockHolder(fd) : undefined;
      closeSync(fd);
      if (!isBusy(error)) throw error;
      const holder = known ?? (await holderOf(path));
      throw new LockBusyError(`another mailstate apply is running (pid ${holder ?? 'unknown'}, lock ${path})`, holder);
    }
    // The previous holder unlinks the file as it lets go: if that happened between our open and
    // our lock, we hold a lock on a file nobody else will open. Start again on the current one.
    const held = fstatSync(fd);
    const current = statSync(path, { throwIfNoEntry: false });
    if (!current || current.ino !== held.ino || current.dev !== held.dev) {
      closeSync(fd);
      continue;
    }
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0);
    return () => {
      try {
        // Unlink while still holding the lock, so nobody can lock this inode and think it current.
        // Already gone (removed by hand) is fine: closing is what lets go.
        unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      } finally {
        closeSync(fd);
      }
    };
  }
}
