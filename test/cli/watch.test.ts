import { hostname } from 'node:os';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { lock, unlock } from 'os-lock';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { notesRef } from '../../src/git/notes.js';
import { EXAMPLE_SANDBOX, server, type TestServer } from '../support/harness.js';
import { mailstate } from '../support/cli.js';
import {
  SANDBOX_YAML,
  TestRepo,
  WatchProcess,
  eventually,
  homes,
  tempDir,
  withUser,
  type LogEvent,
} from '../support/gitops.js';

const vpasswdOf = (srv: TestServer) => readFileSync(join(srv.vpopmailHome, 'domains/example.com/vpasswd'), 'utf8');
const users = (srv: TestServer) =>
  vpasswdOf(srv)
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(':')[0]);
const watchState = (srv: TestServer) =>
  JSON.parse(readFileSync(join(srv.vpopmailHome, 'etc/mailstate-watch.json'), 'utf8'));
const reconciles = (watch: WatchProcess) => watch.events().filter((e) => e.event === 'reconcile');
const is = (commit: string, outcome: string) => (e: LogEvent) =>
  e.event === 'reconcile' && e.commit === commit && e.outcome === outcome;

async function started(srv: TestServer, extra: string[] = [], env: Record<string, string> = {}, yaml = SANDBOX_YAML) {
  const repo = new TestRepo();
  const first = repo.commit({ 'mailstate.yaml': yaml }, 'import');
  const watch = new WatchProcess(
    ['--repo', repo.dir, '--log-format', 'json', '--debounce', '0.3', ...homes(srv), ...extra],
    { cwd: repo.dir, env },
  );
  await watch.waitFor(is(first, 'no-changes'), 'the first reconcile');
  return { repo, watch, first };
}

