import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_SANDBOX, GOLDEN, bob2Warning, server, treeFingerprint, type TestServer } from '../support/harness.js';
import { HASH_SECRET6 } from '../support/builders.js';
import { REPO, mailstate } from '../support/cli.js';
import { homes, tempDir } from '../support/gitops.js';

const BUNDLED = join(import.meta.dirname, '../../mailstate.yaml');
const ALICE_HASH = '$6$DxW/quTn$NylrT5Ty1QhB7rSvAphmZpcFZdqFInjOrSd/gSjQyQ5B.OWEFt3SShDCOG.6hkC6YGavJcAG5EjqKzNiL12y8/';

/** Every vpasswd line's hash (field 2) and clear-text password (field 8) below a vpopmail home. */
function secretsOf(vpopmailHome: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name === 'vpasswd') {
        for (const line of readFileSync(join(dir, entry.name), 'utf8').split('\n').filter(Boolean)) {
          const fields = line.split(':');
          found.push(fields[1]!);
          // The clear text is everything after the 7th colon (it may hold colons itself).
          if (fields.length > 7) found.push(fields.slice(7).join(':'));
        }
      }
    }
  };
  walk(join(vpopmailHome, 'domains'));
  return found.filter(Boolean);
}

function snapshot(srv: TestServer): { file: string; key: string; stderr: string } {
  const file = join(tempDir(), 'live.json');
  const run = mailstate(['snapshot', '-o', file, ...homes(srv)]);
  expect(run.code).toBe(0);
  return { file, key: readFileSync(join(srv.vpopmailHome, 'etc/mailstate.key'), 'utf8').trim(), stderr: run.stderr };
}

/** The bundled example with alice's password changed: a plan with every kind of user change. */
function desiredWithNewPassword(): string {
  const file = join(tempDir(), 'mailstate.yaml');
  writeFileSync(file, readFileSync(BUNDLED, 'utf8').replace(ALICE_HASH, HASH_SECRET6));
  return file;
}

