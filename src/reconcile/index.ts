/**
 * The reconcile pipeline as a library: desired state → live state → plan → apply under the lock,
 * each stage returning its value or why it stopped (`Staged`). The CLI commands and the watcher
 * (one per server of a fleet) call it; they only map its outcomes to exit codes and log lines.
 */
export { applyWithLock, type ApplyOptions, type ApplyRun } from './apply.js';
export { desiredAtRef, planAgainstBase, planAgainstSnapshot, type PlanAgainst, type PlanContext } from './against.js';
export {
  convergeCommit,
  inEffectAfter,
  type ConvergeOutcome,
  type ConvergeRequest,
  type ConvergeResult,
} from './converge.js';
export {
  acceptDesired,
  loadDesiredFile,
  loadDesiredWithSecrets,
  overridesFrom,
  resolveDesiredSecrets,
  type DesiredSource,
  type Report,
} from './desired.js';
export { driftFromCommit, type DriftRequest } from './drift.js';
export { planFleetFromSnapshots, type FleetPlanRun } from './fleet.js';
export { planAgainstServer, planChanges, readLiveState, type LiveRead, type LiveSource, type PlanRun } from './plan.js';
export type { Refusal, RefusalKind, Staged } from './refusal.js';
