import { serverNameProblem } from '../model/names.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { domainNameProblem } from '../model/names.js';
import { didYouMean } from '../model/did-you-mean.js';
import { SPREAD } from '../fleet/names.js';
import { quote } from './describe.js';
import { field, members } from './domains.js';
import type { FileRuleContext } from './file-rule.js';
import { diagnosticAt } from './parse.js';
import { isRecord, own } from './yaml-tree.js';
import type { ParsedYaml } from './yaml-tree.js';

/** What every file's placement rules need of the main file: the declared server names and the default. */
export interface FleetNames {
  servers: string[];
  /** `defaults.placement` as written, when it is a string. */
  defaultPlacement?: string;
}

/** The main file's `servers:` names (undefined without the key), for the rules of every file. */
export function fleetNamesOf(main: ParsedYaml): FleetNames | undefined {
  const servers = isRecord(main.data) ? own(main.data, 'servers') : undefined;
  if (!isRecord(servers)) return undefined;
  const placement = field(field(main.data, 'defaults'), 'placement');
  return {
    servers: Object.keys(servers),
    ...(typeof placement === 'string' ? { defaultPlacement: placement } : {}),
  };
}

/** `servers:` of the main file: names, routes, and `defaults.placement`. */
export function serverRules(main: ParsedYaml): Diagnostic[] {
  const out: Diagnostic[] = [];
  const fleet = fleetNamesOf(main);
  const servers = isRecord(main.data) ? own(main.data, 'servers') : undefined;
  if (fleet && isRecord(servers)) {
    const routes = new Map<string, string>();
    for (const name of fleet.servers) {
      const path = ['servers', name];
      const nameProblem = serverNameProblem(name);
      if (nameProblem)
        out.push(diagnosticAt(main, path, 'key', 'invalid-name', `server ${quote(name)}: ${nameProblem}`));
      const route = field(own(servers, name), 'route');
      if (typeof route !== 'string') continue;
      const problem = domainNameProblem(route);
      const first = routes.get(route);
      if (problem)
        out.push(
          diagnosticAt(
            main,
            [...path, 'route'],
            'value',
            'invalid-value',
            `route of server ${quote(name)}: ${problem.replace('domain name', 'host name')}`,
          ),
        );
      else if (first !== undefined)
        out.push(
          diagnosticAt(
            main,
            [...path, 'route'],
            'value',
            'duplicate-route',
            `route ${quote(route)} of server ${quote(name)} is also the route of server ${quote(first)}: each server needs its own`,
          ),
        );
      else routes.set(route, name);
    }
  }
  const placement = field(field(main.data, 'defaults'), 'placement');
  if (typeof placement === 'string') {
    const problem = placementProblem(placement, fleet, 'defaults.placement', true);
    if (problem) out.push(diagnosticAt(main, ['defaults', 'placement'], 'value', problem.code, problem.message));
  }
  return out;
}

/** `server:` and `spread:` of the file's domains, and `server:` of their users. */
export function placementRules(ctx: FileRuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const domain of ctx.domains) {
    const server = field(domain.spec, 'server');
    const spread = field(domain.spec, 'spread');
    const atSpread = (message: string): Diagnostic =>
      diagnosticAt(domain.parsed, [...domain.path, 'spread'], 'value', 'invalid-placement', message);
    if (typeof server === 'string') {
      const problem = placementProblem(
        server,
        ctx.fleet,
        `server: of domain ${quote(domain.name)}`,
        false,
        ctx.mainFile,
      );
      if (problem)
        out.push(diagnosticAt(domain.parsed, [...domain.path, 'server'], 'value', problem.code, problem.message));
      else if (spread === true)
        out.push(
          atSpread(
            `domain ${quote(domain.name)} has both server: and spread: true; give one (server: puts the whole domain on one server, spread: true spreads its users over all)`,
          ),
        );
    } else if (typeof spread === 'boolean') {
      if (!ctx.fleet)
        out.push(
          noServers(domain.parsed, [...domain.path, 'spread'], `spread: of domain ${quote(domain.name)}`, ctx.mainFile),
        );
      else if (spread === false && !isServerPlacement(ctx.fleet))
        out.push(
          atSpread(
            `domain ${quote(domain.name)}: spread: false needs a server to live on (write server: NAME; defaults.placement is spread)`,
          ),
        );
    }
    for (const user of members(domain, 'users')) {
      const pin = field(user.value, 'server');
      if (typeof pin !== 'string') continue;
      const problem = placementProblem(
        pin,
        ctx.fleet,
        `server: of user ${quote(`${user.name}@${domain.name}`)}`,
        false,
        ctx.mainFile,
      );
      if (problem)
        out.push(diagnosticAt(domain.parsed, [...user.path, 'server'], 'value', problem.code, problem.message));
    }
  }
  return out;
}

function isServerPlacement(fleet: FleetNames): boolean {
  return fleet.defaultPlacement !== undefined && fleet.defaultPlacement !== SPREAD;
}

interface Problem {
  code: Diagnostic['code'];
  message: string;
}

/** Why `value` does not name a declared server (or `spread`, where that is allowed). */
function placementProblem(
  value: string,
  fleet: FleetNames | undefined,
  what: string,
  spreadAllowed: boolean,
  mainFile?: string,
): Problem | undefined {
  if (!fleet)
    return {
      code: 'unknown-server',
      message: `${what} names server ${quote(value)}, but ${mainFile ?? 'the file'} declares no servers: (add a servers: section, or remove it)`,
    };
  if (fleet.servers.includes(value) || (spreadAllowed && value === SPREAD)) return undefined;
  const near = didYouMean(value, fleet.servers);
  const declared = fleet.servers.join(', ');
  const choices = spreadAllowed ? `"spread" or a server (${declared})` : `a server declared in servers: (${declared})`;
  return {
    code: 'unknown-server',
    message: `${what}: ${quote(value)} is not ${choices}; ${near ? `did you mean ${quote(near)}?` : 'a server removed from servers: must first lose the domains and users placed on it'}`,
  };
}

function noServers(parsed: ParsedYaml, path: (string | number)[], what: string, mainFile: string): Diagnostic {
  return diagnosticAt(
    parsed,
    path,
    'value',
    'invalid-placement',
    `${what} needs a fleet, but ${mainFile} declares no servers: (add a servers: section, or remove it)`,
  );
}
