import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../src/desired/load.js';
import { loadDesiredAtCommit } from '../../src/git/desired-at-commit.js';
import { pullFastForward } from '../../src/git/fast-forward.js';
import { notesRef } from '../../src/git/notes.js';
import { fileAt, listAt, openRepo, resolveCommit, RepoError } from '../../src/git/repo.js';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { HASH_SECRET1 } from '../support/builders.js';
import { TestRepo, tempDir } from '../support/gitops.js';

const MAIN = `version: 1\ninclude: ["domains/*.yaml"]\ndomains: {}\n`;
const domain = (name: string, user: string) =>
  `domains:\n  ${name}:\n    users:\n      postmaster: { password: "${HASH_SECRET1}" }\n      ${user}: { password: "${HASH_SECRET1}" }\n`;

describe('the desired state at a commit', () => {
  it('reads the committed main file and includes, never the working tree', async () => {
    const test = new TestRepo();
    const first = test.commit({ 'mailstate.yaml': MAIN, 'domains/a.example.yaml': domain('a.example', 'alice') });
    test.commit({ 'domains/b.example.yaml': domain('b.example', 'bob') });
    // Uncommitted: an edit, a new include and a symbolic link the working tree would follow.
    test.write({
      'domains/a.example.yaml': domain('a.example', 'mallory'),
      'domains/c.example.yaml': domain('c.example', 'carol'),
    });
    symlinkSync('/etc/passwd', join(test.dir, 'domains/d.example.yaml'));

    const repo = await openRepo(test.dir);
    const head = await resolveCommit(repo, 'HEAD');
    const at = async (commit: string) => {
      const result = await loadDesiredAtCommit(repo, commit, 'mailstate.yaml');
      if (!result.ok) throw new Error(result.diagnostics.map(formatDiagnostic).join('\n'));
      return [...result.value.domains.values()].map((d) => `${d.name}: ${[...d.users.keys()].join(' ')}`);
    };
    expect(await at(head!)).toEqual(['a.example: postmaster alice', 'b.example: postmaster bob']);
    expect(await at(first)).toEqual(['a.example: postmaster alice']);
  });

  it('names files relative to the repository and says when the file is not in the commit', async () => {
    const test = new TestRepo();
    const commit = test.commit({ 'config/mailstate.yaml': 'version: 1\ndomains: {Bad: {}}\n' });
    const repo = await openRepo(join(test.dir, 'config'));
    expect(repo.root).toBe(test.dir);
    const bad = await loadDesiredAtCommit(repo, commit, 'config/mailstate.yaml');
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics.map(formatDiagnostic)[0]).toMatch(/^config\/mailstate\.yaml:2:11: error: /);
    const missing = await loadDesiredAtCommit(repo, commit, 'mailstate.yaml');
    expect(missing.diagnostics.map(formatDiagnostic)).toEqual([
      `mailstate.yaml: error: cannot read the file: not in commit ${commit.slice(0, 12)}`,
    ]);
    expect(await fileAt(repo, commit, 'config/nope.yaml')).toBeUndefined();
    expect(await listAt(repo, commit, 'config')).toEqual([{ name: 'mailstate.yaml', kind: 'file' }]);
    expect(await resolveCommit(repo, 'no-such-ref')).toBeUndefined();
    await expect(openRepo(tempDir())).rejects.toBeInstanceOf(RepoError);
  });
});

describe('a committed file is judged as the same file on disk', () => {
  it('refuses invalid UTF-8 at its line and column instead of reading U+FFFD', async () => {
    const test = new TestRepo();
    test.commit({ 'mailstate.yaml': 'version: 1\n' });
    writeFileSync(
      join(test.dir, 'mailstate.yaml'),
      Buffer.concat([
        Buffer.from('version: 1\ndomains:\n  example.com:\n    users:\n      alice: { comment: "Ren'),
        Buffer.from([0xe9]),
        Buffer.from('e" }\n'),
      ]),
    );
    test.git('commit', '--quiet', '-am', 'latin-1 byte');
    const repo = await openRepo(test.dir);
    const committed = await loadDesiredAtCommit(repo, (await resolveCommit(repo, 'HEAD'))!, 'mailstate.yaml');
    const onDisk = await loadDesired(join(test.dir, 'mailstate.yaml'));
    expect(committed.ok).toBe(false);
    expect(committed.diagnostics.map(formatDiagnostic)).toEqual(
      onDisk.diagnostics.map((d) => formatDiagnostic({ ...d, file: 'mailstate.yaml' })),
    );
    expect(committed.diagnostics.map(formatDiagnostic)[0]).toMatch(/^mailstate\.yaml:5:29: error: /);
  });

  it('refuses a blob over the size cap before reading it', async () => {
    const test = new TestRepo();
    const commit = test.commit({ 'mailstate.yaml': `version: 1\n# ${'x'.repeat(2000)}\n` });
    const repo = await openRepo(test.dir);
    await expect(fileAt(repo, commit, 'mailstate.yaml', { maxBytes: 1000 })).rejects.toThrow(
      `mailstate.yaml at ${commit.slice(0, 12)} is larger than`,
    );
    expect((await fileAt(repo, commit, 'mailstate.yaml'))!.length).toBe(2014);
  });
});

describe('pulling', () => {
  it('fast-forwards a branch that is not checked out without touching the working tree', async () => {
    const origin = new TestRepo();
    origin.commit({ 'mailstate.yaml': MAIN });
    const clone = new TestRepo(join(tempDir(), 'clone'), false);
    origin.git('clone', '--quiet', origin.dir, clone.dir);
    clone.git('checkout', '--quiet', '-b', 'elsewhere');
    const merged = origin.commit({ 'mailstate.yaml': MAIN.replace('{}', '{} # merged') });
    const repo = await openRepo(clone.dir);
    expect(await pullFastForward(repo, 'origin', 'main')).toMatchObject({ kind: 'fast-forwarded', to: merged });
    expect(await resolveCommit(repo, 'refs/heads/main')).toBe(merged);
    expect(clone.read('mailstate.yaml')).toBe(MAIN);
    expect(await pullFastForward(repo, 'origin', 'main')).toEqual({ kind: 'up-to-date', commit: merged });
    await expect(pullFastForward(repo, 'origin', 'nope')).rejects.toThrow(
      "git fetch origin nope failed: couldn't find remote ref refs/heads/nope",
    );
  });

  it('keeps one notes ref per server', () => {
    expect(notesRef('mail1.example.com')).toBe('mailstate/mail1.example.com');
    expect(notesRef('../we ird')).toBe('mailstate/_we_ird');
  });
});
