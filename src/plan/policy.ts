import type { Change, PlanSummary, PolicyBreach, ThresholdBreach, ThresholdExemption } from '../model/change.js';
import type { Policy } from '../model/state.js';
import { affectedUserCount } from './users.js';

/** Below this many live users (or relay rules) a set is too small for a percentage to mean anything. */
export const THRESHOLD_MIN_USERS = 10;

/**
 * Relay rules that local programs relay through: qmail-inject and sendmail go through
 * qmail-queue, but webmail, PHP mail() over SMTP and the like connect to 127.0.0.1:25.
 */
export const LOOPBACK_RELAYS: readonly string[] = ['127.', '127.0.0.1'];

/** One set's share of changed members against policy.maxChangePercent. */
export interface ShareCheck {
  breach?: { live: number; affected: number; percent: number; limit: number };
  exemption?: ThresholdExemption;
}

/**
 * The octoDNS-style guard against a bad merge (an include glob that matched nothing, a truncated
 * file): too large a share of a set deleted or changed at once. A set smaller than
 * THRESHOLD_MIN_USERS is exempt, as in octoDNS, but the exemption is said when it is what lets
 * the plan through.
 */
export function shareCheck(
  subject: ThresholdExemption['subject'],
  domain: string | undefined,
  live: number,
  affected: number,
  policy: Policy,
): ShareCheck {
  if (live === 0 || affected === 0) return {};
  const exact = (affected / live) * 100;
  if (exact <= policy.maxChangePercent) return {};
  const share = { live, affected, percent: Math.round(exact * 10) / 10, limit: policy.maxChangePercent };
  if (live >= THRESHOLD_MIN_USERS) return { breach: share };
  return {
    exemption: { ...(domain === undefined ? {} : { domain }), subject, ...share, minimum: THRESHOLD_MIN_USERS },
  };
}

/** A domain's users against policy.maxChangePercent. */
export function thresholdBreach(
  domain: string,
  liveUsers: number,
  changes: readonly Change[],
  policy: Policy,
): { breach?: ThresholdBreach; exemption?: ThresholdExemption } {
  const { breach, exemption } = shareCheck('users', domain, liveUsers, affectedUserCount(changes), policy);
  return {
    ...(breach
      ? {
          breach: {
            domain,
            liveUsers: breach.live,
            affectedUsers: breach.affected,
            percent: breach.percent,
            limit: breach.limit,
          },
        }
      : {}),
    ...(exemption ? { exemption } : {}),
  };
}

/**
 * The relay rules against the same threshold as users (the live rules whose address the YAML no
 * longer declares, over the live rules, by distinct address: a rule has nothing to change, and
 * dropping a second copy of a declared rule loses nothing), and the loopback rules, whose deletion
 * always needs --force: relaying for local programs is what a truncated `relay:` list breaks
 * first, and nothing says so until mail from the webmail on the host bounces.
 */
export function relayChecks(
  liveAddresses: readonly string[],
  declared: ReadonlySet<string>,
  changes: readonly Change[],
  policy: Policy,
): { breaches: PolicyBreach[]; exemption?: ThresholdExemption } {
  const lost = new Set<string>();
  for (const change of changes) {
    if (change.kind === 'delete-relay' && !declared.has(change.address)) lost.add(change.address);
  }
  const breaches: PolicyBreach[] = [];
  const { breach, exemption } = shareCheck('relay rules', undefined, new Set(liveAddresses).size, lost.size, policy);
  if (breach)
    breaches.push({
      kind: 'relay-percent',
      liveRules: breach.live,
      affectedRules: breach.affected,
      percent: breach.percent,
      limit: breach.limit,
    });
  for (const address of LOOPBACK_RELAYS) if (lost.has(address)) breaches.push({ kind: 'loopback-relay', address });
  return { breaches, ...(exemption ? { exemption } : {}) };
}

/** policy.maxMovePercent when the YAML gives none: adding an 11th server moves about 9 % of a spread domain. */
export const DEFAULT_MAX_MOVE_PERCENT = 10;

/** policy.maxMovePercent: a domain's users moved between servers in one apply (domains under 10 users exempt). */
export function moveBreach(
  domain: string,
  liveUsers: number,
  changes: readonly Change[],
  policy: Policy,
): PolicyBreach | undefined {
  const moves = changes.filter((c) => c.kind === 'move-in' || c.kind === 'move-out').length;
  const limit = policy.maxMovePercent ?? DEFAULT_MAX_MOVE_PERCENT;
  const { breach } = shareCheck('users', domain, liveUsers, moves, { ...policy, maxChangePercent: limit });
  return breach
    ? { kind: 'move-percent', domain, liveUsers: breach.live, moves, percent: breach.percent, limit: breach.limit }
    : undefined;
}

/** policy.maxChanges: the adds, changes and deletes of one apply (CDB rebuilds follow from them and are not counted). */
export function maxChangesBreach(summary: PlanSummary, policy: Policy): PolicyBreach | undefined {
  if (policy.maxChanges === undefined) return undefined;
  const changes = summary.add + summary.change + summary.delete;
  return changes > policy.maxChanges ? { kind: 'max-changes', changes, limit: policy.maxChanges } : undefined;
}
