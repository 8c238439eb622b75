import { hostname } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { notesRef } from '../../src/git/notes.js';
import { EXAMPLE_SANDBOX, bob2Warning, server } from '../support/harness.js';
import { SANDBOX_YAML, TestRepo, WatchProcess, homes, withUser, type LogEvent } from '../support/gitops.js';

const STAMP = '\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z';
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const withoutBobAndJohn = SANDBOX_YAML.replace(/ {6}(?:bob|john\.doe):\n(?: {8}.*\n)+/g, '');

describe("mailstate watch's log and notes (issue 13, items 6 and 7)", () => {
  it('the text log gives the plan’s warnings, one line each after the reconcile', async () => {
    expect(withoutBobAndJohn).not.toMatch(/bob:|john/);
    const srv = await server(EXAMPLE_SANDBOX);
    const repo = new TestRepo();
    const first = repo.commit({ 'mailstate.yaml': SANDBOX_YAML }, 'import');
    const watch = new WatchProcess(['--repo', repo.dir, '--debounce', '0.3', ...homes(srv)], { cwd: repo.dir });
    await watch.waitForLine((l) => l.includes(`in sync ${first.slice(0, 12)} (start)`), 'the first reconcile');

    const deleting = repo.commit({ 'mailstate.yaml': withoutBobAndJohn }, 'bob and john leave');
    const short = deleting.slice(0, 12);
    const applied = await watch.waitForLine((l) => l.includes(`applied ${short} (commit)`), 'bob and john deleted');
    const after = watch.lines.slice(watch.lines.indexOf(applied) + 1, watch.lines.indexOf(applied) + 3);
    const bob2 = bob2Warning(srv.vpopmailHome).replace(': warning: ', ': ');
    expect(after).toHaveLength(2);
    expect(after[0]).toMatch(new RegExp(`^${STAMP} ${literal(`warning for ${short}: ${bob2}`)}$`));
    expect(after[1]).toMatch(
      new RegExp(
        `^${STAMP} ${literal(`warning for ${short}: example.com: 2 of 4 users (50%) deleted or changed, over policy.maxChangePercent 30%, allowed because the domain has fewer than 10 users`)}$`,
      ),
    );
    expect(readFileSync(join(srv.vpopmailHome, 'domains/example.com/vpasswd'), 'utf8')).not.toMatch(/^bob:/m);
    expect(await watch.stop('SIGTERM')).toBe(0);
  });

  it('a drift repair adds "drift repaired" to the note of the commit it repairs, after the record of its apply', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const repo = new TestRepo();
    const first = repo.commit({ 'mailstate.yaml': SANDBOX_YAML }, 'import');
    const watch = new WatchProcess(
      [
        '--repo',
        repo.dir,
        '--log-format',
        'json',
        '--debounce',
        '0.3',
        '--record-notes',
        '--resync-interval',
        '0.5',
        ...homes(srv),
      ],
      { cwd: repo.dir },
    );
    const is = (commit: string, outcome: string) => (e: LogEvent) =>
      e.event === 'reconcile' && e.commit === commit && e.outcome === outcome;
    await watch.waitFor(is(first, 'no-changes'), 'the first reconcile');
    const erin = repo.commit({ 'mailstate.yaml': withUser(SANDBOX_YAML, 'erin') }, 'add erin');
    const applied = await watch.waitFor(is(erin, 'applied'), 'erin applied');
    await watch.waitFor((e) => e.event === 'note' && e.commit === erin, 'the note of the apply');

    const vpasswd = join(srv.vpopmailHome, 'domains/example.com/vpasswd');
    writeFileSync(
      vpasswd,
      `${readFileSync(vpasswd, 'utf8')}intruder:x:1:0:intruder:${srv.vpopmailHome}/domains/example.com/intruder:NOQUOTA:pw\n`,
    );
    const repaired = await watch.waitFor((e) => is(erin, 'applied')(e) && e.drift === true, 'the drift repair');
    await watch.waitFor(
      (e) => e.event === 'note' && e.commit === erin && e.outcome === 'recorded' && e.time! > (repaired.time as string),
      'the note of the repair',
    );
    const host = literal(hostname());
    expect(repo.git('notes', '--ref', notesRef(hostname()), 'show', erin)).toMatch(
      new RegExp(
        `^mailstate: applied \\(1 added, 0 changed, 0 deleted\\) on ${host} at ${STAMP}; plan digest ${applied.digest}\\n\\n` +
          `mailstate: drift repaired \\(0 added, 0 changed, 1 deleted\\) on ${host} at ${STAMP}; plan digest ${repaired.digest}\\n$`,
      ),
    );
    expect(await watch.stop('SIGTERM')).toBe(0);
  });
});
