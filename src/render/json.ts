import type { Plan, PlanSummary } from '../model/change.js';
import type { FileDiffs } from '../model/file-diff.js';
import { planDigest } from './digest.js';
import { fileDiffsToJson } from './file-diffs.js';
import { PLAN_FORMAT_VERSION, redactChange } from './redact.js';

export { PLAN_FORMAT_VERSION, redactChange };

export function planToJson(plan: Plan): object {
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    digest: planDigest(plan),
    summary: jsonSummary(plan.summary),
    changes: plan.changes.map(redactChange),
    thresholdBreaches: plan.thresholdBreaches,
    // Added after formatVersion 1 first shipped: only when there is one, so a plan without them
    // (and a plan saved before them) is the same JSON as before.
    ...(plan.policyBreaches.length > 0 ? { policyBreaches: plan.policyBreaches } : {}),
    ...(plan.thresholdExemptions.length > 0 ? { thresholdExemptions: plan.thresholdExemptions } : {}),
    unmanaged: plan.unmanaged,
    unmanagedDomains: plan.unmanagedDomains,
    warnings: plan.warnings,
    ...(plan.partial ? { partial: plan.partial } : {}),
    ...(plan.fleet ? { fleet: plan.fleet } : {}),
  };
}

/** `move` came with fleets: a plan that moves no one is the same JSON (and digest) as before it. */
function jsonSummary(summary: PlanSummary): object {
  const { move, ...rest } = summary;
  return move > 0 ? { ...rest, move } : rest;
}

/** `fileDiffs` (plan --diff) adds `fileDiffs` and `fileOperations`; formatVersion 1 readers ignore them. */
export function renderJson(plan: Plan, fileDiffs?: FileDiffs): string {
  const json = fileDiffs ? { ...planToJson(plan), ...fileDiffsToJson(fileDiffs) } : planToJson(plan);
  return `${JSON.stringify(json, null, 2)}\n`;
}
