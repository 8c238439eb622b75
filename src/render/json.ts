import type { Plan } from '../model/change.js';
import { planDigest } from './digest.js';
import { PLAN_FORMAT_VERSION, redactChange } from './redact.js';

export { PLAN_FORMAT_VERSION, redactChange };

export function planToJson(plan: Plan): object {
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    digest: planDigest(plan),
    summary: plan.summary,
    changes: plan.changes.map(redactChange),
    thresholdBreaches: plan.thresholdBreaches,
    unmanaged: plan.unmanaged,
    unmanagedDomains: plan.unmanagedDomains,
    warnings: plan.warnings,
  };
}

export function renderJson(plan: Plan): string {
  return `${JSON.stringify(planToJson(plan), null, 2)}\n`;
}
