/**
 * The fleet's records travel through git (issue 14): each watcher pushes its own notes ref to the
 * remote and fetches the others', so a move-out waits for the destination's note of the very
 * commit (no snapshot copied between servers), and `status --fleet` shows every server from a
 * clone of the repository alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pushNotes, recordNote } from '../../src/git/notes.js';
import { openRepo } from '../../src/git/repo.js';
import { firstLivingOn, numberedUsers, sandboxServers, spreadDomainLines } from '../support/fleet.js';
import { mailstate } from '../support/cli.js';
import { TestRepo, tempDir, WatchProcess, type LogEvent } from '../support/gitops.js';
import { EXAMPLE_SANDBOX, server, type TestServer } from '../support/harness.js';

const NAMES = ['mx1', 'mx2'] as const;
const USERS = 40;
const USER_NAMES = numberedUsers(USERS);
const mover = firstLivingOn(NAMES, 'spread.test', USER_NAMES, 'mx1');

function fleetYaml(servers: Record<string, TestServer>, pinned: boolean): string {
  return [
    'version: 1',
    ...sandboxServers(NAMES, servers),
    'domains:',
    ...spreadDomainLines('spread.test', USER_NAMES, pinned ? { pin: { user: mover, server: 'mx2' } } : {}),
    '',
  ].join('\n');
}

const reconciled = (commit: string, outcome: string) => (e: LogEvent) =>
  e.event === 'reconcile' && e.commit === commit && e.outcome === outcome;
const pushedNote = (commit: string) => (e: LogEvent) =>
  e.event === 'note' && e.commit === commit && e.outcome === 'recorded' && e.pushed === 'origin';

function clone(origin: TestRepo): TestRepo {
  const dir = join(tempDir(), 'clone');
  origin.git('clone', '--quiet', origin.dir, dir);
  const copy = new TestRepo(dir, false);
  copy.git('config', 'user.name', 'Test');
  copy.git('config', 'user.email', 'test@example.com');
  return copy;
}

describe("a fleet's watchers exchange their notes through the remote", () => {
  it('a move-out waits for the destination note of its commit; status --fleet reads every server from git', async () => {
    const servers: Record<string, TestServer> = {};
    for (const name of NAMES) servers[name] = await server(EXAMPLE_SANDBOX);
    const origin = new TestRepo();
    const first = origin.commit({ 'mailstate.yaml': fleetYaml(servers, false) }, 'the fleet');
    const clones: Record<string, TestRepo> = {};
    const watchers = Object.fromEntries(
      NAMES.map((name) => {
        const copy = clone(origin);
        clones[name] = copy;
        const args = ['--repo', copy.dir, '--server', name, '--log-format', 'json', '--debounce', '0.2'];
        const extra = ['--pull-interval', '0.5', '--record-notes', '--allow-moves'];
        return [name, new WatchProcess([...args, ...extra], { cwd: copy.dir })];
      }),
    ) as Record<(typeof NAMES)[number], WatchProcess>;
    for (const name of NAMES) {
      await watchers[name].waitFor(reconciled(first, 'applied'), `${name} applied the first commit`);
      await watchers[name].waitFor(pushedNote(first), `${name} pushed its note`);
    }
    expect(origin.git('notes', '--ref', 'mailstate/mx1', 'show', first)).toMatch(
      /^mailstate: applied \(\d+ added, 0 changed, 0 deleted\) on mx1 at \S+; plan digest [0-9a-f]+\n$/,
    );

    const observer = clone(origin);
    const status = (...args: string[]) =>
      mailstate(['status', '--fleet', '--repo', observer.dir, '--remote', 'origin', ...args]);
    const together = status();
    expect(together.stderr).toBe('');
    expect(together.code).toBe(0);
    const lines = together.stdout.split('\n');
    expect(lines[0]).toBe(`Fleet on main at ${first.slice(0, 12)} (mailstate.yaml): 2 servers`);
    expect(lines[2]).toMatch(new RegExp(`^  mx1     ${first.slice(0, 12)} \\(the tip\\) applied at \\S+$`));
    expect(lines[3]).toMatch(new RegExp(`^  mx2     ${first.slice(0, 12)} \\(the tip\\) applied at \\S+$`));
    expect(lines.at(-2)).toBe('Every server is at the tip.');

    // The move: mx2 takes the mailbox in and says so in its note; mx1 turns the user into a forward
    // only once it has fetched that note (maybe at once, maybe after holding the move back).
    const second = origin.commit({ 'mailstate.yaml': fleetYaml(servers, true) }, `pin ${mover} to mx2`);
    const movedIn = await watchers.mx2.waitFor(reconciled(second, 'applied'), 'mx2 moved the user in');
    expect(movedIn).toMatchObject({ counts: { move: 1 } });
    await watchers.mx2.waitFor(pushedNote(second), 'mx2 pushed its note of the move');
    const movedOut = await watchers.mx1.waitFor(reconciled(second, 'applied'), 'mx1 moved the user out');
    expect(movedOut).toMatchObject({ counts: { add: 0, change: 0, delete: 0, move: 1 } });
    const mx1Domain = join(servers.mx1!.vpopmailHome, 'domains', 'spread.test');
    expect(readFileSync(join(mx1Domain, `.qmail-${mover}`), 'utf8')).toBe(`&${mover}@spread.test.mx2.internal\n`);
    expect(existsSync(join(mx1Domain, mover, 'Maildir'))).toBe(true);
    const held = watchers.mx1.events().filter((e) => e.event === 'reconcile' && e.commit === second);
    // Every reconcile of the move before the applied one held it back, and said why.
    for (const event of held.slice(0, -1)) {
      expect(event.outcome).toBe('no-changes');
      expect(JSON.stringify(event.diagnostics)).toContain(`${mover}@spread.test moves to mx2, which is not known`);
    }
    let applied = false;
    await watchers.mx1.waitFor((e) => {
      applied ||= reconciled(second, 'applied')(e);
      return applied && pushedNote(second)(e);
    }, 'mx1 pushed its note of the move');
    const mx1Note = origin.git('notes', '--ref', 'mailstate/mx1', 'show', second);
    expect(mx1Note).toMatch(/mailstate: applied \(0 added, 0 changed, 0 deleted, 1 moved\) on mx1 at /);
    // A move held back is noted once, however often it is retried.
    expect(mx1Note.split('\n').filter((line) => line.includes('move waiting'))).toHaveLength(held.length > 1 ? 1 : 0);

    const json = status('--format', 'json');
    expect(json.code).toBe(0);
    const view = JSON.parse(json.stdout) as { tip: string; servers: Array<{ server: string; behind: number }> };
    expect(view.tip).toBe(second);
    expect(view.servers.map((s) => [s.server, s.behind])).toEqual([
      ['mx1', 0],
      ['mx2', 0],
    ]);

    // A commit that does not validate: each server notes it once, status says neither is at the tip.
    const bad = origin.commit({ 'mailstate.yaml': 'version: 1\ndomains: [\n' }, 'broken');
    for (const name of NAMES) {
      await watchers[name].waitFor(reconciled(bad, 'invalid'), `${name} refused the broken commit`);
      await watchers[name].waitFor(pushedNote(bad), `${name} noted the broken commit`);
    }
    const broken = status();
    expect(broken.code).toBe(3);
    const brokenLines = broken.stdout.split('\n');
    expect(brokenLines[1]).toMatch(
      /^\(the servers come from the notes refs alone: mailstate.yaml at [0-9a-f]{12} does not/,
    );
    expect(brokenLines[3]).toMatch(
      new RegExp(
        `^  mx1     ${bad.slice(0, 12)} \\(the tip\\) invalid at \\S+: .+; in effect: ${second.slice(0, 12)} \\(1 below the tip\\), applied at \\S+$`,
      ),
    );
    expect(brokenLines.at(-2)).toBe('Not at the tip: mx1, mx2.');
    for (const name of NAMES) expect(await watchers[name].stop()).toBe(0);
    // Run on a server's own clone, status --fleet leaves that watcher's notes ref as it was,
    // even one the remote does not have yet.
    const mx1 = clones.mx1!;
    mx1.git('update-ref', 'refs/notes/mailstate/mx1', mx1.git('rev-parse', 'refs/notes/mailstate/mx1~1').trim());
    const ownBefore = mx1.git('rev-parse', 'refs/notes/mailstate/mx1');
    expect(mailstate(['status', '--fleet', '--repo', mx1.dir, '--remote', 'origin']).code).toBe(3);
    expect(mx1.git('rev-parse', 'refs/notes/mailstate/mx1')).toBe(ownBefore);
    for (const name of NAMES) {
      const note = origin.git('notes', '--ref', `mailstate/${name}`, 'show', bad);
      expect(note.split('\n').filter((line) => line.startsWith('mailstate: invalid'))).toHaveLength(1);
    }
  }, 300_000);

  it('a server whose clone lost its notes merges the remote ones before it pushes', async () => {
    const origin = new TestRepo();
    const commit = origin.commit({ 'a.txt': 'a\n' }, 'one');
    const older = clone(origin);
    await recordNote(await openRepo(older.dir), commit, 'mx1', 'mailstate: applied on mx1 at T1; plan digest aaa');
    await pushNotes(await openRepo(older.dir), 'origin', 'mx1');
    const recloned = clone(origin);
    await recordNote(
      await openRepo(recloned.dir),
      commit,
      'mx1',
      'mailstate: no-changes on mx1 at T2; plan digest bbb',
    );
    await pushNotes(await openRepo(recloned.dir), 'origin', 'mx1');
    const note = origin.git('notes', '--ref', 'mailstate/mx1', 'show', commit);
    expect(note.split('\n').filter(Boolean).sort()).toEqual([
      'mailstate: applied on mx1 at T1; plan digest aaa',
      'mailstate: no-changes on mx1 at T2; plan digest bbb',
    ]);
  });
});
