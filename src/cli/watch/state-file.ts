import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write.js';
import type { PlanSummary } from '../../model/change.js';
import type { Outcome, Trigger } from './log.js';

/** Bumped on any incompatible change of the state file; documented in README. */
export const WATCH_STATE_VERSION = 1;

/** `~vpopmail/etc/mailstate-watch.json`: what the watcher last did, for `mailstate status`. */
export function watchStatePath(vpopmailHome: string): string {
  return join(vpopmailHome, 'etc', 'mailstate-watch.json');
}

export interface ReconcileRecord {
  commit: string;
  /** ISO 8601, UTC. */
  time: string;
  outcome: Outcome;
  trigger: Trigger;
  durationMs: number;
  counts?: PlanSummary;
  digest?: string;
  reason?: string;
}

export interface WatchState {
  stateVersion: typeof WATCH_STATE_VERSION;
  /** The repository root, branch and file the watcher follows. */
  repo: string;
  branch: string;
  file: string;
  vpopmailHome: string;
  qmailHome: string;
  host: string;
  /**
   * The commit in effect on the server and the reconcile that brought it into effect (`applied`,
   * or `no-changes` when the server already matched), or the newest one that wrote anything
   * (a drift repair).
   */
  lastApplied?: ReconcileRecord;
  /**
   * The newest reconcile of the branch tip that did not bring it into effect (invalid, refused,
   * busy, failed, error, or drift only reported); absent once the tip is in effect.
   */
  lastAttempt?: ReconcileRecord;
  /** The newest reconcile of any kind: when the watcher last looked. */
  lastCheck?: ReconcileRecord;
}

export type WatchIdentity = Pick<WatchState, 'repo' | 'branch' | 'file' | 'vpopmailHome' | 'qmailHome' | 'host'>;

/**
 * The state after one reconcile: `lastApplied` moves when a commit comes into effect or anything is
 * written; `lastAttempt` holds the newest reconcile of the branch tip that did not bring it into
 * effect, until one does; `lastCheck` is always the newest.
 */
export function nextWatchState(
  previous: WatchState | undefined,
  identity: WatchIdentity,
  record: ReconcileRecord,
  context: { inEffect: boolean; tip: string | undefined },
): WatchState {
  let lastApplied = previous?.lastApplied;
  let lastAttempt = previous?.lastAttempt;
  if (context.inEffect) {
    if (record.outcome === 'applied' || record.commit !== lastApplied?.commit) lastApplied = record;
    if (record.commit === context.tip) lastAttempt = undefined;
  } else if (record.commit === context.tip) {
    lastAttempt = record;
  }
  return {
    stateVersion: WATCH_STATE_VERSION,
    ...identity,
    ...(lastApplied ? { lastApplied } : {}),
    ...(lastAttempt ? { lastAttempt } : {}),
    lastCheck: record,
  };
}

export function readWatchState(path: string): WatchState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const data = JSON.parse(text) as Partial<WatchState>;
  if (
    data.stateVersion !== WATCH_STATE_VERSION ||
    typeof data.repo !== 'string' ||
    typeof data.branch !== 'string' ||
    typeof data.file !== 'string'
  ) {
    throw new Error(`${path} is not a mailstate watch state (version ${WATCH_STATE_VERSION})`);
  }
  return data as WatchState;
}

/** Atomically (as every file mailstate writes): a crash leaves the old state or the new one, never half of either. */
export function writeWatchState(path: string, state: WatchState): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}
