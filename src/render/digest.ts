import { createHash } from 'node:crypto';
import type { Plan } from '../model/change.js';
import { PLAN_FORMAT_VERSION, redactChange } from './redact.js';

/**
 * What a plan's digest covers: exactly what apply would do (the changes, with passwords redacted
 * as in `--format json`, and the threshold breaches that make it refuse), under the JSON format
 * version. Warnings and the "left alone" lists are information for the reviewer and are left out,
 * so the same plan made from a snapshot in CI and from the server under the apply lock has the
 * same digest.
 */
export function digestInput(plan: Plan): string {
  return JSON.stringify({
    formatVersion: PLAN_FORMAT_VERSION,
    changes: plan.changes.map(redactChange),
    thresholdBreaches: plan.thresholdBreaches,
  });
}

/** sha256 of `digestInput`, lowercase hex: `jq -cj '{formatVersion, changes, thresholdBreaches}' plan.json | sha256sum`. */
export function planDigest(plan: Plan): string {
  return createHash('sha256').update(digestInput(plan), 'utf8').digest('hex');
}

/** A digest as a user may give it: bare hex or `sha256:` followed by hex, any case. */
export function normaliseDigest(text: string): string | undefined {
  const hex = text
    .trim()
    .replace(/^sha256:/i, '')
    .toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}
