import { inEffectAfter, type ConvergeOutcome } from '../../reconcile/index.js';
import type { Trigger } from './log.js';

/** What the watcher knows when a reconcile is due. */
export interface WatchMemory {
  /** The branch tip last reconciled (whatever the outcome). */
  lastTip: string | undefined;
  /** The commit the server is known to be at: applied, or found already in effect. */
  inEffect: string | undefined;
  /** Commits whose YAML does not validate: never retried. */
  invalidCommits: ReadonlySet<string>;
}

export type Decision =
  /** Nothing to do: a ref event that did not move the tip, or nothing valid to converge to yet. */
  { kind: 'skip' } | { kind: 'reconcile'; target: string; trigger: Trigger };

/**
 * The watcher's choice, without timers or I/O: given the branch tip now and the triggers merged
 * since the last reconcile, which commit to converge the server to, and what to log as the cause.
 * A new tip is logged as the pull or commit that brought it; a tip already seen is re-checked only
 * on start, retry or resync. A commit that does not validate never will: the server is held to the
 * last good one instead.
 */
export function decide(memory: WatchMemory, tip: string, triggers: ReadonlySet<Trigger>): Decision {
  const newTip = tip !== memory.lastTip;
  if (!newTip && [...triggers].every((t) => t === 'commit' || t === 'pull')) return { kind: 'skip' };
  const trigger: Trigger =
    newTip && triggers.has('pull')
      ? 'pull'
      : newTip && triggers.has('commit')
        ? 'commit'
        : triggers.has('start')
          ? 'start'
          : triggers.has('retry')
            ? 'retry'
            : 'resync';
  const target = memory.invalidCommits.has(tip) ? memory.inEffect : tip;
  return target === undefined ? { kind: 'skip' } : { kind: 'reconcile', target, trigger };
}

/**
 * What the watcher knows after converging to `target`, with `tip` already counted as seen. Only a
 * tip is marked invalid: when the target was the last good commit held instead, the tip already is.
 * A commit with moves still waiting for their new server is not wholly in effect: it is applied
 * again (not only drift-checked) until they are done.
 */
export function remember(
  memory: WatchMemory,
  tip: string,
  target: string,
  outcome: ConvergeOutcome,
  movesWaiting = 0,
): WatchMemory {
  return {
    lastTip: memory.lastTip,
    inEffect: inEffectAfter(outcome) && movesWaiting === 0 ? target : memory.inEffect,
    invalidCommits:
      outcome === 'invalid' && target === tip ? new Set([...memory.invalidCommits, tip]) : memory.invalidCommits,
  };
}
