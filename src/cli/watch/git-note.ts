import { recordNote } from '../../git/notes.js';
import type { Repo } from '../../git/repo.js';
import { inEffectAfter, type ConvergeResult } from '../../reconcile/index.js';
import type { WatchEvent } from './log.js';
import { repairedDrift } from './reconcile-outcome.js';
import type { ReconcileRecord } from './state-file.js';

/**
 * Whether a reconcile is worth a note on its commit (--record-notes): it wrote something, or it
 * found the commit in effect for the first time. A drift check that found nothing to repair is not:
 * nothing new happened to the commit.
 */
export function deservesNote(result: ConvergeResult): boolean {
  return result.outcome === 'applied' || (inEffectAfter(result.outcome) && !result.driftCheck);
}

/** One paragraph of the commit's note; `driftRepaired` when the apply re-converged a commit already in effect. */
export function noteText(record: ReconcileRecord, host: string, driftRepaired = false): string {
  const counts = record.counts
    ? ` (${record.counts.add} added, ${record.counts.change} changed, ${record.counts.delete} deleted)`
    : '';
  const what = driftRepaired ? 'drift repaired' : record.outcome;
  return `mailstate: ${what}${counts} on ${host} at ${record.time}; plan digest ${record.digest ?? '-'}`;
}

/** Records the note and logs whether it worked; a failed note does not fail the reconcile. */
export async function recordReconcileNote(
  repo: Repo,
  host: string,
  record: ReconcileRecord,
  result: ConvergeResult,
  emit: (event: WatchEvent) => void,
): Promise<void> {
  try {
    const ref = await recordNote(repo, record.commit, host, noteText(record, host, repairedDrift(result)));
    emit({ event: 'note', commit: record.commit, outcome: 'recorded', ref });
  } catch (error) {
    emit({ event: 'note', commit: record.commit, outcome: 'failed', reason: (error as Error).message });
  }
}
