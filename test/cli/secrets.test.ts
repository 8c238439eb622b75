import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha512Crypt } from '../../src/crypt/password.js';
import { EXAMPLE_SANDBOX, server } from '../support/harness.js';
import { KNOWN_SECRETS, leakedSecrets } from '../support/leaked-secrets.js';
import { installEmulator } from '../emulator/install.js';
import { mailstate } from '../support/cli.js';

const CLEAR_ENV = 'Zq8-env-clear-text-1f3a';
const CLEAR_FILE = 'Zq8-file-clear-text-77c1';
const NEW_HASH = sha512Crypt('Zq8-hashed-clear-text-9d2e', 'uniqsalt');

describe('the secrecy check on every CLI run of the suite', () => {
  it('knows the hashes and clear texts of the golden corpus and the bundled example', () => {
    const sandboxVpasswd = readFileSync(
      join(EXAMPLE_SANDBOX, 'files/home/vpopmail/domains/example.com/vpasswd'),
      'utf8',
    );
    for (const line of sandboxVpasswd.split('\n').filter(Boolean)) expect(KNOWN_SECRETS).toContain(line.split(':')[1]);
    expect(KNOWN_SECRETS.length).toBeGreaterThan(40);
  });

  it('fails a run whose output carries one', () => {
    const hash = KNOWN_SECRETS.find((s) => s.startsWith('$6$'))!;
    expect(() => mailstate(['validate', '-f', join(tmpdir(), 'no-such-dir', hash)])).toThrow(
      /printed a secret: "\$6\$/,
    );
  });
});

/**
 * One server, YAML with a clear text from the environment, one from a file and a new hash, and
 * every command, format and failure mode run on it: none of those values, nor any hash on the
 * server, may appear in any output or in the snapshot.
 */
describe('no password in any output', () => {
  it('plan (text, markdown, json, --live), apply (both drivers, refused, failed), snapshot, status, errors', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    installEmulator(srv.vpopmailHome, srv.qmailHome);
    const dir = mkdtempSync(join(tmpdir(), 'mailstate-secrets-'));
    const homes = ['--vpopmail-home', srv.vpopmailHome, '--qmail-home', srv.qmailHome];
    const file = join(dir, 'mailstate.yaml');
    expect(mailstate(['import', '-o', file, ...homes]).code).toBe(0);
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets/bob'), `${CLEAR_FILE}\n`);
    chmodSync(join(dir, 'secrets/bob'), 0o600);
    const yaml = readFileSync(file, 'utf8')
      .replace(/(\n {6}alice:\n {8}password: )\S+/, '$1{ env: ALICE_PW }')
      .replace(/(\n {6}bob:\n {8}password: )\S+/, '$1{ file: secrets/bob }')
      .replace(/\n {4}users:\n/, `\n    users:\n      carol:\n        password: "${NEW_HASH}"\n`);
    expect(yaml).toContain('{ env: ALICE_PW }');
    expect(yaml).toContain('{ file: secrets/bob }');
    writeFileSync(file, yaml);
    const env = { ALICE_PW: CLEAR_ENV };
    const secrets = [CLEAR_ENV, CLEAR_FILE, NEW_HASH];
    const outputs: string[] = [];
    const run = (args: string[], extraEnv: Record<string, string> = {}) => {
      const result = mailstate(args, { env: { ...env, ...extraEnv } });
      outputs.push(`${result.stdout}${result.stderr}`);
      return result;
    };

    expect(run(['validate', '-f', file]).code).toBe(0);
    for (const format of ['text', 'markdown', 'json'])
      expect(run(['plan', '--detailed-exitcode', '--format', format, '-f', file, ...homes]).code).toBe(2);
    const snapshot = join(dir, 'live.json');
    expect(run(['snapshot', '-o', snapshot, ...homes]).code).toBe(0);
    outputs.push(readFileSync(snapshot, 'utf8'));
    const key = readFileSync(join(srv.vpopmailHome, 'etc/mailstate.key'), 'utf8').trim();
    expect(run(['plan', '--format', 'json', '--live', snapshot, '-f', file], { MAILSTATE_KEY: key }).code).toBe(0);
    expect(run(['plan', '--live', snapshot, '-f', file]).code).toBe(0);

    expect(run(['apply', '-f', file, ...homes]).code).toBe(1);
    const vpopmail = run(['apply', '--yes', '--force', '--driver', 'vpopmail', '-f', file, ...homes]);
    expect(vpopmail.code, vpopmail.stderr).toBe(0);
    expect(run(['plan', '--detailed-exitcode', '-f', file, ...homes]).code).toBe(0);
    // Then a new user and a new clear text for alice, through the files driver: failed once, then applied.
    writeFileSync(
      file,
      yaml.replace(/\n {4}users:\n/, `\n    users:\n      frank:\n        password: { env: ALICE_PW }\n`),
    );
    const failed = run(['apply', '--yes', '--force', '--driver', 'files', '-f', file, ...homes], {
      MAILSTATE_FAULT_AT: '3',
      MAILSTATE_FAULT_CODE: 'ENOSPC',
    });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^Apply failed: /);
    expect(run(['apply', '--yes', '--force', '--driver', 'files', '-f', file, ...homes]).code).toBe(0);
    expect(run(['status', '--vpopmail-home', srv.vpopmailHome]).code).not.toBeNull();

    // Errors that quote a password's line: a hash with ":" and an unreadable secret file.
    const broken = join(dir, 'broken.yaml');
    writeFileSync(
      broken,
      `version: 1\ndomains:\n  example.com:\n    users:\n      dave: { password: "${NEW_HASH}:0:0" }\n      erin: { password: { env: ALICE_PW } }\n`,
    );
    expect(run(['validate', '-f', broken]).code).toBe(1);
    chmodSync(join(dir, 'secrets/bob'), 0o000);
    run(['plan', '-f', file, ...homes]);

    expect(outputs.length).toBe(16);
    expect(outputs.filter((o) => o.length > 0)).toHaveLength(outputs.length);
    const liveHashes = readFileSync(join(srv.vpopmailHome, 'domains/example.com/vpasswd'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(':')[1]!);
    expect(liveHashes).toContain(NEW_HASH);
    expect(outputs.flatMap((output) => leakedSecrets(output, [...secrets, ...liveHashes]))).toEqual([]);
  });
});
