import type { ApplyIo, Ownership } from './io.js';

/** vpopmail retries 10 times, 2 s apart; mailstate waits as long before giving up. */
export const VPASSWD_LOCK_TIMEOUT_MS = 20_000;

/**
 * Takes vpopmail's own write lock on `<domain>/.vpasswd.lock` so that vadduser, vpasswd,
 * qmailadmin or vpopmaild cannot interleave with our rewrite of vpasswd.
 */
export function withVpasswdLock<T>(
  io: ApplyIo,
  domainDir: string,
  owner: Ownership | undefined,
  task: () => Promise<T> | T,
): Promise<T> {
  return io.withLock(`${domainDir}/.vpasswd.lock`, owner, VPASSWD_LOCK_TIMEOUT_MS, task);
}
