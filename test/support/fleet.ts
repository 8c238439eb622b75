import { expect } from 'vitest';
import { hrwPlace, hrwRing } from '../../src/fleet/hrw.js';
import { HASH_SECRET1 } from './builders.js';
import { mailstate } from './cli.js';
import type { TestServer } from './harness.js';

/** The `servers:` lines of a test fleet: each server a sandbox on this machine, routed as NAME.internal. */
export function sandboxServers(names: readonly string[], servers: Readonly<Record<string, TestServer>>): string[] {
  return [
    'servers:',
    ...names.map(
      (name) =>
        `  ${name}: { route: ${name}.internal, vpopmail: { home: ${servers[name]!.vpopmailHome} }, qmail: { home: ${servers[name]!.qmailHome} } }`,
    ),
  ];
}

/** `mailstate snapshot` of a sandbox server into `file`; it must succeed. */
export function snapshotTo(srv: TestServer, file: string): void {
  const made = mailstate(['snapshot', '--vpopmail-home', srv.vpopmailHome, '--qmail-home', srv.qmailHome, '-o', file]);
  expect(made.code).toBe(0);
}

/** u0 … u<count-1>: the users of a test fleet's spread domain. */
export function numberedUsers(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `u${i}`);
}

/** The first of `users` the hash puts on `server` of a fleet of `names`, all of weight 1. */
export function firstLivingOn(
  names: readonly string[],
  domain: string,
  users: readonly string[],
  server: string,
): string {
  const ring = hrwRing(names.map((name) => ({ name, weight: 1 })));
  return users.find((user) => hrwPlace(ring, `${user}@${domain}`) === server)!;
}

export interface SpreadDomainOptions {
  /** One user pinned to a server (`server:` on the user). */
  pin?: { user: string; server: string };
  /** Aliases, each to its targets. */
  aliases?: Record<string, string[]>;
  /** More keys of each user's flow map, after the pin (`quota: 50M`). */
  userFields?: string;
}

/** The YAML lines of a spread domain: postmaster and `users`, every password HASH_SECRET1. */
export function spreadDomainLines(
  domain: string,
  users: readonly string[],
  options: SpreadDomainOptions = {},
): string[] {
  const aliases = Object.entries(options.aliases ?? {});
  return [
    `  ${domain}:`,
    '    spread: true',
    ...(aliases.length > 0
      ? ['    aliases:', ...aliases.map(([name, to]) => `      ${name}: [${to.join(', ')}]`)]
      : []),
    '    users:',
    `      postmaster: { password: "${HASH_SECRET1}" }`,
    ...users.map((user) => {
      const pin = options.pin?.user === user ? `, server: ${options.pin.server}` : '';
      const fields = options.userFields ? `, ${options.userFields}` : '';
      return `      ${user}: { password: "${HASH_SECRET1}"${pin}${fields} }`;
    }),
  ];
}
