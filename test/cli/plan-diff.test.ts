import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_SANDBOX, bob2Warning, server, treeFingerprint } from '../support/harness.js';
import { REPO, mailstate } from '../support/cli.js';
import { homes, tempDir } from '../support/gitops.js';
import { leakedSecrets } from '../support/leaked-secrets.js';

/** What `plan --diff` shows after the plan for the bundled mailstate.yaml against the example server. */
function exampleDiff(v: string): string[] {
  const d = `${v}/domains/example.com`;
  const user = (name: string, gecos: string, quota: string, clear: string, gid = '0') =>
    `${name}:<hash>:1:${gid}:${gecos}:${d}/${name}:${quota}:${clear}`;
  return [
    'Files apply would change (files driver, dry run):',
    '',
    `mkdir ${v}/archive`,
    `archive: mv ${d}/.qmail-bob ${v}/archive/example.com/.qmail-bob-<UTC time>`,
    `mkdir ${d}/carol`,
    '--- /dev/null',
    `+++ b${d}/carol/lastauth`,
    '@@ -0,0 +1,1 @@',
    '+0.0.0.0',
    '\\ No newline at end of file',
    '--- /dev/null',
    `+++ b${d}/carol/Maildir/maildirsize`,
    '@@ -0,0 +1,2 @@',
    '+524288000S',
    '+0 0',
    `--- a${d}/.dir-control`,
    `+++ b${d}/.dir-control`,
    '@@ -1,4 +1,4 @@',
    '-4',
    '+5',
    ' 0',
    ' 3',
    ' 0 0 0',
    `archive: mv ${d}/bob ${v}/archive/example.com/bob-<UTC time>`,
    '--- /dev/null',
    `+++ b${d}/alice/Maildir/maildirsize`,
    '@@ -0,0 +1,2 @@',
    '+1073741824S',
    '+141 1',
    `--- a${d}/vpasswd`,
    `+++ b${d}/vpasswd`,
    '@@ -1,4 +1,4 @@',
    `-${user('alice', 'alice', 'NOQUOTA', '<clear>')}`,
    `-${user('bob', 'bob', 'NOQUOTA', '<clear>')}`,
    `+${user('alice', 'Alice Smith', '1073741824S', '<clear>', '12')}`,
    `+${user('carol', 'Carol Jones', '524288000S', '')}`,
    ` ${user('john.doe', 'john.doe', 'NOQUOTA', '<clear>')}`,
    ` ${user('postmaster', 'Postmaster', 'NOQUOTA', '<clear>')}`,
    `binary file rebuilt: ${d}/vpasswd.cdb`,
    `--- a${d}/.qmail-alice`,
    `+++ b${d}/.qmail-alice`,
    '@@ -1,1 +1,2 @@',
    '-&target@example.net',
    '+&alice@example.net',
    `+${d}/alice/Maildir/`,
    '--- /dev/null',
    `+++ b${d}/.qmail-sales`,
    '@@ -0,0 +1,2 @@',
    '+&alice@example.com',
    '+&carol@example.com',
    `--- a${v}/etc/tcp.smtp`,
    `+++ b${v}/etc/tcp.smtp`,
    '@@ -1,5 +1,4 @@',
    ' 127.:allow,RELAYCLIENT=""',
    ' 192.168.1.:allow,RELAYCLIENT=""',
    ' 10.0.0.5:allow,RELAYCLIENT=""',
    '-172.16.:allow,RELAYCLIENT=""',
    ' :allow',
    `run: tcprules ${v}/etc/tcp.smtp.cdb ${v}/etc/tcp.smtp.tmp`,
  ];
}

