/**
 * Three sandbox servers on one machine, one fleet YAML (issue 14): each server applies its own
 * share with the built binary, and the real `cdb` reads back what each holds. Then one user moves
 * from one server to another, in the order that loses no mail, with a message waiting in its old
 * Maildir the whole time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hrwPlace, hrwRing } from '../../src/fleet/hrw.js';
import { parseCdbDump } from '../../src/sandbox/build.js';
import { HASH_SECRET1 } from '../support/builders.js';
import { numberedUsers, sandboxServers, snapshotTo, spreadDomainLines } from '../support/fleet.js';
import { mailstate } from '../support/cli.js';
import { tempDir } from '../support/gitops.js';
import { EXAMPLE_SANDBOX, server, type TestServer } from '../support/harness.js';

const NAMES = ['mx1', 'mx2', 'mx3'] as const;
type Name = (typeof NAMES)[number];
const USERS = 3000;
const ring = hrwRing(NAMES.map((name) => ({ name, weight: 1 })));
const homeOf = (user: string): Name => hrwPlace(ring, `${user}@spread.test`) as Name;
// The user that moves: the first one living on mx1, pinned to mx2 by the second commit.
const mover = numberedUsers(USERS).find((user) => homeOf(user) === 'mx1')!;

function fleetYaml(servers: Record<Name, TestServer>, pin = false): string {
  return [
    'version: 1',
    ...sandboxServers(NAMES, servers),
    'domains:',
    ...spreadDomainLines('spread.test', numberedUsers(USERS), {
      aliases: { sales: [`${mover}@spread.test`] },
      ...(pin ? { pin: { user: mover, server: 'mx2' } } : {}),
    }),
    '  whole.test:',
    '    server: mx2',
    '    users:',
    `      postmaster: { password: "${HASH_SECRET1}" }`,
    `      erin: { password: "${HASH_SECRET1}" }`,
    '',
  ].join('\n');
}

/** Every key of a cdb file, as the real `cdb -d` dumps it. */
function cdbKeys(file: string): Set<string> {
  return new Set(parseCdbDump(execFileSync('cdb', ['-d', file])).map(([key]) => key.toString('latin1')));
}

function domainDir(srv: TestServer, domain: string): string {
  return join(srv.vpopmailHome, 'domains', domain);
}

