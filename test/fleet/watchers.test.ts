/**
 * Git as the fleet's distribution engine (issue 14): three `mailstate watch --server NAME` on one
 * repository, each applying its own share of the same commits and recording them under its own
 * notes ref; a commit that moves a user is taken in by its new server at once and held back by
 * its old one until the evidence is there: the new server's note of that commit.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hrwPlace, hrwRing } from '../../src/fleet/hrw.js';
import { parseCdbDump } from '../../src/sandbox/build.js';
import { numberedUsers, sandboxServers, spreadDomainLines } from '../support/fleet.js';
import { TestRepo, WatchProcess, type LogEvent } from '../support/gitops.js';
import { EXAMPLE_SANDBOX, server, type TestServer } from '../support/harness.js';

const NAMES = ['mx1', 'mx2', 'mx3'] as const;
const USERS = 300;
const ring = hrwRing(NAMES.map((name) => ({ name, weight: 1 })));
const homeOf = (user: string) => hrwPlace(ring, `${user}@spread.test`);
const USER_NAMES = numberedUsers(USERS);
const mover = USER_NAMES.find((user) => homeOf(user) === 'mx3')!;

function fleetYaml(servers: Record<string, TestServer>, pinned: boolean): string {
  return [
    'version: 1',
    ...sandboxServers(NAMES, servers),
    'domains:',
    ...spreadDomainLines('spread.test', USER_NAMES, pinned ? { pin: { user: mover, server: 'mx1' } } : {}),
    '',
  ].join('\n');
}

const mailboxes = (srv: TestServer): Set<string> =>
  new Set(
    parseCdbDump(execFileSync('cdb', ['-d', join(srv.vpopmailHome, 'domains', 'spread.test', 'vpasswd.cdb')])).map(
      ([key]) => key.toString('latin1'),
    ),
  );

const is = (commit: string, outcome: string) => (e: LogEvent) =>
  e.event === 'reconcile' && e.commit === commit && e.outcome === outcome;

describe('three watchers on one repository', () => {
  it('each applies its own share of each commit, records it under its own notes ref, and moves in order, the move-out after the note of the move-in', async () => {
    const servers: Record<string, TestServer> = {};
    for (const name of NAMES) servers[name] = await server(EXAMPLE_SANDBOX);
    const repo = new TestRepo();
    const first = repo.commit({ 'mailstate.yaml': fleetYaml(servers, false) }, 'the fleet');
    const watchers = NAMES.map(
      (name) =>
        new WatchProcess(
          [
            '--repo',
            repo.dir,
            '--server',
            name,
            '--log-format',
            'json',
            '--debounce',
            '0.3',
            '--record-notes',
            '--allow-moves',
          ],
          { cwd: repo.dir },
        ),
    );
    for (const watch of watchers) {
      await watch.waitFor(is(first, 'applied'), 'the first commit applied');
      // The note is recorded after the reconcile is logged.
      await watch.waitFor((e) => e.event === 'note' && e.commit === first && e.outcome === 'recorded', 'its note');
    }
    for (const name of NAMES) {
      const expected = USER_NAMES.filter((user) => homeOf(user) === name);
      expect([...mailboxes(servers[name]!)].filter((key) => key !== 'postmaster').sort()).toEqual(expected.sort());
      const note = repo.git('notes', '--ref', `mailstate/${name}`, 'show', first);
      expect(note).toMatch(new RegExp(`^mailstate: applied \\(\\d+ added, 0 changed, 0 deleted\\) on ${name} at `));
    }

    // The move of one user from mx3 to mx1: mx1 takes it in; mx3 has no evidence, so keeps the mailbox.
    const second = repo.commit({ 'mailstate.yaml': fleetYaml(servers, true) }, `pin ${mover} to mx1`);
    const [mx1, mx2, mx3] = watchers as [WatchProcess, WatchProcess, WatchProcess];
    const movedIn = await mx1.waitFor(is(second, 'applied'), 'the move-in applied');
    expect(movedIn).toMatchObject({ counts: { add: 0, change: 0, delete: 1, move: 1, cdbRebuilds: 1 } });
    await mx2.waitFor(is(second, 'applied'), 'the forward re-pointed on mx2');
    // mx3 holds the move back until mx1's note of this commit is in the repository (they share
    // it here), then turns the user into a forward: the note is the evidence, no snapshot needed.
    const movedOut = await mx3.waitFor(is(second, 'applied'), 'mx3 moved the user out');
    expect(movedOut).toMatchObject({ counts: { add: 0, change: 0, delete: 0, move: 1 } });
    const mx3Reconciles = mx3.events().filter((e) => e.event === 'reconcile' && e.commit === second);
    for (const held of mx3Reconciles.slice(0, -1)) {
      expect(held.outcome).toBe('no-changes');
      expect(JSON.stringify(held)).toContain(
        `${mover}@spread.test moves to mx1, which is not known to hold its mailbox yet`,
      );
    }
    const mx1Note = repo.git('notes', '--ref', 'mailstate/mx1', 'show', second);
    expect(mx1Note).toMatch(/^mailstate: applied \(0 added, 0 changed, 1 deleted, 1 moved\) on mx1 at /);
    expect(mailboxes(servers.mx1!).has(mover)).toBe(true);
    // The old mailbox stays (its mail is copied over, then released); a forward now comes first.
    expect(mailboxes(servers.mx3!).has(mover)).toBe(true);
    expect(readFileSync(join(servers.mx3!.vpopmailHome, 'domains', 'spread.test', `.qmail-${mover}`), 'utf8')).toBe(
      `&${mover}@spread.test.mx1.internal\n`,
    );
    for (const watch of watchers) expect(await watch.stop()).toBe(0);
  }, 600_000);
});
