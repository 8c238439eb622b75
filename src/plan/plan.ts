import {
  summarise,
  type Change,
  type PartialPlan,
  type Plan,
  type PolicyBreach,
  type StructureChange,
  type ThresholdBreach,
  type ThresholdExemption,
} from '../model/change.js';
import type { Diagnostic, Result } from '../model/diagnostic.js';
import type { DesiredDomain, DesiredState, LiveDomain, LiveState, Targets, UnmanagedObject } from '../model/state.js';
import { emptyDomainChanges, flattenDomainChanges, type DomainChanges } from './domain-changes.js';
import type { PasswordComparison } from './password.js';
import { maxChangesBreach, moveBreach, relayChecks, thresholdBreach } from './policy.js';
import { diffAliases, diffForwards } from './redirections.js';
import { fleetPlan } from './fleet-routes.js';
import { leavingUsers, planMoves, withoutLeaving, type PeerEvidence } from './moves.js';
import { diffRelay } from './relay.js';
import { diffUsers, PROTECTED_USER, sortedValues } from './users.js';

export interface PlanOptions {
  /** How passwords compare when `live` is a snapshot (see plan/password.ts). */
  passwords?: PasswordComparison;
  /** What is known of the other servers of a fleet: a user moves out only to a server that has its mailbox. */
  peers?: PeerEvidence;
  /** This server's `control/smtproutes` (empty when it has none); undefined when not read. */
  smtproutes?: string;
  /** `mailstate release`: moved-out users (`user@domain`) whose old mailbox is archived now. */
  release?: ReadonlySet<string>;
}

function partialPlan(desired: DesiredState, targets: Targets): PartialPlan {
  return { ...targets, domains: [...desired.domains.keys()].sort() };
}

/**
 * The pure heart of mailstate: desired × live → an ordered list of typed changes. Deterministic
 * (domains, users and aliases in sorted order), no I/O. Conflicts that no plan can resolve safely
 * (an unmanaged .qmail file in the way, a new user without a password) fail the whole plan.
 */
export function diffState(desired: DesiredState, live: LiveState, options: PlanOptions = {}): Result<Plan> {
  const diagnostics: Diagnostic[] = [];
  const unmanaged: UnmanagedObject[] = [];
  const changes: Change[] = [];
  const thresholdBreaches: ThresholdBreach[] = [];
  const thresholdExemptions: ThresholdExemption[] = [];
  const movePolicyBreaches: PolicyBreach[] = [];

  for (const domain of sortedValues(desired.domains)) {
    const liveDomain = live.domains.get(domain.name);
    const diff = diffDomain({ desired, domain, liveDomain, server: live, options });
    appendAll(changes, diff.changes);
    appendAll(unmanaged, diff.unmanaged);
    appendAll(diagnostics, diff.diagnostics);
    const { breach, exemption } = thresholdBreach(
      domain.name,
      liveDomain?.users.size ?? 0,
      diff.changes,
      desired.policy,
    );
    if (breach) thresholdBreaches.push(breach);
    if (exemption) thresholdExemptions.push(exemption);
    const moves = desired.share
      ? moveBreach(domain.name, liveDomain?.users.size ?? 0, diff.changes, desired.policy)
      : undefined;
    if (moves) movePolicyBreaches.push(moves);
  }

  const relay = diffRelay(desired.relay, live.relay, desired.policy);
  appendAll(changes, relay.changes);
  appendAll(unmanaged, relay.unmanaged);
  const relayLive = live.relay.lines.flatMap((line) => (line.kind === 'relay' ? [line.address] : []));
  const relayDeclared = new Set(desired.relay?.map((rule) => rule.address));
  const relaySafety = relayChecks(relayLive, relayDeclared, relay.changes, desired.policy);
  const policyBreaches: PolicyBreach[] = [...relaySafety.breaches, ...movePolicyBreaches];
  if (relaySafety.exemption) thresholdExemptions.push(relaySafety.exemption);
  const summary = summarise(changes);
  const overCap = maxChangesBreach(summary, desired.policy);
  if (overCap) policyBreaches.unshift(overCap);

  // A declared domain that --domain left out is not "not in the YAML": the partial plan names it.
  const leftOut = new Set([...(desired.targets?.leftOut ?? []), ...(desired.share?.elsewhere ?? [])]);
  const unmanagedDomains = [...live.assignDomains]
    .filter(([name, real]) => name === real && !desired.domains.has(name) && !leftOut.has(name))
    .map(([name]) => name)
    .sort();
  if (diagnostics.some((d) => d.severity === 'error')) return { ok: false, diagnostics };
  return {
    ok: true,
    value: {
      changes,
      unmanaged,
      unmanagedDomains,
      warnings: diagnostics,
      thresholdBreaches,
      policyBreaches,
      thresholdExemptions,
      summary,
      ...(desired.targets ? { partial: partialPlan(desired, desired.targets) } : {}),
      ...(desired.share ? { fleet: fleetPlan(desired.share, options.smtproutes) } : {}),
    },
    diagnostics,
  };
}

