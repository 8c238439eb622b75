import type { Change, ThresholdBreach } from '../model/change.js';
import type { Policy } from '../model/state.js';
import { affectedUserCount } from './users.js';

/** Below this many live users a domain is too small for a percentage to mean anything. */
export const THRESHOLD_MIN_USERS = 10;

/**
 * The octoDNS-style guard against a bad merge (an include glob that matched nothing, a
 * truncated file): too large a share of a domain's users deleted or changed at once.
 */
export function thresholdBreach(
  domain: string,
  liveUsers: number,
  changes: readonly Change[],
  policy: Policy,
): ThresholdBreach | undefined {
  if (liveUsers < THRESHOLD_MIN_USERS) return undefined;
  const affectedUsers = affectedUserCount(changes);
  const percent = (affectedUsers / liveUsers) * 100;
  if (percent <= policy.maxChangePercent) return undefined;
  return { domain, liveUsers, affectedUsers, percent: Math.round(percent * 10) / 10, limit: policy.maxChangePercent };
}
