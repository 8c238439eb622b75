/**
 * A new domain belongs to the vpopmail account, never to root (issue 13, item 1): qmail-lspawn
 * does not deliver as root, so a domain registered 0:0 in users/assign defers all its mail.
 */
import { chownSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accountOwner } from '../../src/apply/domain-files.js';
import { installEmulator } from '../emulator/install.js';
import { mailstate } from '../support/cli.js';
import { homes, tempDir } from '../support/gitops.js';
import { EXAMPLE_SANDBOX, server } from '../support/harness.js';

const ONLY_NEW_DOMAIN = [
  'version: 1',
  'domains:',
  '  big.test:',
  '    users:',
  '      postmaster: { password: "$1$abcdefgh$0123456789012345678901" }',
  '',
].join('\n');

describe('the owner of a new domain', () => {
  it.each(['files', 'vpopmail'] as const)(
    '%s driver: the vpopmail account (89:89 in the sandbox), never 0',
    async (driver) => {
      const srv = await server(EXAMPLE_SANDBOX);
      if (driver === 'vpopmail') installEmulator(srv.vpopmailHome, srv.qmailHome);
      // The sandbox is owned as a real install is: ~vpopmail by vpopmail:vchkpw.
      expect(lstatSync(join(srv.vpopmailHome, 'domains')).uid).toBe(89);
      const yaml = join(tempDir(), 'mailstate.yaml');
      writeFileSync(yaml, ONLY_NEW_DOMAIN);
      const apply = mailstate(['apply', '--yes', '--driver', driver, '-f', yaml, ...homes(srv)]);
      expect(apply.code, apply.stderr).toBe(0);
      const assign = readFileSync(join(srv.qmailHome, 'users', 'assign'), 'utf8');
      expect(assign).toContain(`+big.test-:big.test:89:89:${join(srv.vpopmailHome, 'domains', 'big.test')}:-::\n`);
      const dir = lstatSync(join(srv.vpopmailHome, 'domains', 'big.test'));
      expect({ uid: dir.uid, gid: dir.gid }).toEqual({ uid: 89, gid: 89 });
      const vpasswd = lstatSync(join(srv.vpopmailHome, 'domains', 'big.test', 'vpasswd'));
      expect({ uid: vpasswd.uid, gid: vpasswd.gid }).toEqual({ uid: 89, gid: 89 });
    },
  );

  it('is refused, before anything is written, when only root could be taken', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const domains = join(srv.vpopmailHome, 'domains');
    chownSync(domains, 0, 0);
    const assign = readFileSync(join(srv.qmailHome, 'users', 'assign'), 'utf8');
    const yaml = join(tempDir(), 'mailstate.yaml');
    writeFileSync(yaml, ONLY_NEW_DOMAIN);
    const apply = mailstate(['apply', '--yes', '--driver', 'files', '-f', yaml, ...homes(srv)]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain(
      `Apply failed: add-domain (big.test) failed: no uid for a new domain: no vpopmail account in /etc/passwd, no domain of users/assign read, and ${domains} belongs to root; vadddomain would use the vpopmail account (89:89 by default), qmail never delivers as root: create the account or chown ${domains} to it\nNo change had been completed before it.\n`,
    );
    expect(readFileSync(join(srv.qmailHome, 'users', 'assign'), 'utf8')).toBe(assign);
    expect(() => lstatSync(join(domains, 'big.test'))).toThrow(/ENOENT/);
  });
});

describe('accountOwner', () => {
  it('takes the vpopmail user and the vchkpw group, else the user’s own group', () => {
    const passwd = 'root:x:0:0::/root:/bin/sh\nvpopmail:x:508:600::/home/vpopmail:/bin/false\n';
    expect(accountOwner(passwd, 'vchkpw:x:509:\n')).toEqual({ uid: 508, gid: 509 });
    expect(accountOwner(passwd, 'other:x:1:\n')).toEqual({ uid: 508, gid: 600 });
    expect(accountOwner('root:x:0:0::/root:/bin/sh\n', '')).toBeUndefined();
    expect(accountOwner('vpopmail:x:abc:0::/:/\n', '')).toBeUndefined();
  });
});
