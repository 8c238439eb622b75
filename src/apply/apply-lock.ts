import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync, constants } from 'node:fs';
import { dirname } from 'node:path';

export class LockBusyError extends Error {
  readonly holderPid: number | undefined;
  constructor(message: string, holderPid: number | undefined) {
    super(message);
    this.holderPid = holderPid;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
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

/**
 * One mailstate apply per server: an O_EXCL lock file holding the holder's pid, so a second apply
 * can name who is busy. A lock left by a process that no longer exists is taken over.
 */
export function acquireApplyLock(path: string): () => void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        if (readHolder(path) === process.pid) unlinkSync(path);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(path);
      if (holder !== undefined && holder !== process.pid && processAlive(holder)) {
        throw new LockBusyError(`another mailstate apply is running (pid ${holder}, lock ${path})`, holder);
      }
      // Stale: its holder is gone (or the file is unreadable garbage). Remove and retry once.
      unlinkSync(path);
    }
  }
  throw new LockBusyError(`could not take the lock ${path}`, readHolder(path));
}
