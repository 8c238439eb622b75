import { closeSync, constants, fchownSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { lock, unlock } from 'os-lock';
import type { Ownership } from '../apply/io.js';

const RETRY_MS = 100;

/**
 * Holds an exclusive fcntl lock (via os-lock) on `path` while `task` runs, waiting while another
 * process holds it. The file is opened O_NOFOLLOW and chowned through the descriptor: it may lie
 * in a directory of the vpopmail account, and a link at its name must not make root create or
 * chown a file elsewhere.
 */
export async function withFileLock<T>(
  path: string,
  owner: Ownership | undefined,
  timeoutMs: number,
  task: () => Promise<T> | T,
): Promise<T> {
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    if (owner) fchownSync(fd, owner.uid, owner.gid);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await lock(fd, { exclusive: true, immediate: true });
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EACCES' && code !== 'EAGAIN' && code !== 'EBUSY') throw error;
        if (Date.now() > deadline)
          throw new Error(`${path} is held by another process (vpopmail tool?) for more than ${timeoutMs / 1000} s`);
        await sleep(RETRY_MS);
      }
    }
    try {
      return await task();
    } finally {
      await unlock(fd);
    }
  } finally {
    closeSync(fd);
  }
}
