import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mailstate } from '../support/cli.js';
import { SANDBOX_YAML, TestRepo, WatchProcess, homes, withUser } from '../support/gitops.js';
import { EXAMPLE_SANDBOX, server } from '../support/harness.js';

const capped = (yaml: string, cap: number) =>
  yaml.replace('version: 1\n', `version: 1\npolicy: { maxChanges: ${cap} }\n`);
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The words of the command a log line ends with, after "mailstate". */
function commandWords(line: string): string[] {
  const command = line.slice(line.lastIndexOf(': mailstate ') + ': mailstate '.length);
  return command.split(' ');
}

describe('mailstate watch and the safety limits (issue 13, item 3)', () => {
  it('logs a refused commit in sentences of its own, with what its user can do, and the command for a hand apply', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const repo = new TestRepo();
    const first = repo.commit({ 'mailstate.yaml': SANDBOX_YAML }, 'import');
    const watch = new WatchProcess(['--repo', repo.dir, '--debounce', '0.3', ...homes(srv)], { cwd: repo.dir });
    const line = (words: string) => (l: string) => l.includes(words);
    await watch.waitForLine(line(`in sync ${first.slice(0, 12)} (start)`), 'the first reconcile');
    const vpasswd = join(srv.vpopmailHome, 'domains/example.com/vpasswd');
    const before = readFileSync(vpasswd, 'utf8');

    const wide = repo.commit({ 'mailstate.yaml': capped(withUser(withUser(SANDBOX_YAML, 'carol'), 'dave'), 1) }, 'two');
    const short = wide.slice(0, 12);
    const refused = await watch.waitForLine(line(`refused ${short}`), 'the refusal');
    const command = `mailstate apply --force -f ${repo.dir}/mailstate.yaml ${homes(srv).join(' ')}`;
    expect(refused).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z refused ${short} \\(commit\\) in \\d+ ms: ${literal(
          'Nothing was applied: the plan is over its safety limits (the plan makes 2 changes (adds, changes and deletes), over policy.maxChanges 1). ' +
            `The watcher never forces a plan: commit a higher policy.maxChanges, or apply commit ${short} by hand, from a working copy at that commit: ${command}`,
        )}$`,
      ),
    );
    expect(refused).not.toMatch(/re-run with --force|\. [a-z]/);
    expect(readFileSync(vpasswd, 'utf8')).toBe(before);

    // The command it gives works, from the watcher's working copy (at the commit): --yes only because no one is at a terminal here.
    const hand = mailstate([...commandWords(refused), '--yes'], { cwd: repo.dir });
    expect(hand.stderr).toBe('');
    expect(hand.code).toBe(0);
    expect(readFileSync(vpasswd, 'utf8')).toMatch(/^dave:/m);

    // The same changes with the cap raised in a commit: the server already matches.
    const raised = repo.commit(
      { 'mailstate.yaml': capped(withUser(withUser(SANDBOX_YAML, 'carol'), 'dave'), 5) },
      'cap',
    );
    await watch.waitForLine(line(`in sync ${raised.slice(0, 12)} (commit)`), 'the raised cap');
    expect(await watch.stop('SIGTERM')).toBe(0);
  });

  it('a deleted loopback rule can only be applied by hand, and the JSON log says so in its reason', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const repo = new TestRepo();
    const first = repo.commit({ 'mailstate.yaml': SANDBOX_YAML }, 'import');
    const watch = new WatchProcess(
      ['--repo', repo.dir, '--log-format', 'json', '--debounce', '0.3', '--driver', 'files', ...homes(srv)],
      { cwd: repo.dir },
    );
    const is = (commit: string, outcome: string) => (e: Record<string, unknown>) =>
      e.event === 'reconcile' && e.commit === commit && e.outcome === outcome;
    await watch.waitFor(is(first, 'no-changes'), 'the first reconcile');
    const noLoopback = repo.commit(
      { 'mailstate.yaml': SANDBOX_YAML.replace('relay: ["127.", ', 'relay: [') },
      'drop the loopback rule',
    );
    const refused = await watch.waitFor(is(noLoopback, 'refused'), 'the refusal');
    const short = noLoopback.slice(0, 12);
    expect(refused.reason).toBe(
      'Nothing was applied: the plan is over its safety limits (the loopback relay rule 127. is deleted, so local programs (qmail-inject over SMTP, webmail on the host) would lose relaying). ' +
        `The watcher never forces a plan: apply commit ${short} by hand, from a working copy at that commit: mailstate apply --force -f ${repo.dir}/mailstate.yaml ${homes(srv).join(' ')} --driver files`,
    );
    expect(refused.diagnostics).toBeUndefined();
    expect(await watch.stop('SIGTERM')).toBe(0);
  });
});
