import type { DriverName } from '../../apply/choose-driver.js';
import type { Overrides } from '../../desired/normalize.js';
import type { Repo } from '../../git/repo.js';
import type { PeerEvidence } from '../../plan/moves.js';
import type { WatchEvent } from './log.js';

export interface WatcherOptions {
  repo: Repo;
  /** The desired-state file, relative to the repository root. */
  file: string;
  branch: string;
  remote: string;
  pullIntervalMs?: number;
  resyncIntervalMs: number;
  /** Quiet time after the last ref event before reconciling: a burst of commits applies once. */
  debounceMs: number;
  selfHeal: boolean;
  recordNotes: boolean;
  driver: DriverName;
  /** --vpopmail-home / --qmail-home, already absolute. */
  overrides: Overrides;
  env: Record<string, string | undefined>;
  host: string;
  /** --allow-moves: commits that move users between the servers of a fleet are applied. */
  allowMoves?: boolean;
  /** --peer-snapshots: the evidence a move-out waits for. */
  peers?: PeerEvidence;
  emit(event: WatchEvent): void;
  now?: () => Date;
}

/** The first line of the log: what is followed, and how often it is looked at. */
export function startEvent(options: WatcherOptions): WatchEvent {
  return {
    event: 'start',
    repo: options.repo.root,
    branch: options.branch,
    file: options.file,
    resyncSeconds: options.resyncIntervalMs / 1000,
    ...(options.pullIntervalMs === undefined ? {} : { pullSeconds: options.pullIntervalMs / 1000 }),
    selfHeal: options.selfHeal,
  };
}
