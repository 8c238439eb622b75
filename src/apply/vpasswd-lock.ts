import { closeSync, constants, fchownSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { lock, unlock } from 'os-lock';
import type { Ownership } from './atomic-write.js';

/** vpopmail retries 10 times, 2 s apart; mailstate waits as long before giving up. */
export const VPASSWD_LOCK_TIMEOUT_MS = 20_000;
const RETRY_MS = 100;

/**
 * Takes vpopmail's own write lock on `<domain>/.vpasswd.lock` (an fcntl lock, via os-lock) so
 * that vadduser, vpasswd, qmailadmin or vpopmaild cannot interleave with our rewrite of vpasswd.
 * Waits while a foreign process holds it.
 */
export async function withVpasswdLock<T>(
  domainDir: string,
  owner: Ownership | undefined,
  task: () => Promise<T> | T,
  timeoutMs = VPASSWD_LOCK_TIMEOUT_MS,
): Promise<T> {
  const path = `${domainDir}/.vpasswd.lock`;
  // O_NOFOLLOW, and the owner set through the descriptor: the domain directory is the vpopmail
  // account's, and a link at this name must not make root create or chown a file elsewhere.
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
