import type { FleetPlan } from '../model/change.js';
import type { ServerShareInfo } from '../model/state.js';
import { routeDomain } from '../fleet/names.js';

/**
 * Whether qmail-remote routes `host` by smtproutes: a line for the host itself, for a suffix of it
 * starting with ".", or the empty default line (a smarthost), as qmail-remote looks them up.
 */
function routed(host: string, keys: ReadonlySet<string>): boolean {
  if (keys.has(host) || keys.has('')) return true;
  for (let i = host.indexOf('.'); i >= 0; i = host.indexOf('.', i + 1)) if (keys.has(host.slice(i))) return true;
  return false;
}

/** The left sides of `control/smtproutes` lines (`domain:relay[:port]`), as qmail-remote reads them. */
export function smtprouteKeys(text: string): Set<string> {
  const keys = new Set<string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon >= 0) keys.add(line.slice(0, colon));
  }
  return keys;
}

/** The share as the plan shows it, with the smtproutes lines missing for this server's forwards. */
export function fleetPlan(share: ServerShareInfo, smtproutes: string | undefined): FleetPlan {
  let forwards = 0;
  const hosts = new Map<string, string>();
  for (const [domain, users] of share.remoteUsers) {
    for (const user of users.values()) {
      forwards++;
      const route = share.servers.find((s) => s.name === user.server)!.route;
      hosts.set(routeDomain(domain, route), route);
    }
  }
  const plan: FleetPlan = { server: share.server, elsewhere: share.elsewhere, forwards };
  if (smtproutes === undefined) return plan;
  const keys = smtprouteKeys(smtproutes);
  const missing = new Set<string>();
  for (const [host, route] of hosts) if (!routed(host, keys)) missing.add(`.${route}:${route}`);
  return { ...plan, missingRoutes: [...missing].sort() };
}