/**
 * `target.push(...items)` passes every item as a call argument, which overflows the stack past
 * ~130k items: a domain of 200k users would kill the plan. A loop has no such limit.
 */
function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

/** One declared domain against the server. */
interface DomainInput {
  desired: DesiredState;
  domain: DesiredDomain;
  liveDomain: LiveDomain | undefined;
  server: LiveState;
  options: PlanOptions;
}

interface DomainDiff {
  changes: Change[];
  unmanaged: UnmanagedObject[];
  diagnostics: Diagnostic[];
}

function diffDomain(input: DomainInput): DomainDiff {
  const { desired, domain, liveDomain, options } = input;
  const conflict = domainConflict(input);
  if (conflict) return { changes: [], unmanaged: [], diagnostics: [conflict] };
  const buckets = emptyDomainChanges();
  const unmanaged: UnmanagedObject[] = [...(liveDomain?.unmanaged ?? [])];
  const diagnostics: Diagnostic[] = [];
  if (!liveDomain) {
    if (!domain.users.has(PROTECTED_USER)) {
      diagnostics.push({
        severity: 'error',
        code: 'postmaster-required',
        message: `domain "${domain.name}" does not exist yet: declare its postmaster user (with a password), which vpopmail creates with every domain`,
        ...domain.source,
      });
    }
    // vadddomain gives it the vpopmail account's uid/gid: one the reader could only find as root's
    // would register the domain for root, which qmail never delivers to.
    const owner = input.server.newDomainOwner;
    if (owner && 'refused' in owner) {
      const message = `cannot add domain "${domain.name}": ${owner.refused}`;
      diagnostics.push({ severity: 'error', code: 'live-conflict', message, ...domain.source });
    }
    const dir = `${desired.vpopmailHome}/domains/${domain.name}`;
    buckets.structure.push({ kind: 'add-domain', domain: domain.name, dir });
  }
  diffAliasDomains(input, { buckets, unmanaged, diagnostics });
  const repair = usersCdbRepair(input);
  if (repair) buckets.structure.push(repair);

  const archiveParent = `${desired.vpopmailHome}/archive/${domain.name}`;
  // A user leaving for another server of the fleet is planned by planMoves alone.
  const leaving = desired.share ? leavingUsers(desired.share, domain.name, liveDomain) : new Set<string>();
  const view = withoutLeaving(domain, liveDomain, leaving);
  const shared = { domain: view.domain, live: view.live, policy: desired.policy, buckets, unmanaged, diagnostics };
  diffUsers({ ...shared, archiveParent, ...(options.passwords ? { passwords: options.passwords } : {}) });
  diffForwards(shared);
  diffAliases(shared);
  if (desired.share) {
    const moves = { share: desired.share, domain, live: liveDomain, buckets, diagnostics, archiveParent };
    planMoves(
      {
        ...moves,
        ...(options.peers ? { peers: options.peers } : {}),
        ...(options.release ? { release: options.release } : {}),
      },
      leaving,
    );
  }

  const usersChanged =
    buckets.userAdditions.length + buckets.userDeletions.length + buckets.userModifications.length > 0;
  const cdbReason = usersChanged ? 'users changed' : staleCdbReason(liveDomain);
  if (cdbReason) {
    buckets.cdb.push({ kind: 'rebuild-vpasswd-cdb', domain: domain.name, reason: cdbReason });
    if (liveDomain) refuseRebuildOverMalformed(liveDomain, diagnostics);
  }
  return { changes: flattenDomainChanges(buckets), unmanaged, diagnostics };
}