describe('a fleet of three servers', () => {
  const servers = {} as Record<Name, TestServer>;
  let dir: string;
  let yaml: string;
  const run = (args: string[]) => mailstate([...args, '-f', yaml]);

  beforeAll(async () => {
    for (const name of NAMES) servers[name] = await server(EXAMPLE_SANDBOX);
    dir = tempDir('mailstate-fleet-');
    yaml = join(dir, 'mailstate.yaml');
    writeFileSync(yaml, fleetYaml(servers));
    for (const name of NAMES) {
      const applied = run(['apply', '--yes', '--server', name]);
      expect(applied.stderr).toBe('');
      expect(applied.code).toBe(0);
    }
  }, 600_000);

  it('holds every spread user as a mailbox on exactly one server and a forward on the other two', () => {
    for (const name of NAMES) {
      const srv = servers[name];
      const keys = cdbKeys(join(domainDir(srv, 'spread.test'), 'vpasswd.cdb'));
      for (let i = 0; i < USERS; i++) {
        const user = `u${i}`;
        const home = homeOf(user);
        const forward = join(domainDir(srv, 'spread.test'), `.qmail-${user}`);
        if (home === name) {
          expect(keys.has(user)).toBe(true);
          expect(existsSync(forward)).toBe(false);
        } else {
          expect(keys.has(user)).toBe(false);
          expect(readFileSync(forward, 'utf8')).toBe(`&${user}@spread.test.${home}.internal\n`);
        }
      }
      expect(keys.has('postmaster')).toBe(true);
      expect(readFileSync(join(domainDir(srv, 'spread.test'), '.qmail-sales'), 'utf8')).toBe(`&${mover}@spread.test\n`);
      // qmail routes the domain and the route name the others forward to, both into this domain.
      const users = cdbKeys(join(srv.qmailHome, 'users', 'cdb'));
      expect(users.has('!spread.test-')).toBe(true);
      expect(users.has(`!spread.test.${name}.internal-`)).toBe(true);
      expect(users.has('!whole.test-')).toBe(name === 'mx2');
    }
    const perServer = NAMES.map(
      (name) => cdbKeys(join(domainDir(servers[name], 'spread.test'), 'vpasswd.cdb')).size - 1,
    );
    expect(perServer.reduce((a, b) => a + b)).toBe(USERS);
  });

  it('plans nothing more on any server, and says which share it planned and which route it lacks', () => {
    for (const name of NAMES) {
      const planned = run(['plan', '--detailed-exitcode', '--server', name]);
      expect(planned.code).toBe(0);
      const others = NAMES.filter((other) => other !== name);
      const forwards = USERS - cdbKeys(join(domainDir(servers[name], 'spread.test'), 'vpasswd.cdb')).size + 1;
      const leftOut =
        name === 'mx2' ? 'no declared domain lives wholly elsewhere' : 'left to the other servers: whole.test';
      expect(planned.stdout).toContain(
        [
          `Server ${name} of the fleet: ${forwards} users of its domains live on other servers (a forward here); ${leftOut}.`,
          ...others.map(
            (other) =>
              `Warning: control/smtproutes has no route for the forwards to ${other}.internal: add the line ".${other}.internal:${other}.internal" (or make that name resolve to the server from here).`,
          ),
          '',
          `No changes. The live state matches ${yaml}.`,
        ].join('\n'),
      );
    }
    // With the lines in smtproutes, the warning goes.
    writeFileSync(
      join(servers.mx1.qmailHome, 'control', 'smtproutes'),
      '.mx2.internal:mx2.internal\n.mx3.internal:mx3.internal\n',
    );
    expect(run(['plan', '--server', 'mx1']).stdout).not.toContain('control/smtproutes has no route');
  });

  it('plan --fleet from the three snapshots makes the plans each server makes itself', () => {
    const live = join(dir, 'live');
    const keys = join(dir, 'keys');
    mkdirSync(live);
    mkdirSync(keys);
    for (const name of NAMES) {
      const srv = servers[name];
      snapshotTo(srv, join(live, `${name}.json`));
      writeFileSync(join(keys, `${name}.key`), readFileSync(join(srv.vpopmailHome, 'etc', 'mailstate.key')));
    }
    // A change to review: one user more, one fewer.
    writeFileSync(
      yaml,
      fleetYaml(servers).replace(
        `      u5: { password: "${HASH_SECRET1}" }\n`,
        `      newbie: { password: "${HASH_SECRET1}" }\n`,
      ),
    );
    const fleetRun = run([
      'plan',
      '--fleet',
      '--live-dir',
      live,
      '--key-dir',
      keys,
      '--format',
      'json',
      '--detailed-exitcode',
    ]);
    expect(fleetRun.stderr).toBe('');
    expect(fleetRun.code).toBe(2);
    const fleetPlan = JSON.parse(fleetRun.stdout) as {
      servers: Record<string, { digest: string; summary: object }>;
      distribution: { hashedUsers: number; servers: Array<{ server: string; users: number }> };
      moves: unknown[];
    };
    expect(Object.keys(fleetPlan.servers)).toEqual([...NAMES]);
    for (const name of NAMES) {
      const own = JSON.parse(run(['plan', '--server', name, '--format', 'json']).stdout) as {
        digest: string;
        summary: object;
      };
      expect(fleetPlan.servers[name]!.digest).toBe(own.digest);
      expect(fleetPlan.servers[name]!.summary).toEqual(own.summary);
    }
    expect(fleetPlan.distribution.hashedUsers).toBe(USERS);
    expect(fleetPlan.distribution.servers.map((s) => s.server)).toEqual([...NAMES]);
    expect(fleetPlan.moves).toEqual([]);
    const text = run(['plan', '--fleet', '--live-dir', live, '--key-dir', keys]).stdout;
    for (const name of NAMES) expect(text).toContain(`=== ${name} (planned against the snapshot ${name}.json of `);
    expect(text).toContain('=== the fleet ===\n\n3000 spread users over 3 servers;');
    expect(text).toContain('No user moves between servers in this plan.');
    const missing = run(['plan', '--fleet', '--live-dir', keys]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `Error: --live-dir ${keys} has no snapshot of mx1, mx2, mx3 (expected mx1.json, mx2.json, mx3.json, from mailstate snapshot on each server); nothing was planned.\n`,
    );
    writeFileSync(yaml, fleetYaml(servers));
  });

  it('moves a user: the new server first, the old one only once it has seen the mailbox there, no message lost', () => {
    const oldDir = join(domainDir(servers.mx1, 'spread.test'), mover);
    const message = join(oldDir, 'Maildir', 'new', '1800000000.M1P1.mx1');
    writeFileSync(message, 'Subject: before the move\n\nhello\n');
    writeFileSync(yaml, fleetYaml(servers, true));

    // The old server goes first: it does not know mx2 has the mailbox, so it keeps receiving.
    const early = run(['apply', '--yes', '--server', 'mx1', '--allow-moves']);
    expect(early.code).toBe(0);
    expect(early.stdout).toBe(`No changes. The live state matches ${yaml}.\n`);
    expect(early.stderr).toContain(
      `warning: ${mover}@spread.test moves to mx2, which is not known to hold its mailbox yet`,
    );
    expect(cdbKeys(join(domainDir(servers.mx1, 'spread.test'), 'vpasswd.cdb')).has(mover)).toBe(true);

    // The new server refuses the move without --allow-moves, then creates the mailbox with it.
    const refused = run(['apply', '--yes', '--server', 'mx2']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'Error: the plan moves a user between servers (move-in/move-out), which apply does only with --allow-moves; nothing was applied.',
    );
    const planned = run(['plan', '--server', 'mx2']);
    expect(planned.stdout).toContain(`  > user ${mover} moves in from mx1\n`);
    expect(planned.stdout).toContain(`  - alias ${mover} (was -> ${mover}@spread.test.mx1.internal)\n`);
    const moveIn = run(['apply', '--yes', '--server', 'mx2', '--allow-moves']);
    expect(moveIn.code).toBe(0);
    expect(moveIn.stdout).toMatch(/^Apply complete \(files driver\): 0 added, 0 changed, 1 deleted, 1 moved;/);
    expect(cdbKeys(join(domainDir(servers.mx2, 'spread.test'), 'vpasswd.cdb')).has(mover)).toBe(true);
    expect(existsSync(join(domainDir(servers.mx2, 'spread.test'), `.qmail-${mover}`))).toBe(false);

    // mx3 only re-points its forward: not a move.
    const mx3 = run(['apply', '--yes', '--server', 'mx3']);
    expect(mx3.code).toBe(0);
    expect(readFileSync(join(domainDir(servers.mx3, 'spread.test'), `.qmail-${mover}`), 'utf8')).toBe(
      `&${mover}@spread.test.mx2.internal\n`,
    );

    // With mx2's snapshot as evidence, mx1 turns the user into a forward and keeps the Maildir.
    const peers = join(dir, 'peers');
    mkdirSync(peers);
    snapshotTo(servers.mx2, join(peers, 'mx2.json'));
    const moveOut = run(['apply', '--yes', '--server', 'mx1', '--allow-moves', '--peer-snapshots', peers]);
    expect(moveOut.stderr).toBe('');
    expect(moveOut.code).toBe(0);
    expect(moveOut.stdout).toMatch(/^Apply complete \(files driver\): 0 added, 0 changed, 0 deleted, 1 moved;/);
    expect(readFileSync(join(domainDir(servers.mx1, 'spread.test'), `.qmail-${mover}`), 'utf8')).toBe(
      `&${mover}@spread.test.mx2.internal\n`,
    );
    expect(cdbKeys(join(domainDir(servers.mx1, 'spread.test'), 'vpasswd.cdb')).has(mover)).toBe(true);
    expect(readFileSync(message, 'utf8')).toBe('Subject: before the move\n\nhello\n');
    expect(readdirSync(join(oldDir, 'Maildir', 'new'))).toContain('1800000000.M1P1.mx1');

    // From then on mx1 plans nothing, and says how to copy the old mail and release the mailbox.
    const after = run(['plan', '--detailed-exitcode', '--server', 'mx1', '--peer-snapshots', peers]);
    expect(after.code).toBe(0);
    expect(after.stderr).toContain(
      `warning: ${mover}@spread.test lives on mx2 now; its old mailbox ${oldDir} is kept here. Copy its mail over, then release it: rsync -a --ignore-existing --chown=vpopmail:vchkpw ${oldDir}/Maildir/ mx2.internal:${servers.mx2.vpopmailHome}/domains/spread.test/${mover}/Maildir/; then mailstate release ${mover}@spread.test --server mx1`,
    );
    for (const name of NAMES) expect(run(['plan', '--detailed-exitcode', '--server', name]).code).toBe(0);

    // Once copied, the old mailbox is released to the archive; the forward stays.
    const unconfirmed = run(['release', `${mover}@spread.test`, '--server', 'mx1']);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toBe(
      `Error: mailstate release archives the old mailbox of ${mover}@spread.test on this server: copy its mail to the new server first, then pass --yes. Nothing was released.\n`,
    );
    const notMoved = run(['release', 'u0@spread.test', 'postmaster@spread.test', '--server', 'mx3', '--yes']);
    expect(notMoved.code).toBe(1);
    expect(notMoved.stderr).toContain(
      'u0@spread.test, postmaster@spread.test are not users that moved out of this server (a forward to its new server here, its old mailbox kept)',
    );
    const released = run(['release', `${mover}@spread.test`, '--server', 'mx1', '--yes']);
    expect(released.stderr).toBe('');
    expect(released.code).toBe(0);
    const archived = /^Archived: (.+)$/m.exec(released.stdout)![1]!;
    expect(archived.startsWith(`${servers.mx1.vpopmailHome}/archive/spread.test/${mover}-`)).toBe(true);
    expect(readFileSync(join(archived, 'Maildir', 'new', '1800000000.M1P1.mx1'), 'utf8')).toBe(
      'Subject: before the move\n\nhello\n',
    );
    expect(existsSync(oldDir)).toBe(false);
    expect(cdbKeys(join(domainDir(servers.mx1, 'spread.test'), 'vpasswd.cdb')).has(mover)).toBe(false);
    expect(readFileSync(join(domainDir(servers.mx1, 'spread.test'), `.qmail-${mover}`), 'utf8')).toBe(
      `&${mover}@spread.test.mx2.internal\n`,
    );
    const settled = run(['plan', '--detailed-exitcode', '--server', 'mx1']);
    expect(settled.code).toBe(0);
    expect(settled.stderr).toBe('');
  });
});
