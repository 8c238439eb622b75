import { formatDiagnostic } from '../../model/diagnostic.js';
import type { ConvergeResult } from '../../reconcile/index.js';
import { planDigest } from '../../render/digest.js';
import { describeExemption } from '../../render/thresholds.js';
import type { Trigger, WatchEvent } from './log.js';
import type { ReconcileRecord } from './state-file.js';

/**
 * How one reconcile is written down: the record saved for `mailstate status` and the line logged.
 * Their keys keep one order, as the state file and the JSON log are read by people and tools.
 */

export function reconcileRecord(
  commit: string,
  trigger: Trigger,
  result: ConvergeResult,
  time: Date,
  durationMs: number,
): ReconcileRecord {
  return {
    commit,
    time: time.toISOString(),
    outcome: result.outcome,
    trigger,
    durationMs,
    ...(result.plan ? { counts: result.plan.summary, digest: planDigest(result.plan) } : {}),
    ...(result.reason ? { reason: result.reason } : {}),
  };
}

/** An apply that re-converged a commit already in effect: drift repaired, not a new commit applied. */
export function repairedDrift(result: ConvergeResult): boolean {
  return result.outcome === 'applied' && result.driftCheck;
}

/** The log line of a reconcile; `drift` marks an apply that repaired a commit already in effect. */
export function reconcileEvent(record: ReconcileRecord, result: ConvergeResult): WatchEvent {
  const repaired = repairedDrift(result);
  const exemptions = result.plan?.thresholdExemptions ?? [];
  return {
    event: 'reconcile',
    commit: record.commit,
    trigger: record.trigger,
    outcome: result.outcome,
    durationMs: record.durationMs,
    ...(record.counts ? { counts: record.counts } : {}),
    ...(repaired ? { drift: true } : {}),
    ...(record.digest ? { digest: record.digest } : {}),
    ...(record.reason ? { reason: record.reason } : {}),
    ...(result.diagnostics.length > 0 ? { diagnostics: result.diagnostics.map(formatDiagnostic) } : {}),
    ...(exemptions.length > 0 ? { exemptions: exemptions.map(describeExemption) } : {}),
  };
}