describe('mailstate snapshot', () => {
  it('holds no hash and no clear-text password, and creates the key 0600 once', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const first = snapshot(srv);
    const keyFile = join(srv.vpopmailHome, 'etc/mailstate.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);
    expect(first.stderr).toContain(`Created the snapshot key ${keyFile} (0600).`);
    expect(first.stderr).toMatch(/Wrote .*live\.json: 2 domains, 5 users, no password \(key id [0-9a-f]{16}\)\.\n$/);

    const bytes = readFileSync(first.file, 'utf8');
    const secrets = secretsOf(srv.vpopmailHome);
    expect(secrets).toEqual(expect.arrayContaining([ALICE_HASH, 'pmpass1', 'pmpass2', 'pw']));
    for (const secret of secrets) expect(bytes.includes(secret), `snapshot holds ${secret}`).toBe(false);
    expect(bytes).not.toMatch(/\$[156]\$/);

    const parsed = JSON.parse(bytes);
    expect(parsed.snapshotVersion).toBe(1);
    expect(parsed.passwords).toEqual({ digest: 'HMAC-SHA256', keyId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(parsed.domains[0].users[0]).toEqual(
      expect.objectContaining({ name: 'alice', hashDigest: expect.stringMatching(/^[0-9a-f]{64}$/) }),
    );

    // The key is made once: a second snapshot uses it again.
    const second = snapshot(srv);
    expect(second.key).toBe(first.key);
    expect(second.stderr).not.toContain('Created the snapshot key');
    expect(JSON.parse(readFileSync(second.file, 'utf8')).passwords).toEqual(parsed.passwords);
  });

  it('leaves out the clear-text field on every golden server that keeps one', async () => {
    const srv = await server(join(GOLDEN, '05-vpasswd'));
    const { file } = snapshot(srv);
    const bytes = readFileSync(file, 'utf8');
    const secrets = secretsOf(srv.vpopmailHome);
    expect(secrets.length).toBeGreaterThan(2);
    for (const secret of secrets) expect(bytes.includes(secret), `snapshot holds ${secret}`).toBe(false);
  });
});

describe('mailstate plan --live', () => {
  it('with the key, makes exactly the plan the server makes', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const { file, key } = snapshot(srv);
    const desired = desiredWithNewPassword();
    const fingerprint = treeFingerprint(srv.root);
    for (const format of ['json', 'text', 'markdown']) {
      const onServer = mailstate(['plan', '-f', desired, '--format', format, ...homes(srv)]);
      const fromSnapshot = mailstate(['plan', '-f', desired, '--format', format, '--live', file], {
        env: { MAILSTATE_KEY: key },
      });
      expect(fromSnapshot.code).toBe(0);
      if (format === 'markdown') {
        // Only the footer says what the plan was made against.
        const [serverBody, serverFooter] = onServer.stdout.split('\n<sub>');
        const [snapshotBody, snapshotFooter] = fromSnapshot.stdout.split('\n<sub>');
        expect(snapshotBody).toBe(serverBody);
        expect(snapshotFooter).toMatch(
          /^Planned against the snapshot live\.json of .+ taken .+Z\. Plan digest \(sha256\): <code>[0-9a-f]{64}<\/code><\/sub>\n$/,
        );
        expect(serverFooter).toMatch(/^Planned against the server on .+ \(.+\) at .+Z\. Plan digest/);
        const digestOf = (footer: string) => footer.slice(footer.indexOf('Plan digest'));
        expect(digestOf(snapshotFooter!)).toBe(digestOf(serverFooter!));
      } else {
        expect(fromSnapshot.stdout).toBe(onServer.stdout);
      }
    }
    const json = JSON.parse(
      mailstate(['plan', '-f', desired, '--format', 'json', '--live', file], { env: { MAILSTATE_KEY: key } }).stdout,
    );
    expect(
      json.changes.find((c: { kind: string; name?: string }) => c.kind === 'modify-user' && c.name === 'alice')
        .fields[0],
    ).toEqual({ field: 'password' });
    // --key-file works the same, and planning read nothing from the server.
    const keyFile = join(tempDir(), 'key');
    writeFileSync(keyFile, `${key}\n`);
    const viaFile = mailstate(['plan', '-f', desired, '--format', 'json', '--live', file, '--key-file', keyFile]);
    expect(viaFile.stdout).toBe(mailstate(['plan', '-f', desired, '--format', 'json', ...homes(srv)]).stdout);
    expect(treeFingerprint(srv.root)).toEqual(fingerprint);
  });

  it('without the key, says each password is not comparable instead of guessing', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const { file } = snapshot(srv);
    const desired = desiredWithNewPassword();
    const run = mailstate(['plan', '-f', desired, '--format', 'json', '--live', file]);
    expect(run.code).toBe(0);
    const warnings = run.stderr.split('\n').filter((line) => line.includes('not comparable'));
    const shown = relative(REPO, desired);
    expect(warnings).toEqual([
      `${shown}:25:7: warning: user "alice@example.com": password (not comparable from a snapshot): no key to compare hashes with the snapshot (set MAILSTATE_KEY or --key-file)`,
      `${shown}:31:7: warning: user "john.doe@example.com": password (not comparable from a snapshot): no key to compare hashes with the snapshot (set MAILSTATE_KEY or --key-file)`,
      `${shown}:23:7: warning: user "postmaster@example.com": password (not comparable from a snapshot): no key to compare hashes with the snapshot (set MAILSTATE_KEY or --key-file)`,
      `${shown}:48:7: warning: user "postmaster@example.org": password (not comparable from a snapshot): no key to compare hashes with the snapshot (set MAILSTATE_KEY or --key-file)`,
    ]);
    const plan = JSON.parse(run.stdout);
    const alice = plan.changes.find(
      (c: { kind: string; name?: string }) => c.kind === 'modify-user' && c.name === 'alice',
    );
    expect(alice.fields.map((f: { field: string }) => f.field)).toEqual(['comment', 'quota', 'flags']);
    expect(alice.password).toBeUndefined();
    // The fourth and fifth: bob's deletion seen from the snapshot as from the server (.qmail-bob2 delivers into his Maildir).
    expect(plan.warnings).toHaveLength(5);
    expect(run.stderr.split('\n')).toContain(bob2Warning(srv.vpopmailHome));
    const md = mailstate(['plan', '-f', desired, '--format', 'markdown', '--live', file]).stdout;
    expect(md).toContain('> [!NOTE]\n> 5 warnings:\n> - ');
    expect(md).toContain('password (not comparable from a snapshot)');
  });

  it('never compares a clear text from env or file with a digest, even with the key', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const { file, key } = snapshot(srv);
    const desired = join(tempDir(), 'mailstate.yaml');
    writeFileSync(desired, readFileSync(BUNDLED, 'utf8').replace(`"${ALICE_HASH}"`, '{ env: ALICE_PASSWORD }'));
    const run = mailstate(['plan', '-f', desired, '--live', file], { env: { MAILSTATE_KEY: key } });
    expect(run.code).toBe(0);
    expect(run.stderr.split('\n').filter((l) => l.includes('warning'))).toEqual([
      `${relative(REPO, desired)}:25:7: warning: user "alice@example.com": password (not comparable from a snapshot): a clear text (env:ALICE_PASSWORD) cannot be checked against the digest of a hash; apply on the server compares it`,
      bob2Warning(srv.vpopmailHome),
    ]);
    expect(run.stdout).not.toContain('password: (changed)');
    // A new user whose password comes from the environment is planned without reading it.
    const withNewUser = readFileSync(desired, 'utf8').replace(
      '        password: "$6$abcdefgh',
      '        password: { env: CAROL_PASSWORD }\n        # was "$6$abcdefgh',
    );
    writeFileSync(desired, withNewUser);
    const added = mailstate(['plan', '-f', desired, '--live', file], { env: { MAILSTATE_KEY: key } });
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(
      '  + user carol\n      comment:  "Carol Jones"\n      quota:    500M\n      flags:    none\n      password: (set from env:CAROL_PASSWORD)\n',
    );
  });

  it('carries the names on unreadable vpasswd lines, so a plan from the snapshot refuses them as the server does', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const vpasswd = join(srv.vpopmailHome, 'domains/example.com/vpasswd');
    writeFileSync(vpasswd, readFileSync(vpasswd, 'utf8').replace(/^bob:.*$/m, 'bob:x:1:0:Bob'));
    const { file, key } = snapshot(srv);
    expect(JSON.parse(readFileSync(file, 'utf8')).domains[0].malformedVpasswdLines).toEqual([{ name: 'bob', line: 2 }]);
    const onServer = mailstate(['plan', '-f', BUNDLED, ...homes(srv)]);
    const fromSnapshot = mailstate(['plan', '-f', BUNDLED, '--live', file], { env: { MAILSTATE_KEY: key } });
    expect(onServer.code).toBe(1);
    expect(fromSnapshot.code).toBe(1);
    // The bundled YAML leaves bob out and changes other users: the cdb rebuild would bake in bob's broken line.
    const refusal = (stderr: string) => stderr.split('\n').filter((line) => line.includes(': error: '));
    expect(refusal(onServer.stderr)).toEqual([
      `${vpasswd}:2: error: vpasswd line 2 for "bob" cannot be read, and this plan rebuilds vpasswd.cdb of example.com from vpasswd, which would make that broken line the record "bob" logs in with: fix or remove the line by hand first`,
    ]);
    expect(refusal(fromSnapshot.stderr)).toEqual(refusal(onServer.stderr));
  });

  it("refuses a key that is not the snapshot's, and a file that is not a snapshot", async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const { file } = snapshot(srv);
    const wrong = mailstate(['plan', '-f', BUNDLED, '--live', file], { env: { MAILSTATE_KEY: 'ab'.repeat(32) } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^Error: the key given \(id [0-9a-f]{16}\) is not the one .*live\.json was made with \(id [0-9a-f]{16}\): use the content of .*\/etc\/mailstate\.key on .+\n$/,
    );
    const garbage = join(tempDir(), 'plan.json');
    writeFileSync(garbage, JSON.stringify({ snapshotVersion: 2 }));
    const old = mailstate(['plan', '-f', BUNDLED, '--live', garbage]);
    expect(old).toEqual({
      code: 1,
      stdout: '',
      stderr: `${garbage}: error: snapshotVersion 2 is not supported (this mailstate reads version 1)\nError: ${garbage} cannot be used; nothing was planned.\n`,
    });
    writeFileSync(garbage, JSON.stringify({ snapshotVersion: 1, domains: 'x' }));
    expect(mailstate(['plan', '-f', BUNDLED, '--live', garbage]).stderr).toMatch(
      /^.*: error: not a valid snapshot: \/ must have required property 'createdAt'; /,
    );
    expect(mailstate(['plan', '--live', file, '--base', 'HEAD']).stderr).toBe(
      'Error: mailstate plan: --live and --base are alternatives: give one\n',
    );
  });
});