/** A declared domain the server holds in a shape no plan can act on. */
function domainConflict({ domain, liveDomain, server }: DomainInput): Diagnostic | undefined {
  if (liveDomain) return undefined;
  const aliasOf = server.assignDomains.get(domain.name);
  if (aliasOf === undefined) return undefined;
  const message =
    aliasOf !== domain.name
      ? `domain "${domain.name}" exists on the server as an alias domain of ${aliasOf}: declare it under ${aliasOf}'s aliasDomains instead`
      : // In users/assign but not read: its directory was refused (the reader said why).
        `domain "${domain.name}" exists in users/assign but its directory could not be read safely: nothing is planned for it`;
  return { severity: 'error', code: 'live-conflict', message, ...domain.source };
}

/** New alias domains are added; live ones the YAML leaves out are reported, never removed. */
function diffAliasDomains(
  { domain, liveDomain, server }: DomainInput,
  out: Pick<DomainDiff, 'unmanaged' | 'diagnostics'> & { buckets: DomainChanges },
): void {
  const liveAliasDomains = new Set(liveDomain?.aliasDomains ?? []);
  for (const alias of domain.aliasDomains) {
    if (liveAliasDomains.has(alias)) continue;
    const existing = server.assignDomains.get(alias);
    if (existing !== undefined) {
      out.diagnostics.push({
        severity: 'error',
        code: 'live-conflict',
        message: `alias domain "${alias}" of "${domain.name}": ${alias} already exists on the server (${existing === alias ? 'as a real domain' : `as an alias of ${existing}`})`,
        ...domain.source,
      });
      continue;
    }
    out.buckets.structure.push({ kind: 'add-alias-domain', domain: domain.name, alias });
  }
  for (const alias of liveAliasDomains) {
    if (domain.aliasDomains.includes(alias)) continue;
    out.unmanaged.push({
      domain: domain.name,
      kind: 'alias-domain',
      name: alias,
      file: `${server.qmailHome}/users/assign`,
      reason: 'alias domain not declared: domains are never removed by mailstate',
    });
  }
}

/** users/cdb rebuilt when it does not route the domain (or its aliases) as users/assign says. */
function usersCdbRepair({ domain, liveDomain, server }: DomainInput): StructureChange | undefined {
  if (!liveDomain) return undefined;
  const unrouted = [domain.name, ...liveDomain.aliasDomains].filter((name) => server.usersCdbOutOfDate?.includes(name));
  if (unrouted.length === 0) return undefined;
  const them = unrouted.length === 1 ? 'it' : 'them';
  return {
    kind: 'rebuild-users-cdb',
    domain: domain.name,
    reason: `users/cdb does not route ${unrouted.join(', ')} as users/assign says, so qmail does not deliver to ${them}`,
  };
}

/** Why vpasswd.cdb needs a rebuild when no user changed, or undefined when it is fresh. */
function staleCdbReason(liveDomain: LiveDomain | undefined): string | undefined {
  if (!liveDomain?.vpasswdExists || liveDomain.cdb.state === 'fresh') return undefined;
  const detail = 'detail' in liveDomain.cdb ? ` (${liveDomain.cdb.detail})` : '';
  return `vpasswd.cdb is ${liveDomain.cdb.state}${detail}: logins and delivery read only the cdb`;
}

/**
 * A vpasswd.cdb rebuilt from a vpasswd with an unreadable line stores that line as its user's
 * record: a user whose line a hand edit broke, who still logs in through the old record, would be
 * locked out. So no plan rebuilds the cdb of such a domain until the line is fixed, unless a
 * readable line of the same name comes first (lookups keep its record). A line users.ts already
 * refused (a declared or deleted user) is not reported twice.
 */
function refuseRebuildOverMalformed(live: LiveDomain, diagnostics: Diagnostic[]): void {
  const file = `${live.dir}/vpasswd`;
  for (const { name, line } of live.malformedVpasswdLines ?? []) {
    if (diagnostics.some((d) => d.code === 'vpasswd-malformed-user' && d.file === file && d.line === line)) continue;
    // A readable line of the same name comes first: its record is the one lookups keep using.
    const readable = live.users.get(name);
    if (readable !== undefined && readable.line < line) continue;
    const quoted = JSON.stringify(name);
    diagnostics.push({
      severity: 'error',
      code: 'vpasswd-malformed-line',
      message: `vpasswd line ${line} for ${quoted} cannot be read, and this plan rebuilds vpasswd.cdb of ${live.name} from vpasswd, which would make that broken line the record ${quoted} logs in with: fix or remove the line by hand first`,
      file,
      line,
    });
  }
}
