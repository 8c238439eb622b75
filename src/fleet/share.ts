import type {
  DesiredAlias,
  DesiredDomain,
  DesiredState,
  DesiredUser,
  RemoteUser,
  ServerShareInfo,
} from '../model/state.js';
import { routeAddress, routeDomain } from './names.js';
import { holdersOf, homeOf, onEveryHolder, placer, type Placer } from './placement.js';

export type ShareSelection = { ok: true; desired: DesiredState } | { ok: false; reason: string };

/** Which homes the command line gave: those win over a server's own `vpopmail.home` / `qmail.home`. */
export interface HomesGiven {
  vpopmail: boolean;
  qmail: boolean;
}

/**
 * One server's share of a fleet, as the single-server desired state it must converge to, so the
 * planner and both drivers work unchanged:
 *
 * - a domain no user of which lives here, and not spread, is left out: unmanaged here, never
 *   read or touched (as `--domain` leaves domains out);
 * - in a domain this server holds, a user living here is a mailbox; one living elsewhere is a
 *   forward, `.qmail-<user>` with `&user@<domain>.<route of its server>`: mail that reaches this
 *   MX (or is written here) for that user goes on to the server that has the mailbox;
 * - a domain held by more than one server gets the alias domain `<domain>.<own route>`, which is
 *   what the others' forwards are addressed to (vaddaliasdomain, as vpopmail does it);
 * - aliases are kept on every holder: one that points at a user reaches it through that user's
 *   forward where the user is not local.
 */
export function shareOf(desired: DesiredState, server: string, homesGiven: HomesGiven): ShareSelection {
  const fleet = desired.fleet;
  if (!fleet) return { ok: false, reason: '--server needs a fleet, but the desired state declares no servers:' };
  const place = placer(fleet);
  const self = place.byName.get(server);
  if (!self) {
    const names = fleet.servers.map((s) => s.name).join(', ');
    return { ok: false, reason: `server "${server}" is not declared in servers: (declared: ${names})` };
  }
  const elsewhere: string[] = [];
  const remoteUsers = new Map<string, Map<string, RemoteUser>>();
  const domains = new Map<string, DesiredDomain>();
  for (const domain of desired.domains.values()) {
    const holders = holdersOf(place, domain);
    if (!holders.includes(server)) {
      elsewhere.push(domain.name);
      continue;
    }
    const { local, remote } = splitUsers(place, domain, server);
    if (remote.size > 0) remoteUsers.set(domain.name, remote);
    domains.set(domain.name, {
      ...domain,
      users: local,
      aliases: withForwards(domain, remote),
      aliasDomains:
        holders.length > 1 ? [...domain.aliasDomains, routeDomain(domain.name, self.route)] : domain.aliasDomains,
    });
  }
  const servers = fleet.servers.map((s) => ({
    name: s.name,
    route: s.route,
    vpopmailHome: s.vpopmailHome ?? desired.vpopmailHome,
  }));
  const share: ServerShareInfo = { server, elsewhere: elsewhere.sort(), remoteUsers, servers };
  return {
    ok: true,
    desired: {
      ...desired,
      vpopmailHome: homesGiven.vpopmail ? desired.vpopmailHome : (self.vpopmailHome ?? desired.vpopmailHome),
      qmailHome: homesGiven.qmail ? desired.qmailHome : (self.qmailHome ?? desired.qmailHome),
      domains,
      share,
    },
  };
}

function splitUsers(
  place: Placer,
  domain: DesiredDomain,
  server: string,
): { local: Map<string, DesiredUser>; remote: Map<string, RemoteUser> } {
  const local = new Map<string, DesiredUser>();
  const remote = new Map<string, RemoteUser>();
  for (const [name, user] of domain.users) {
    const home = onEveryHolder(user) ? server : homeOf(place, domain, user);
    if (home === server) local.set(name, user);
    else
      remote.set(name, { name, server: home, address: routeAddress(name, domain.name, place.byName.get(home)!.route) });
  }
  return { local, remote };
}

/** The domain's aliases plus one forward per remote user (`.qmail-<user>` to its home server's route address). */
function withForwards(domain: DesiredDomain, remote: ReadonlyMap<string, RemoteUser>): Map<string, DesiredAlias> {
  if (remote.size === 0) return domain.aliases;
  const aliases = new Map(domain.aliases);
  for (const user of remote.values()) {
    const source = domain.users.get(user.name)!.source;
    aliases.set(user.name, { name: user.name, to: [user.address], source });
  }
  return aliases;
}
