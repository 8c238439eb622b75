import { describe, expect, it } from 'vitest';
import { HASH_SECRET1 } from '../support/builders.js';
import { mailstate } from '../support/cli.js';
import { TestRepo } from '../support/gitops.js';

const MAIN = `version: 1
defaults: { quota: 100M }
relay: ["127."]
include: ["domains/*.yaml"]
domains:
  example.com:
    users:
      postmaster: { password: "${HASH_SECRET1}" }
      alice: { password: { env: ALICE_PASSWORD }, quota: 1G }
      bob: { password: { file: secrets/bob } }
    aliases:
      info: [alice@example.com]
`;
const ORG = `domains:
  example.org:
    users:
      postmaster: { password: "${HASH_SECRET1}" }
`;

/** A repository with two commits: the desired state before and after a pull request. */
function twoCommits() {
  const repo = new TestRepo();
  const base = repo.commit({ 'mailstate.yaml': MAIN, 'domains/example.org.yaml': ORG }, 'base');
  const head = repo.commit(
    {
      'mailstate.yaml': MAIN.replace('quota: 1G', 'quota: 2G')
        .replace('{ file: secrets/bob }', '{ env: BOB_PASSWORD }')
        .replace('relay: ["127."]', 'relay: ["127.", "10.0.0."]'),
      'domains/example.org.yaml': `${ORG}      carol: { password: "${HASH_SECRET1}" }\n`,
    },
    'pull request',
  );
  return { repo, base, head };
}

describe('mailstate plan --base', () => {
  it('plans what the working tree changes against a commit, includes too, with no server and no secret read', () => {
    const { repo, base } = twoCommits();
    const run = mailstate(['plan', '--base', 'HEAD~1', '--detailed-exitcode'], { cwd: repo.dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe(
      [
        'example.com',
        '  ~ user alice',
        '      quota:    1G -> 2G',
        '  ~ user bob',
        '      password: (changed)',
        '  * rebuild vpasswd.cdb (users changed)',
        '',
        'example.org',
        '  + user carol',
        '      comment:  "carol"',
        '      quota:    100M',
        '      flags:    none',
        '      password: (set from hash)',
        '  * rebuild vpasswd.cdb (users changed)',
        '',
        'relay (tcp.smtp)',
        '  + relay 10.0.0.',
        '  * rebuild tcp.smtp.cdb (relay rules changed)',
        '',
        'Warning: example.com: 2 of 3 users (66.7%) deleted or changed, over policy.maxChangePercent 30%, allowed because the domain has fewer than 10 users.',
        '',
        'Plan: 2 to add, 2 to change, 0 to delete, 3 CDB rebuilds.',
        '',
      ].join('\n'),
    );
    const md = mailstate(['plan', '--base', base, '--format', 'markdown'], { cwd: repo.dir }).stdout;
    expect(md).toMatch(
      new RegExp(
        `<sub>Planned against ${base} \\(${base.slice(0, 12)}\\), without reading any server\\. Plan digest \\(sha256\\): <code>[0-9a-f]{64}</code></sub>\\n$`,
      ),
    );
  });

  it('finds nothing against the same commit; sees uncommitted edits; a file new in the branch is all additions', () => {
    const { repo } = twoCommits();
    const same = mailstate(['plan', '--base', 'HEAD', '--detailed-exitcode'], { cwd: repo.dir });
    expect(same).toEqual({ code: 0, stdout: 'No changes. The live state matches mailstate.yaml.\n', stderr: '' });

    repo.write({ 'mailstate.yaml': repo.read('mailstate.yaml').replace('      info: [alice@example.com]\n', '') });
    const dirty = mailstate(['plan', '--base', 'HEAD', '--detailed-exitcode'], { cwd: repo.dir });
    expect(dirty.code).toBe(2);
    expect(dirty.stdout).toBe(
      'example.com\n  - alias info (was -> alice@example.com)\n\nPlan: 0 to add, 0 to change, 1 to delete, 0 CDB rebuilds.\n',
    );

    const fresh = new TestRepo();
    fresh.commit({ README: 'config repo\n' });
    fresh.write({ 'mailstate.yaml': ORG.replace('domains:\n', 'version: 1\ndomains:\n') });
    const added = mailstate(['plan', '--base', 'HEAD'], { cwd: fresh.dir });
    expect(added.stderr).toMatch(
      /^note: mailstate\.yaml does not exist at HEAD \([0-9a-f]{12}\): everything it declares is new\.\n$/,
    );
    expect(added.stdout.split('\n').slice(0, 3)).toEqual([
      'example.org',
      '  + domain example.org (/home/vpopmail/domains/example.org)',
      '  + user postmaster',
    ]);
  });

  it('fails clearly on an unknown ref and on a base that does not validate', () => {
    const { repo } = twoCommits();
    expect(mailstate(['plan', '--base', 'no-such-branch'], { cwd: repo.dir })).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: --base no-such-branch: no such commit in ${repo.dir}\n`,
    });
    repo.commit({ 'mailstate.yaml': 'version: 1\ndomains: {example.com: {users: {Bob: {}}}}\n' }, 'broken');
    repo.write({ 'mailstate.yaml': MAIN });
    const run = mailstate(['plan', '--base', 'HEAD'], { cwd: repo.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'mailstate.yaml:2:33: error: user "Bob": name must be lowercase (vpopmail lowercases it): write "bob"\nError: mailstate.yaml at HEAD: 1 error; nothing was planned or applied.\n',
    );
  });
});
