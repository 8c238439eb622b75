import { hrwPlace, hrwRing } from '../fleet/hrw.js';
import { routeAddress, routeDomain } from '../fleet/names.js';
import { placementKey } from '../fleet/placement.js';
import { domainNameProblem } from '../model/names.js';
import type { LiveDomain, LiveState, LiveUser } from '../model/state.js';
import { PROTECTED_USER } from '../plan/users.js';
import { type ImportResult, schemaComment, userEntry, yamlText } from './to-yaml.js';

/**
 * `import` from several servers at once (issue 14): one fleet YAML whose placement reproduces
 * where every user lives today, so that planning it on each server changes nothing. Each domain
 * gets the placement that needs the fewest `server:` pins (a whole domain on one server, or spread
 * over all), and a pin is written wherever a user does not live where that placement would put it.
 * What mailstate itself writes for a fleet (the forwards to `user@<domain>.<route>`, the route
 * alias domains, a moved-out user's kept mailbox) is recognised as implied, not imported.
 */

export interface FleetImportSource {
  server: string;
  live: LiveState;
  /** From a snapshot, which holds no password hashes: passwords are left unmanaged. */
  fromSnapshot: boolean;
}

export interface FleetImportOptions {
  /** --route NAME=HOST; a server without one gets the route its alias domains show, else its name. */
  routes: ReadonlyMap<string, string>;
  domains?: readonly string[];
  schemaPath: string;
}

type Placement = { kind: 'spread' } | { kind: 'server'; server: string };

/**
 * The route of each server. A server holding a shared domain D holds the alias domain `D.<route>`
 * (share.ts), so the one route that every shared domain showing such an alias shows is its route.
 */
function fleetRoutes(sources: readonly FleetImportSource[], given: ReadonlyMap<string, string>, notes: string[]) {
  const holders = new Map<string, number>();
  for (const { live } of sources)
    for (const name of live.domains.keys()) holders.set(name, (holders.get(name) ?? 0) + 1);
  const routes = new Map<string, string>();
  for (const { server, live } of sources) {
    const known = given.get(server);
    if (known !== undefined) {
      routes.set(server, known);
      continue;
    }
    let candidates: Set<string> | undefined;
    for (const domain of live.domains.values()) {
      if ((holders.get(domain.name) ?? 0) < 2) continue;
      const shown = domain.aliasDomains.flatMap((alias) =>
        alias.startsWith(`${domain.name}.`) ? [alias.slice(domain.name.length + 1)] : [],
      );
      // A domain held twice by hand (no alias domain under its name) says nothing of the route.
      if (shown.length === 0) continue;
      candidates = new Set(candidates ? shown.filter((route) => candidates!.has(route)) : shown);
    }
    const found = candidates?.size === 1 ? [...candidates][0]! : undefined;
    if (found === undefined)
      notes.push(
        `server ${server}: its route is not shown by its alias domains, so it is written as "${server}": correct it, or give --route ${server}=HOST`,
      );
    routes.set(server, found ?? server);
  }
  return routes;
}

/** A user that mailstate turned into a forward to its new server, its old mailbox kept. */
function movedOut(user: LiveUser, domain: string, otherRoutes: readonly string[]): boolean {
  const forward = user.forward;
  return (
    forward?.style === 'domain' &&
    !forward.keepCopy &&
    forward.to.length === 1 &&
    otherRoutes.some((route) => forward.to[0] === routeAddress(user.name, domain, route))
  );
}

interface DomainView {
  name: string;
  holders: string[];
  /** Where each user has a mailbox (not a forward to another server), by user. */
  mailboxes: Map<string, string[]>;
  byServer: Map<string, LiveDomain>;
}

