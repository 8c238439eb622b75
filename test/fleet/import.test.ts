/**
 * `import` from several servers (issue 14): three sandbox servers built from one fleet YAML (a
 * spread domain with a pinned user, a whole domain with a user pinned elsewhere) are imported
 * from their trees and from their snapshots into one fleet YAML, which plans nothing on any of
 * them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { HASH_SECRET1 } from '../support/builders.js';
import { firstLivingOn, sandboxServers, snapshotTo, spreadDomainLines } from '../support/fleet.js';
import { mailstate } from '../support/cli.js';
import { tempDir } from '../support/gitops.js';
import { EXAMPLE_SANDBOX, server, type TestServer } from '../support/harness.js';

const NAMES = ['mx1', 'mx2', 'mx3'] as const;
const USERS = 60;
const users = Array.from({ length: USERS }, (_, i) => `u${i}`);
// A user the hash puts on mx1, pinned to mx2.
const pinned = firstLivingOn(NAMES, 'spread.test', users, 'mx1');

function fleetYaml(servers: Record<string, TestServer>): string {
  return [
    'version: 1',
    ...sandboxServers(NAMES, servers),
    'domains:',
    ...spreadDomainLines('spread.test', users, {
      pin: { user: pinned, server: 'mx2' },
      aliases: { sales: [`${pinned}@spread.test`] },
      userFields: 'quota: 50M',
    }),
    '  whole.test:',
    '    server: mx2',
    '    users:',
    `      postmaster: { password: "${HASH_SECRET1}" }`,
    `      dora: { password: "${HASH_SECRET1}" }`,
    `      erin: { password: "${HASH_SECRET1}", server: mx3, comment: Erin E }`,
    '',
  ].join('\n');
}

describe('import of a whole fleet', () => {
  const servers: Record<string, TestServer> = {};
  let dir: string;

  beforeAll(async () => {
    for (const name of NAMES) servers[name] = await server(EXAMPLE_SANDBOX);
    dir = tempDir('mailstate-fleet-import-');
    const yaml = join(dir, 'built.yaml');
    writeFileSync(yaml, fleetYaml(servers));
    for (const name of NAMES) expect(mailstate(['apply', '--yes', '--server', name, '-f', yaml]).code).toBe(0);
  }, 300_000);

  const trees = () =>
    NAMES.flatMap((name) => ['--tree', `${name}=${servers[name]!.vpopmailHome}:${servers[name]!.qmailHome}`]);
  const planEverywhere = (file: string) => {
    for (const name of NAMES) {
      const planned = mailstate(['plan', '--detailed-exitcode', '--server', name, '-f', file]);
      expect(planned.stdout, `${name}: ${planned.stderr}`).toContain('No changes.');
      expect(planned.code, name).toBe(0);
    }
  };

  it('from the trees: routes found, placement reproduced with pins, and plan is empty on every server', () => {
    const out = join(dir, 'imported.yaml');
    const run = mailstate(['import', ...trees(), '--domain', 'spread.test', '--domain', 'whole.test', '-o', out]);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('route');
    expect(run.stderr).not.toContain('mailbox on');
    // Each domain's .qmail-default (vadddomain's catch-all) stays unmanaged, as on one server.
    expect(run.stderr).toContain(`note: mx2: whole.test: catch-all default stays unmanaged: `);
    expect(run.stderr.split('\n').at(-2)).toBe(`Wrote ${out} (3 servers, 4 domains read).`);
    const imported = parse(readFileSync(out, 'utf8'));
    expect(imported.servers).toEqual({
      mx1: { route: 'mx1.internal' },
      mx2: {
        route: 'mx2.internal',
        vpopmail: { home: servers.mx2!.vpopmailHome },
        qmail: { home: servers.mx2!.qmailHome },
      },
      mx3: {
        route: 'mx3.internal',
        vpopmail: { home: servers.mx3!.vpopmailHome },
        qmail: { home: servers.mx3!.qmailHome },
      },
    });
    expect(imported.vpopmail).toEqual({ home: servers.mx1!.vpopmailHome });
    const spread = imported.domains['spread.test'];
    expect(spread.spread).toBe(true);
    expect(spread.aliasDomains).toBeUndefined();
    expect(spread.aliases).toEqual({ sales: [`${pinned}@spread.test`] });
    expect(Object.keys(spread.users)).toHaveLength(USERS + 1);
    // Only the user that does not live where the hash puts it is pinned.
    expect(
      Object.entries(spread.users).flatMap(([name, user]) => ((user as { server?: string }).server ? [name] : [])),
    ).toEqual([pinned]);
    expect(spread.users[pinned]).toEqual({ password: HASH_SECRET1, quota: '50M', server: 'mx2' });
    expect(imported.domains['whole.test']).toEqual({
      server: 'mx2',
      users: {
        dora: { password: HASH_SECRET1 },
        erin: { password: HASH_SECRET1, comment: 'Erin E', server: 'mx3' },
        postmaster: { password: HASH_SECRET1 },
      },
    });
    planEverywhere(out);
  });

  it('from their snapshots: the same placement, passwords left unmanaged, and plan is empty on every server', () => {
    const live = join(dir, 'live');
    mkdirSync(live);
    for (const name of NAMES) {
      const srv = servers[name]!;
      snapshotTo(srv, join(live, `${name}.json`));
    }
    const out = join(dir, 'from-snapshots.yaml');
    const run = mailstate([
      'import',
      '--live-dir',
      live,
      '--domain',
      'spread.test',
      '--domain',
      'whole.test',
      '-o',
      out,
    ]);
    expect(run.code).toBe(0);
    for (const name of NAMES)
      expect(run.stderr).toContain(
        `note: server ${name}: a snapshot holds no password hashes, so every password of its users is left unmanaged (import on the server itself to have them)\n`,
      );
    const imported = parse(readFileSync(out, 'utf8'));
    expect(imported.domains['whole.test'].users.erin).toEqual({ comment: 'Erin E', server: 'mx3' });
    expect(imported.domains['spread.test'].users[pinned]).toEqual({ quota: '50M', server: 'mx2' });
    planEverywhere(out);
  });

  it('says what it cannot reproduce: the same mailbox on several servers, a route not shown', async () => {
    // Every sandbox carries the same example.com: each of its users has a mailbox on all three.
    const run = mailstate(['import', ...trees(), '--route', 'mx3=mx3.internal']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('note: alice@example.com has a mailbox on mx1 and mx2 and mx3: written as living on ');
    const plain = await server(EXAMPLE_SANDBOX);
    const handBuilt = mailstate(['import', ...trees(), '--tree', `mx4=${plain.vpopmailHome}:${plain.qmailHome}`]);
    expect(handBuilt.code).toBe(0);
    expect(handBuilt.stderr).toContain(
      'note: server mx4: its route is not shown by its alias domains, so it is written as "mx4": correct it, or give --route mx4=HOST\n',
    );
    expect(handBuilt.stderr).not.toContain('server mx1: its route');
    expect(parse(handBuilt.stdout).servers.mx4.route).toBe('mx4');
    const bare = mailstate([
      'import',
      '--tree',
      `mx1=${servers.mx1!.vpopmailHome}:${servers.mx1!.qmailHome}`,
      '--domain',
      'whole.test',
    ]);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toBe('Error: mailstate import: domain "whole.test" is on none of the servers\n');
    const badName = mailstate(['import', '--tree', `MX1=${servers.mx1!.vpopmailHome}`]);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toBe(
      `Error: mailstate import: --tree MX1=${servers.mx1!.vpopmailHome}: "MX1": a server name is 1 to 63 lower-case letters, digits and inner "-"\n`,
    );
  });
});
