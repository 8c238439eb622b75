import type { Fleet } from '../model/state.js';

/** Where `plan`, `apply`, `watch` and `status` learn which server of a fleet they run on. */
export interface ServerChoice {
  /** `--server NAME`. */
  flag?: string | undefined;
  /** The MAILSTATE_SERVER environment variable. */
  env?: string | undefined;
  /** This machine's host name: used when it (or its first label, or a route) is a declared server. */
  hostname?: string | undefined;
}

export type ChosenServer = { server?: string } | { problem: string };

/**
 * The server this run is for: `--server`, else MAILSTATE_SERVER, else the host name when it names
 * a declared server. Without `servers:` there is none (and `--server` is a mistake). With servers
 * and no match, there is no safe guess: applying another server's share would archive mailboxes.
 */
export function chooseServer(fleet: Fleet | undefined, choice: ServerChoice): ChosenServer {
  const names = fleet?.servers.map((s) => s.name) ?? [];
  const declared = `declared: ${names.join(', ')}`;
  if (!fleet) {
    if (choice.flag !== undefined)
      return { problem: `--server "${choice.flag}": the desired state declares no servers:` };
    return {};
  }
  for (const [value, from] of [
    [choice.flag, '--server'],
    [choice.env, 'MAILSTATE_SERVER'],
  ] as const) {
    if (value === undefined || value === '') continue;
    if (names.includes(value)) return { server: value };
    return { problem: `${from} "${value}" is not a server declared in servers: (${declared})` };
  }
  const host = choice.hostname?.toLowerCase();
  if (host) {
    const short = host.split('.')[0];
    const match = fleet.servers.find((s) => s.name === host || s.name === short || s.route === host);
    if (match) return { server: match.name };
  }
  return {
    problem: `servers: declares a fleet (${names.join(', ')}); say which server this is with --server NAME or MAILSTATE_SERVER${host ? ` (the host name "${host}" is none of them)` : ''}`,
  };
}