function domainViews(
  sources: readonly FleetImportSource[],
  routes: ReadonlyMap<string, string>,
  wanted?: readonly string[],
) {
  const views = new Map<string, DomainView>();
  for (const { server, live } of sources) {
    const otherRoutes = [...routes].flatMap(([name, route]) => (name === server ? [] : [route]));
    for (const domain of live.domains.values()) {
      if (wanted && !wanted.includes(domain.name)) continue;
      let view = views.get(domain.name);
      if (!view) {
        view = { name: domain.name, holders: [], mailboxes: new Map(), byServer: new Map() };
        views.set(domain.name, view);
      }
      view.holders.push(server);
      view.byServer.set(server, domain);
      for (const user of domain.users.values()) {
        if (movedOut(user, domain.name, otherRoutes)) continue;
        const where = view.mailboxes.get(user.name) ?? [];
        where.push(server);
        view.mailboxes.set(user.name, where);
      }
    }
  }
  for (const view of views.values()) view.holders.sort();
  return [...views.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** The placement that reproduces the domain's holders with the fewest pins, and the pins. */
function choosePlacement(
  view: DomainView,
  homes: ReadonlyMap<string, string>,
  servers: readonly string[],
  hashHome: (user: string) => string,
): { placement: Placement; pins: Set<string>; exact: boolean } {
  const candidates: Array<{ placement: Placement; pins: Set<string>; holders: string[] }> = [];
  for (const server of view.holders) {
    const pins = new Set([...homes].flatMap(([user, home]) => (home === server ? [] : [user])));
    const holders = new Set([server, ...[...pins].map((user) => homes.get(user)!)]);
    candidates.push({ placement: { kind: 'server', server }, pins, holders: [...holders].sort() });
  }
  if (servers.length > 1) {
    const pins = new Set([...homes].flatMap(([user, home]) => (hashHome(user) === home ? [] : [user])));
    candidates.push({ placement: { kind: 'spread' }, pins, holders: [...servers] });
  }
  const same = (holders: string[]) => holders.join(',') === view.holders.join(',');
  // Fewest pins among those that hold the domain exactly where it is; a whole domain wins a tie.
  const ranked = [...candidates].sort(
    (a, b) => Number(same(b.holders)) - Number(same(a.holders)) || a.pins.size - b.pins.size,
  );
  const best = ranked[0]!;
  return { placement: best.placement, pins: best.pins, exact: same(best.holders) };
}

function domainEntry(
  view: DomainView,
  routes: ReadonlyMap<string, string>,
  servers: readonly string[],
  ring: ReturnType<typeof hrwRing>,
  notes: string[],
): Record<string, unknown> {
  const homes = new Map<string, string>();
  const hashed = new Map<string, string>();
  for (const [user, where] of view.mailboxes) {
    if (user === PROTECTED_USER) continue;
    const hashHome = hrwPlace(ring, placementKey(user, view.name));
    hashed.set(user, hashHome);
    const home = where.includes(hashHome) ? hashHome : where[0]!;
    if (where.length > 1)
      notes.push(
        `${user}@${view.name} has a mailbox on ${where.join(' and ')}: written as living on ${home}; a plan turns the other into a forward once you have merged their mail`,
      );
    homes.set(user, home);
  }
  const { placement, pins, exact } = choosePlacement(view, homes, servers, (user) => hashed.get(user)!);
  if (!exact)
    notes.push(
      `${view.name} is held by ${view.holders.join(', ')}, which no placement reproduces: a plan adds or leaves it where the YAML puts it`,
    );

  const entry: Record<string, unknown> = placement.kind === 'spread' ? { spread: true } : { server: placement.server };
  const routeAliases = new Set([...routes.values()].map((route) => routeDomain(view.name, route)));
  const aliasDomains = new Set<string>();
  const aliases = new Map<string, { to: string[]; server: string }>();
  for (const server of view.holders) {
    const live = view.byServer.get(server)!;
    for (const alias of live.aliasDomains) {
      if (routeAliases.has(alias)) continue;
      const problem = domainNameProblem(alias);
      if (problem) notes.push(`${server}: alias domain ${alias} of ${view.name} stays unmanaged: ${problem}`);
      else aliasDomains.add(alias);
    }
    for (const alias of live.aliases.values()) {
      // A forward to a user on another server is implied by the placement (re-pointed, if stale).
      if (
        [...routes.values()].some(
          (route) => alias.to.length === 1 && alias.to[0] === routeAddress(alias.name, view.name, route),
        )
      ) {
        if (!view.mailboxes.has(alias.name))
          notes.push(
            `${alias.name}@${view.name} is a forward to another server on ${server}, but no server given holds its mailbox: it is left out`,
          );
        continue;
      }
      const known = aliases.get(alias.name);
      if (known && known.to.join(',') !== alias.to.join(','))
        notes.push(
          `alias ${alias.name}@${view.name} differs between ${known.server} and ${server}: ${known.server}'s is written`,
        );
      else if (!known) aliases.set(alias.name, { to: alias.to, server });
    }
    for (const object of live.unmanaged)
      notes.push(`${server}: ${view.name}: ${object.kind} ${object.name} stays unmanaged: ${object.reason}`);
  }
  if (aliasDomains.size > 0) entry.aliasDomains = [...aliasDomains].sort();

  const users: Record<string, unknown> = {};
  for (const name of [...view.mailboxes.keys()].sort()) {
    const home = name === PROTECTED_USER ? view.holders[0]! : homes.get(name)!;
    const user = userEntry(view.byServer.get(home)!.users.get(name)!, notes, view.name);
    users[name] = pins.has(name) ? { ...user, server: home } : user;
  }
  entry.users = users;
  if (aliases.size > 0)
    entry.aliases = Object.fromEntries([...aliases.keys()].sort().map((name) => [name, aliases.get(name)!.to]));
  return entry;
}

/** The value every server has, or undefined (with a note) when they differ. */
function common<T>(sources: readonly FleetImportSource[], what: string, of: (live: LiveState) => T, notes: string[]) {
  const values = sources.map((source) => JSON.stringify(of(source.live)));
  if (values.every((value) => value === values[0])) return of(sources[0]!.live);
  notes.push(`${what} differ between the servers: left out (unmanaged); declare them when they agree`);
  return undefined;
}

export function importFleetToYaml(sources: readonly FleetImportSource[], options: FleetImportOptions): ImportResult {
  const notes: string[] = [];
  const ordered = [...sources].sort((a, b) => (a.server < b.server ? -1 : 1));
  const servers = ordered.map((source) => source.server);
  const routes = fleetRoutes(ordered, options.routes, notes);
  const ring = hrwRing(servers.map((name) => ({ name, weight: 1 })));
  for (const source of ordered)
    if (source.fromSnapshot)
      notes.push(
        `server ${source.server}: a snapshot holds no password hashes, so every password of its users is left unmanaged (import on the server itself to have them)`,
      );

  const top = ordered[0]!.live;
  const root: Record<string, unknown> = {
    version: 1,
    vpopmail: { home: top.vpopmailHome },
    qmail: { home: top.qmailHome },
    servers: Object.fromEntries(
      ordered.map(({ server, live }) => [
        server,
        {
          route: routes.get(server)!,
          ...(live.vpopmailHome === top.vpopmailHome ? {} : { vpopmail: { home: live.vpopmailHome } }),
          ...(live.qmailHome === top.qmailHome ? {} : { qmail: { home: live.qmailHome } }),
        },
      ]),
    ),
  };
  const relay = common(
    ordered,
    'relay rules (tcp.smtp)',
    (live) => [...new Set(live.relay.lines.flatMap((line) => (line.kind === 'relay' ? [line.address] : [])))],
    notes,
  );
  if (relay && relay.length > 0) root.relay = relay;
  const domains: Record<string, unknown> = {};
  for (const view of domainViews(ordered, routes, options.domains)) {
    const problem = domainNameProblem(view.name);
    if (problem) notes.push(`domain ${view.name} stays unmanaged: ${problem}`);
    else domains[view.name] = domainEntry(view, routes, servers, ring, notes);
  }
  root.domains = domains;
  return {
    yaml: yamlText(
      root,
      `${schemaComment(options.schemaPath)}\n Imported by mailstate from ${servers.length} servers: ${servers.join(', ')}.`,
    ),
    notes,
  };
}
