import type { WatchEvent } from './log.js';
import {
  nextWatchState,
  readWatchState,
  watchStatePath,
  writeWatchState,
  type ReconcileRecord,
  type WatchIdentity,
  type WatchState,
} from './state-file.js';

/** What a watcher follows: a saved state of another repository, branch or file is not its own. */
export type Followed = Pick<WatchIdentity, 'repo' | 'branch' | 'file' | 'host'>;

/**
 * The watcher's ~vpopmail/etc/mailstate-watch.json. Its place is known only once a YAML (or the
 * command line) names the vpopmail home, so nothing is read or saved before that.
 */
export interface StateStore {
  /**
   * Where the state lives now. The first time a vpopmail home is seen, its saved state is read;
   * returns the commit it has in effect when that state is this watcher's.
   */
  learnHomes(vpopmailHome: string, qmailHome: string): string | undefined;
  /** Saves the outcome of one reconcile; `tip` is the branch tip it was made for. */
  save(record: ReconcileRecord, context: { inEffect: boolean; tip: string | undefined }): void;
}

/** Problems reading or writing the state are logged, and the watcher carries on without it. */
export function stateStore(followed: Followed, emit: (event: WatchEvent) => void): StateStore {
  let homes: { vpopmailHome: string; qmailHome: string } | undefined;
  let state: WatchState | undefined;
  return {
    learnHomes(vpopmailHome, qmailHome) {
      const known = homes?.vpopmailHome === vpopmailHome;
      homes = { vpopmailHome, qmailHome };
      if (known) return undefined;
      try {
        const saved = readWatchState(watchStatePath(vpopmailHome));
        const same =
          saved && saved.repo === followed.repo && saved.branch === followed.branch && saved.file === followed.file;
        state = same ? saved : undefined;
        return same ? saved.lastApplied?.commit : undefined;
      } catch (error) {
        emit({ event: 'error', reason: `cannot read the watch state: ${(error as Error).message}; starting afresh` });
        return undefined;
      }
    },
    save(record, context) {
      if (!homes) return;
      const identity = {
        repo: followed.repo,
        branch: followed.branch,
        file: followed.file,
        ...homes,
        host: followed.host,
      };
      state = nextWatchState(state, identity, record, context);
      try {
        writeWatchState(watchStatePath(homes.vpopmailHome), state);
      } catch (error) {
        emit({ event: 'error', reason: `cannot write the watch state: ${(error as Error).message}` });
      }
    },
  };
}