describe('mailstate watch', () => {
  it('applies a committed change when it is committed, never the working tree, and records the commit', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const { repo, watch, first } = await started(srv, ['--record-notes']);
    expect(watch.events()[0]).toMatchObject({
      event: 'start',
      repo: repo.dir,
      branch: 'main',
      file: 'mailstate.yaml',
      resyncSeconds: 600,
      selfHeal: true,
    });

    // An edit that is not committed is noticed, said to be ignored, and not applied.
    repo.write({ 'mailstate.yaml': withUser(SANDBOX_YAML, 'dirty') });
    await watch.waitFor((e) => e.event === 'uncommitted' && e.commit === first, 'the uncommitted notice');
    expect(users(srv)).not.toContain('dirty');

    // Stage a change, then edit the working tree again before committing: only the staged text is committed.
    repo.write({ 'mailstate.yaml': withUser(SANDBOX_YAML, 'carol') });
    repo.git('add', 'mailstate.yaml');
    repo.write({ 'mailstate.yaml': withUser(withUser(SANDBOX_YAML, 'carol'), 'dirty') });
    repo.git('commit', '--quiet', '-m', 'add carol');
    const second = repo.head();
    // Noticed because of the commit: the periodic resync is 600 s away, far past the wait's deadline.
    const applied = await watch.waitFor(is(second, 'applied'), 'carol applied');
    expect(applied).toMatchObject({ trigger: 'commit', counts: { add: 1, change: 0, delete: 0, cdbRebuilds: 1 } });
    expect(applied.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(users(srv)).toContain('carol');
    expect(users(srv)).not.toContain('dirty');

    const state = watchState(srv);
    expect(state).toMatchObject({
      stateVersion: 1,
      repo: repo.dir,
      branch: 'main',
      file: 'mailstate.yaml',
      vpopmailHome: srv.vpopmailHome,
    });
    expect(state.lastApplied).toMatchObject({
      commit: second,
      outcome: 'applied',
      trigger: 'commit',
      counts: { add: 1 },
    });
    expect(state.lastAttempt).toBeUndefined();
    await watch.waitFor((e) => e.event === 'note' && e.commit === second && e.outcome === 'recorded', 'the git note');
    expect(repo.git('notes', '--ref', notesRef(hostname()), 'show', second)).toMatch(
      new RegExp(
        `^mailstate: applied \\(1 added, 0 changed, 0 deleted\\) on .+ at .+Z; plan digest ${applied.digest}\\n$`,
      ),
    );

    const status = mailstate(['status', ...homes(srv)]);
    expect(status.code).toBe(0);
    expect(status.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        `Branch tip:   ${second.slice(0, 12)} (applied)`,
        `Drift:        none: the live state matches ${second.slice(0, 12)}`,
      ]),
    );

    expect(await watch.stop('SIGTERM')).toBe(0);
    expect(watch.events().at(-1)).toMatchObject({ event: 'stop', outcome: 'stopped' });
    expect(watch.stderr).toBe('');
  });

  it('logs an invalid commit with its id, keeps running, and applies the fix (human log)', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const repo = new TestRepo();
    const first = repo.commit({ 'mailstate.yaml': SANDBOX_YAML });
    const watch = new WatchProcess(['--repo', repo.dir, '--debounce', '0.3', ...homes(srv)], { cwd: repo.dir });
    const line = (words: string) => (l: string) => l.includes(words);
    await watch.waitForLine(line(`in sync ${first.slice(0, 12)} (start)`), 'the first reconcile');
    const before = vpasswdOf(srv);

    const bad = repo.commit({ 'mailstate.yaml': withUser(SANDBOX_YAML, 'Eve') }, 'bad user name');
    const invalid = await watch.waitForLine(line(`invalid ${bad.slice(0, 12)}`), 'the invalid commit');
    expect(invalid).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z invalid ${bad.slice(0, 12)} \\(commit\\) in \\d+ ms: mailstate\\.yaml:6:7: error: user "Eve": name must be lowercase \\(vpopmail lowercases it\\): write "eve"; mailstate\\.yaml at ${bad.slice(0, 12)}: 1 error; nothing was planned or applied\\.$`,
      ),
    );
    expect(vpasswdOf(srv)).toBe(before);
    const status = mailstate(['status', ...homes(srv)]);
    expect(status.code).toBe(3);
    expect(status.stdout).toContain(`Last attempt: ${bad.slice(0, 12)} at `);
    expect(status.stdout).toContain(`Branch tip:   ${bad.slice(0, 12)} (not applied)`);

    const fix = repo.commit({ 'mailstate.yaml': withUser(SANDBOX_YAML, 'eve') }, 'fix');
    const applied = await watch.waitForLine(line(`applied ${fix.slice(0, 12)}`), 'the fix');
    expect(applied).toMatch(
      new RegExp(
        `Z applied ${fix.slice(0, 12)} \\(commit\\) in \\d+ ms: 1 to add, 0 to change, 0 to delete, 1 CDB rebuild$`,
      ),
    );
    expect(users(srv)).toContain('eve');
    expect(mailstate(['status', ...homes(srv)]).code).toBe(0);
    expect(await watch.stop('SIGINT')).toBe(0);
    expect(watch.lines.at(-2)).toMatch(/Z stopping on SIGINT$/);
    expect(watch.lines.at(-1)).toMatch(/Z stopped$/);
  });

  it('logs a refused plan and a busy lock with the commit id, and applies once the obstacle is gone', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const { repo, watch } = await started(srv, ['--resync-interval', '1']);
    const blackhole = join(srv.vpopmailHome, 'domains/example.com/.qmail-blackhole');
    const target = repo.commit(
      { 'mailstate.yaml': SANDBOX_YAML.replace('    aliases:\n', '    aliases:\n      blackhole: [x@example.net]\n') },
      'alias over a blackhole',
    );
    const refused = await watch.waitFor(is(target, 'refused'), 'the refusal');
    expect(refused).toMatchObject({
      trigger: 'commit',
      reason: 'the plan cannot be made safely; nothing was applied.',
    });
    expect(refused.diagnostics).toEqual([
      expect.stringMatching(
        new RegExp(
          `^mailstate\\.yaml:\\d+:\\d+: error: alias "blackhole@example\\.com": ${blackhole.replace(/[.]/g, '\\.')} exists and is not managed by mailstate \\(`,
        ),
      ),
    ]);
    expect(readFileSync(blackhole, 'utf8')).toBe('#\n');

    // Someone removes the file by hand, while another apply holds the lock: the next resync waits its turn.
    const holder = openSync(join(srv.vpopmailHome, 'etc/mailstate.lock'), 'w+', 0o600);
    await lock(holder, { exclusive: true });
    writeSync(holder, `${process.pid}\n`);
    rmSync(blackhole);
    const busy = await watch.waitFor(is(target, 'busy'), 'the busy lock');
    expect(busy).toMatchObject({
      trigger: 'resync',
      reason: `another mailstate apply is running (pid ${process.pid}, lock ${srv.vpopmailHome}/etc/mailstate.lock); nothing was applied.`,
    });
    await unlock(holder);
    closeSync(holder);
    await watch.waitFor(is(target, 'applied'), 'the apply after the lock is free');
    expect(readFileSync(blackhole, 'utf8')).toBe('&x@example.net\n');
  });

  it('cannot start without a repository; status says when there is no watch state yet', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const dir = tempDir();
    const watch = mailstate(['watch', '--repo', dir, ...homes(srv)]);
    expect(watch.code).toBe(1);
    expect(watch.stderr).toBe(
      `Error: mailstate watch: ${dir} is not a git working copy: not a git repository (or any of the parent directories): .git\n`,
    );
    expect(mailstate(['watch', '--resync-interval', '0', '--repo', dir]).stderr).toBe(
      'Error: mailstate watch: --resync-interval takes a number of seconds above 0, not "0"\n',
    );
    expect(mailstate(['status', ...homes(srv)])).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: no watch state at ${srv.vpopmailHome}/etc/mailstate-watch.json: "mailstate watch" has not reconciled anything yet (or vpopmail lives elsewhere: pass --vpopmail-home)\n`,
    });
  });

  it('applies a burst of commits once, at the newest', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    // Two commits a few milliseconds apart, well inside a 5 s debounce even on a loaded machine.
    const { repo, watch } = await started(srv, ['--debounce', '5']);
    const a = repo.commit({ 'mailstate.yaml': withUser(SANDBOX_YAML, 'first') });
    const b = repo.commit({ 'mailstate.yaml': withUser(withUser(SANDBOX_YAML, 'first'), 'second') });
    await watch.waitFor(is(b, 'applied'), 'the newest commit');
    const applies = reconciles(watch).filter((e) => e.trigger !== 'start');
    expect(applies.map((e) => e.commit)).toEqual([b]);
    expect(applies.map((e) => e.commit)).not.toContain(a);
    expect(applies[0]).toMatchObject({ counts: { add: 2 } });
    expect(users(srv)).toEqual(expect.arrayContaining(['first', 'second']));
  });

  it('repairs drift on resync, or only reports it with --no-self-heal', async () => {
    const healing = await server(EXAMPLE_SANDBOX);
    const reporting = await server(EXAMPLE_SANDBOX);
    const [heal, report] = await Promise.all([
      started(healing, ['--resync-interval', '0.5']),
      started(reporting, ['--resync-interval', '0.5', '--no-self-heal']),
    ]);
    // Someone ran vadduser by hand on both servers.
    for (const srv of [healing, reporting]) {
      const vpasswd = join(srv.vpopmailHome, 'domains/example.com/vpasswd');
      writeFileSync(
        vpasswd,
        `${vpasswdOf(srv)}intruder:x:1:0:intruder:${srv.vpopmailHome}/domains/example.com/intruder:NOQUOTA:pw\n`,
      );
    }
    const repaired = await heal.watch.waitFor(
      (e) => e.event === 'reconcile' && e.trigger === 'resync' && e.outcome === 'applied',
      'the drift repair',
    );
    expect(repaired).toMatchObject({
      commit: heal.first,
      drift: true,
      counts: { add: 0, change: 0, delete: 1, cdbRebuilds: 1 },
    });
    expect(users(healing)).not.toContain('intruder');
    await heal.watch.waitFor(
      (e) =>
        e.event === 'reconcile' &&
        e.trigger === 'resync' &&
        e.outcome === 'no-changes' &&
        e.time! > (repaired.time as string),
      'a quiet resync after the repair',
    );

    const drift = await report.watch.waitFor(
      (e) => e.event === 'reconcile' && e.outcome === 'drift',
      'the drift report',
    );
    expect(drift).toMatchObject({ commit: report.first, trigger: 'resync', counts: { delete: 1 } });
    expect(users(reporting)).toContain('intruder');
    const status = mailstate(['status', ...homes(reporting)]);
    expect(status.code).toBe(2);
    expect(status.stdout).toContain(
      `Drift:        the live state differs from ${report.first.slice(0, 12)}; converging again would do:`,
    );
    expect(status.stdout).toContain('  - user intruder (mailbox ');
  });

  it('finishes the reconcile in progress on SIGTERM, then exits 0', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    // Every write point of the apply blocks 150 ms: a signal arrives in the middle of it.
    const { repo, watch } = await started(srv, [], { MAILSTATE_FAULT_DELAY_MS: '150' });
    const bundled = readFileSync(join(import.meta.dirname, '../../mailstate.yaml'), 'utf8');
    const target = repo.commit({ 'mailstate.yaml': bundled }, 'the bundled example');
    // The first write of that plan archives bob's .qmail file: the apply is under way.
    await eventually(() => existsSync(join(srv.vpopmailHome, 'archive/example.com')), 'the first write');
    const code = await watch.stop('SIGTERM');
    expect(code).toBe(0);
    // The signal is handled once the apply has returned (the writes run without yielding), or,
    // when it lands between two awaits, the stop waits for the reconcile: either way it completes.
    const events = watch.events();
    const applied = events.findIndex(is(target, 'applied'));
    const stopping = events.findIndex((e) => e.event === 'stop' && e.outcome === 'stopping' && e.signal === 'SIGTERM');
    expect(events[applied]).toMatchObject({ counts: { add: 2, change: 2, delete: 3, cdbRebuilds: 2 } });
    expect(stopping).toBeGreaterThan(0);
    if (stopping < applied) expect(events[stopping]!.waiting).toBe(true);
    expect(events.at(-1)).toMatchObject({ event: 'stop', outcome: 'stopped' });
    expect(events.filter((e) => e.event === 'reconcile').at(-1)).toBe(events[applied]);
    // Nothing is half done: the server is exactly at the commit.
    const plan = mailstate(['plan', '--detailed-exitcode', '-f', join(repo.dir, 'mailstate.yaml'), ...homes(srv)]);
    expect(plan.stdout.trimEnd().split('\n').at(-1)).toBe(
      `No changes. The live state matches ${join(repo.dir, 'mailstate.yaml')}.`,
    );
    expect(plan.code).toBe(0);
    expect(existsSync(join(srv.vpopmailHome, 'etc/mailstate.lock'))).toBe(false);
    expect(watchState(srv).lastApplied).toMatchObject({ commit: target, outcome: 'applied' });
  });

  it('with --pull-interval, fetches and fast-forwards the branch, then applies it', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const origin = new TestRepo();
    origin.commit({ 'mailstate.yaml': SANDBOX_YAML });
    const cloneDir = join(tempDir(), 'clone');
    origin.git('clone', '--quiet', origin.dir, cloneDir);
    const clone = new TestRepo(cloneDir, false);
    const watch = new WatchProcess(
      ['--repo', clone.dir, '--log-format', 'json', '--debounce', '0.2', '--pull-interval', '0.5', ...homes(srv)],
      { cwd: clone.dir },
    );
    await watch.waitFor((e) => e.event === 'reconcile' && e.outcome === 'no-changes', 'the first reconcile');

    const merged = origin.commit({ 'mailstate.yaml': withUser(SANDBOX_YAML, 'pulled') }, 'merged pull request');
    await watch.waitFor(
      (e) => e.event === 'pull' && e.outcome === 'fast-forwarded' && e.to === merged,
      'the fast-forward',
    );
    await watch.waitFor(is(merged, 'applied'), 'the pulled commit');
    expect(users(srv)).toContain('pulled');
    expect(clone.head()).toBe(merged);
    expect(clone.read('mailstate.yaml')).toBe(withUser(SANDBOX_YAML, 'pulled'));

    // A commit made on the server's clone: the branches diverge, and the pull refuses to merge.
    clone.commit({ 'local.txt': 'x' }, 'local commit');
    origin.commit({ 'other.txt': 'y' }, 'upstream commit');
    const refused = await watch.waitFor((e) => e.event === 'pull' && e.outcome === 'refused', 'the diverged pull');
    expect(refused.reason).toMatch(
      /^main \([0-9a-f]{12}\) has diverged from origin\/main \([0-9a-f]{12}\): only fast-forwards are pulled$/,
    );
  });
});
