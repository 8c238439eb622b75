import { recordNote } from '../../git/notes.js';
import type { Repo } from '../../git/repo.js';
import { inEffectAfter, type ConvergeResult } from '../../reconcile/index.js';
import type { WatchEvent } from './log.js';
import type { ReconcileRecord } from './state-file.js';

/**
 * Whether a reconcile is worth a note on its commit (--record-notes): it wrote something, or it
 * found the commit in effect for the first time. A drift check that found nothing to repair is not:
 * nothing new happened to the commit.
 */
export function deservesNote(result: ConvergeResult): boolean {
  return result.outcome === 'applied' || (inEffectAfter(result.outcome) && !result.driftCheck);
}

export function noteText(record: ReconcileRecord, host: string): string {
  const counts = record.counts
    ? ` (${record.counts.add} added, ${record.counts.change} changed, ${record.counts.delete} deleted)`
    : '';
  return `mailstate: ${record.outcome}${counts} on ${host} at ${record.time}; plan digest ${record.digest ?? '-'}`;
}

/** Records the note and logs whether it worked; a failed note does not fail the reconcile. */
export async function recordReconcileNote(
  repo: Repo,
  host: string,
  record: ReconcileRecord,
  emit: (event: WatchEvent) => void,
): Promise<void> {
  try {
    const ref = await recordNote(repo, record.commit, host, noteText(record, host));
    emit({ event: 'note', commit: record.commit, outcome: 'recorded', ref });
  } catch (error) {
    emit({ event: 'note', commit: record.commit, outcome: 'failed', reason: (error as Error).message });
  }
}
