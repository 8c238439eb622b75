import { PROTECTED_USER } from '../plan/users.js';
import type { DesiredDomain, DesiredUser, DomainPlacement, Fleet, FleetServer } from '../model/state.js';
import { hrwPlace, hrwRing, hrwScores, type HrwRing, type Scored } from './hrw.js';

/**
 * Where every user of a fleet lives: a pure function of the committed YAML, so each server's
 * watcher computes the same answer from the same commit without asking the others.
 *
 * - `server:` on a user pins it.
 * - A whole domain (`server:` on the domain, or `defaults.placement: NAME`) lives on that server.
 * - A spread domain's users are placed by weighted rendezvous hashing of `user@domain` (hrw.ts).
 * - postmaster is a mailbox on every server that holds its domain: vadddomain makes one with
 *   each domain, and RFC 5321 wants postmaster deliverable at every MX.
 */

/** postmaster without a pin of its own: a mailbox on every server that holds its domain. */
export function onEveryHolder(user: Pick<DesiredUser, 'name' | 'server'>): boolean {
  return user.name === PROTECTED_USER && user.server === undefined;
}

/** Why a user lives where it lives, for `place --explain`. */
export type PlacementReason =
  | { kind: 'user-pin' }
  | { kind: 'domain'; from: 'domain' | 'defaults' }
  | { kind: 'hash'; from: 'domain' | 'defaults'; scores: Scored[] }
  | { kind: 'postmaster' };

export interface Placer {
  fleet: Fleet;
  ring: HrwRing;
  byName: ReadonlyMap<string, FleetServer>;
}

export function placer(fleet: Fleet): Placer {
  return { fleet, ring: hrwRing(fleet.servers), byName: new Map(fleet.servers.map((s) => [s.name, s])) };
}

/** The placement in effect for a domain: its own, or the fleet's default. */
export function domainPlacement(placer: Placer, domain: DesiredDomain): DomainPlacement {
  return domain.placement ?? placer.fleet.defaultPlacement;
}

/** The key a spread user is hashed by. */
export function placementKey(user: string, domain: string): string {
  return `${user}@${domain}`;
}

/** The server a (non-postmaster) user lives on. */
export function homeOf(placer: Placer, domain: DesiredDomain, user: Pick<DesiredUser, 'name' | 'server'>): string {
  if (user.server !== undefined) return user.server;
  const placement = domainPlacement(placer, domain);
  return placement.kind === 'server' ? placement.server : hrwPlace(placer.ring, placementKey(user.name, domain.name));
}

/** homeOf, and why. */
export function explainHome(
  placer: Placer,
  domain: DesiredDomain,
  user: Pick<DesiredUser, 'name' | 'server'>,
): { server: string; reason: PlacementReason } {
  if (onEveryHolder(user)) return { server: holdersOf(placer, domain)[0]!, reason: { kind: 'postmaster' } };
  if (user.server !== undefined) return { server: user.server, reason: { kind: 'user-pin' } };
  const from = domain.placement ? 'domain' : 'defaults';
  const placement = domainPlacement(placer, domain);
  if (placement.kind === 'server') return { server: placement.server, reason: { kind: 'domain', from } };
  const scores = hrwScores(placer.ring, placementKey(user.name, domain.name));
  return { server: scores[0]!.server, reason: { kind: 'hash', from, scores } };
}

/**
 * The servers that hold a domain, sorted by name: every server for a spread domain; for a whole
 * domain its server and the servers its users are pinned to (each holds the domain, with a
 * forward for every user living elsewhere, so that mail for it written on that server arrives).
 */
export function holdersOf(placer: Placer, domain: DesiredDomain): string[] {
  const placement = domainPlacement(placer, domain);
  if (placement.kind === 'spread') return placer.fleet.servers.map((s) => s.name);
  const holders = new Set([placement.server]);
  for (const user of domain.users.values()) if (user.server !== undefined) holders.add(user.server);
  return [...holders].sort();
}
