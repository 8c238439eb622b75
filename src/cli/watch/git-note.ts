import { hasRemote, lastNoteRecord, notesRef, pushNotes, readNote, recordNote } from '../../git/notes.js';
import type { Repo } from '../../git/repo.js';
import { inEffectAfter, type ConvergeResult } from '../../reconcile/index.js';
import type { WatchEvent } from './log.js';
import { repairedDrift } from './reconcile-outcome.js';
import type { ReconcileRecord } from './state-file.js';

/** Outcomes noted only once per commit: the watcher retries them, and one record of each is enough. */
const NOTED_FAILURES = new Set(['refused', 'failed', 'invalid']);

/**
 * Whether a reconcile is worth a note on its commit (--record-notes): it wrote something, or it
 * found the commit in effect for the first time, or the commit could not be applied (what a fleet's
 * `status --fleet` must show). A drift check that found nothing to repair is not: nothing new
 * happened to the commit.
 */
export function deservesNote(result: ConvergeResult): boolean {
  return (
    result.outcome === 'applied' ||
    (inEffectAfter(result.outcome) && !result.driftCheck) ||
    NOTED_FAILURES.has(result.outcome)
  );
}

/** Moves this server holds back until their new server has the mailbox (plan/moves.ts). */
export function movesWaiting(result: ConvergeResult): number {
  return result.diagnostics.filter((d) => d.code === 'move-waiting').length;
}

/** One paragraph of the commit's note; `driftRepaired` when the apply re-converged a commit already in effect. */
export function noteText(record: ReconcileRecord, host: string, driftRepaired = false, waiting = 0): string {
  const moved = record.counts?.move ? `, ${record.counts.move} moved` : '';
  const counts = record.counts
    ? ` (${record.counts.add} added, ${record.counts.change} changed, ${record.counts.delete} deleted${moved})`
    : '';
  const what = driftRepaired ? 'drift repaired' : record.outcome;
  const details = [
    ...(waiting > 0 ? [`${waiting} move${waiting === 1 ? '' : 's'} waiting for the new server`] : []),
    // A reason is mailstate's own sentence; one line of it, bounded, is what a note can carry.
    ...(NOTED_FAILURES.has(record.outcome) && record.reason ? [record.reason.split('\n')[0]!.slice(0, 300)] : []),
  ];
  return `mailstate: ${what}${counts} on ${host} at ${record.time}; plan digest ${record.digest ?? '-'}${details.map((d) => `; ${d}`).join('')}`;
}

/**
 * Records the note and logs whether it worked, then publishes the notes ref to the remote when the
 * repository has one; neither failure fails the reconcile. An outcome already noted on the commit
 * (a refusal retried, a move still held back) is not noted again.
 */
export async function recordReconcileNote(
  repo: Repo,
  host: string,
  remote: string,
  record: ReconcileRecord,
  result: ConvergeResult,
  emit: (event: WatchEvent) => void,
): Promise<void> {
  const text = noteText(record, host, repairedDrift(result), movesWaiting(result));
  if (result.outcome !== 'applied') {
    // The watcher retries refused commits and held-back moves: their record is kept once.
    const previous = lastNoteRecord((await readNote(repo, notesRef(host), record.commit)) ?? '');
    const now = lastNoteRecord(text);
    if (previous && previous.what === now?.what && previous.detail === now.detail) return;
  }
  let ref: string;
  try {
    ref = await recordNote(repo, record.commit, host, text);
  } catch (error) {
    emit({ event: 'note', commit: record.commit, outcome: 'failed', reason: (error as Error).message });
    return;
  }
  if (!(await hasRemote(repo, remote))) {
    emit({ event: 'note', commit: record.commit, outcome: 'recorded', ref });
    return;
  }
  try {
    await pushNotes(repo, remote, host);
    emit({ event: 'note', commit: record.commit, outcome: 'recorded', ref, pushed: remote });
  } catch (error) {
    emit({ event: 'note', commit: record.commit, outcome: 'push-failed', ref, reason: (error as Error).message });
  }
}
