import type { DesiredState } from '../model/state.js';
import { balanceMargin, distribution, worstExcess, type ServerShare } from './balance.js';
import { PROTECTED_USER } from '../plan/users.js';
import { domainPlacement, holdersOf, homeOf, onEveryHolder, placer } from './placement.js';

/** How evenly a fleet's spread users are placed, and how many mailboxes each server holds in all. */
export interface BalanceReport {
  /** Users placed by the hash: spread domains, without pins and postmasters. */
  hashedUsers: number;
  rows: ServerShare[];
  /** The largest excess over a fair share, in percent. */
  worst: number;
  /** The excess allowed at this size (see allowedExcess). */
  allowed: number;
  /** Mailboxes per server over every domain: pinned users, whole domains and postmasters included. */
  mailboxes: Map<string, number>;
}

/**
 * The excess over a fair share a correct placement stays within: the margins (5 % from
 * 10,000 users, 1 % from 1,000,000), and below 10,000 users also four standard deviations of the
 * binomial count, since a hash cannot split 30 users over 4 servers within 5 %.
 */
export function allowedExcess(users: number, rows: readonly ServerShare[]): number {
  const margin = balanceMargin(users);
  if (users >= 10_000 || users === 0) return margin;
  const weights = rows.reduce((sum, row) => sum + row.weight, 0);
  const noise = Math.max(
    ...rows.map((row) => {
      const p = row.weight / weights;
      return row.fairShare === 0 ? 0 : (400 * Math.sqrt(users * p * (1 - p))) / row.fairShare;
    }),
  );
  return Math.max(margin, noise);
}

export function balanceReport(desired: DesiredState): BalanceReport {
  const place = placer(desired.fleet!);
  const hashed = new Map(place.fleet.servers.map((s) => [s.name, 0]));
  const mailboxes = new Map(place.fleet.servers.map((s) => [s.name, 0]));
  const bump = (map: Map<string, number>, server: string) => map.set(server, (map.get(server) ?? 0) + 1);
  let hashedUsers = 0;
  for (const domain of desired.domains.values()) {
    const spread = domainPlacement(place, domain).kind === 'spread';
    for (const user of domain.users.values()) {
      if (onEveryHolder(user)) {
        for (const server of holdersOf(place, domain)) bump(mailboxes, server);
        continue;
      }
      const home = homeOf(place, domain, user);
      bump(mailboxes, home);
      if (spread && user.server === undefined) {
        bump(hashed, home);
        hashedUsers++;
      }
    }
  }
  const rows = distribution(place.fleet.servers, hashed);
  return { hashedUsers, rows, worst: worstExcess(rows), allowed: allowedExcess(hashedUsers, rows), mailboxes };
}

/** A user whose server differs between two revisions of the YAML. */
export interface PlacementMove {
  address: string;
  from: string;
  to: string;
}

/** The users declared in both revisions who live on another server in `after` than in `before`. */
export function placementMoves(before: DesiredState, after: DesiredState): PlacementMove[] {
  if (!before.fleet || !after.fleet) return [];
  const was = placer(before.fleet);
  const now = placer(after.fleet);
  const moves: PlacementMove[] = [];
  for (const domain of after.domains.values()) {
    const old = before.domains.get(domain.name);
    if (!old) continue;
    for (const user of domain.users.values()) {
      const previous = old.users.get(user.name);
      if (!previous || user.name === PROTECTED_USER) continue;
      const from = homeOf(was, old, previous);
      const to = homeOf(now, domain, user);
      if (from !== to) moves.push({ address: `${user.name}@${domain.name}`, from, to });
    }
  }
  return moves.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}