describe('plan --diff', () => {
  it('prints, after the plan, the diff of every file the files driver would write, and writes nothing', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const before = treeFingerprint(srv.root);
    const plain = mailstate(['plan', ...homes(srv)]);
    const result = mailstate(['plan', '--diff', '--detailed-exitcode', ...homes(srv)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`${bob2Warning(srv.vpopmailHome)}\n`);
    // The plan exactly as without --diff, then one blank line and the diffs.
    expect(result.stdout.startsWith(`${plain.stdout}\n`)).toBe(true);
    expect(result.stdout.slice(plain.stdout.length + 1).split('\n')).toEqual([...exampleDiff(srv.vpopmailHome), '']);
    // No file, directory, lock or mode changed: not even the vpasswd lock apply would take.
    expect(treeFingerprint(srv.root)).toEqual(before);
  });

  it('in Markdown, folds each file in its own block before the footer; in JSON, adds fileDiffs only when asked', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const before = treeFingerprint(srv.root);
    const vpasswd = `${srv.vpopmailHome}/domains/example.com/vpasswd`;
    const md = mailstate(['plan', '--diff', '--format', 'markdown', ...homes(srv)]);
    expect(md.code).toBe(0);
    const lines = md.stdout.trimEnd().split('\n');
    const at = lines.indexOf(`<details><summary>${vpasswd}</summary>`);
    expect(at).toBeGreaterThan(lines.indexOf('### Files apply would change'));
    expect(lines.slice(at + 1, at + 5)).toEqual(['', '```diff', `--- a${vpasswd}`, `+++ b${vpasswd}`]);
    expect(lines).toContain(`run: tcprules ${srv.vpopmailHome}/etc/tcp.smtp.cdb ${srv.vpopmailHome}/etc/tcp.smtp.tmp`);
    // The footer stays last.
    expect(lines.at(-1)).toMatch(/Plan digest \(sha256\): <code>[0-9a-f]{64}<\/code><\/sub>$/);

    const out = join(tempDir(), 'plan.json');
    const json = mailstate(['plan', '--diff', '--format', 'json', '--out', out, ...homes(srv)]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.formatVersion).toBe(1);
    const tcpSmtp = parsed.fileDiffs.find(
      (entry: { path: string }) => entry.path === `${srv.vpopmailHome}/etc/tcp.smtp`,
    );
    expect(tcpSmtp.diff).toContain('\n-172.16.:allow,RELAYCLIENT=""\n');
    expect(parsed.fileDiffs).toContainEqual({
      path: `${srv.vpopmailHome}/domains/example.com/vpasswd.cdb`,
      binary: true,
    });
    expect(parsed.fileOperations).toContain(`mkdir ${srv.vpopmailHome}/archive`);
    // The plan itself is unchanged: the same digest, and the saved plan (for apply PLAN.json) has no diffs.
    const without = JSON.parse(mailstate(['plan', '--format', 'json', ...homes(srv)]).stdout);
    expect(without.fileDiffs).toBeUndefined();
    expect(without.fileOperations).toBeUndefined();
    expect(parsed.digest).toBe(without.digest);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(without);
    // (the --out file is the one thing written)
    expect(treeFingerprint(srv.root)).toEqual(before);
  });

  it('redacts the clear texts and hashes of changed passwords: nothing secret in any format', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const file = join(tempDir(), 'mailstate.yaml');
    const yaml = readFileSync(join(REPO, 'mailstate.yaml'), 'utf8')
      .replace(/(\n {6}alice:\n {8}password: )\S+/, '$1{ env: ALICE_PW }')
      .replace(/(\n {6}carol:\n(?: {8}#.*\n)? {8}password: )\S+/, '$1{ env: CAROL_PW }');
    expect(yaml).toContain('{ env: ALICE_PW }');
    expect(yaml).toContain('{ env: CAROL_PW }');
    writeFileSync(file, yaml);
    const env = { ALICE_PW: 'alice-new-clear-1', CAROL_PW: 'carol-new-clear-2' };
    for (const format of ['text', 'markdown', 'json']) {
      // mailstate() itself fails the test on any known hash or clear text of the environment.
      const result = mailstate(['plan', '--diff', '--format', format, '-f', file, ...homes(srv)], { env });
      expect(result.code).toBe(0);
      expect(leakedSecrets(result.stdout, Object.values(env))).toEqual([]);
      expect(result.stdout).toContain(
        `alice:<hash>:1:12:Alice Smith:${srv.vpopmailHome}/domains/example.com/alice:1073741824S:<clear>`,
      );
    }
  });

  it("shows a new domain's qmail files: rcpthosts, virtualdomains, users/assign and the users/cdb rebuild", async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const before = treeFingerprint(srv.root);
    const file = join(tempDir(), 'new.yaml');
    const hash = readFileSync(join(REPO, 'mailstate.yaml'), 'utf8').match(
      /carol:\n(?: {8}#.*\n)? {8}password: "(\S+)"/,
    )![1];
    writeFileSync(
      file,
      `version: 1\npolicy: { prune: false }\ndomains:\n  new.test:\n    users:\n      postmaster: { password: "${hash}" }\n`,
    );
    const result = mailstate(['plan', '--diff', '-f', file, ...homes(srv)]);
    expect(result.code).toBe(0);
    const diff = result.stdout.slice(result.stdout.indexOf('Files apply would change'));
    const q = srv.qmailHome;
    const d = `${srv.vpopmailHome}/domains`;
    expect(diff).toContain(
      [
        `--- a${q}/control/rcpthosts`,
        `+++ b${q}/control/rcpthosts`,
        '@@ -1,3 +1,4 @@',
        ' example.com',
        ' example.org',
        ' mail.oracle.test',
        '+new.test',
        `--- a${q}/control/virtualdomains`,
        `+++ b${q}/control/virtualdomains`,
        '@@ -1,2 +1,3 @@',
        ' example.com:example.com',
        ' example.org:example.org',
        '+new.test:new.test',
        '',
      ].join('\n'),
    );
    // The uid:gid new domains get is issue 13's first item; here, only that the line is added before ".".
    expect(diff).toMatch(
      new RegExp(
        `\\n\\+\\+\\+ b${q}/users/assign\\n@@ -1,3 \\+1,4 @@\\n( .*\\n){2}\\+\\+new\\.test-:new\\.test:\\d+:\\d+:${d}/new\\.test:-::\\n \\.\\n`,
      ),
    );
    expect(diff).toContain(`\nbinary file rebuilt: ${q}/users/cdb\n`);
    expect(diff).toContain(`\n+postmaster:<hash>:1:0:Postmaster:${d}/new.test/postmaster:NOQUOTA\n`);
    expect(diff).toContain(`\nbinary file created: ${d}/new.test/vpasswd.cdb\n`);
    expect(treeFingerprint(srv.root)).toEqual(before);
  });

  it('a dry run that stops at a step shows what came before, says why, and exits 1', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const carol = `${srv.vpopmailHome}/domains/example.com/carol`;
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(carol, 'junk'), { recursive: true });
    const before = treeFingerprint(srv.root);
    const result = mailstate(['plan', '--diff', ...homes(srv)]);
    expect(result.code).toBe(1);
    const why = `the 4 user changes of example.com failed: ${carol} already exists and is not empty: refusing to give it to a new user (vadduser refuses too)`;
    expect(result.stdout.split('\n').slice(-7)).toEqual([
      'Files apply would change (files driver, dry run):',
      '',
      `mkdir ${srv.vpopmailHome}/archive`,
      `archive: mv ${srv.vpopmailHome}/domains/example.com/.qmail-bob ${srv.vpopmailHome}/archive/example.com/.qmail-bob-<UTC time>`,
      '',
      `The dry run stopped: ${why}. apply would stop there too; what it would write before that is shown.`,
      '',
    ]);
    expect(result.stderr).toBe(
      `${bob2Warning(srv.vpopmailHome)}\nError: mailstate plan --diff: the dry run of apply stopped: ${why}\n`,
    );
    expect(treeFingerprint(srv.root)).toEqual(before);
  });

  it('refuses --live and --base, which have no server files to diff, before planning', async () => {
    for (const [flag, value] of [
      ['--live', 'live.json'],
      ['--base', 'HEAD'],
    ] as const) {
      const result = mailstate(['plan', '--diff', flag, value]);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: `Error: mailstate plan: --diff shows the files of the server, so it cannot go with ${flag}\n`,
      });
    }
  });
});
