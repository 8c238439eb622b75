/**
 * A new domain belongs to the vpopmail account, never to root (issue 13, item 1): qmail-lspawn
 * does not deliver as root, so a domain registered 0:0 in users/assign defers all its mail.
 */
import { chownSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { filesDriver } from '../../src/apply/files-driver.js';
import { vpopmailOwner } from '../../src/apply/domain-files.js';
import { vpopmailDriver } from '../../src/apply/vpopmail-driver.js';
import { serverIo } from '../../src/io/node-io.js';
import { accountOwner, type AccountFiles } from '../../src/live/accounts.js';
import { readLive } from '../../src/live/read-live.js';
import { diffState } from '../../src/plan/plan.js';
import { desiredDomain, desiredUser } from '../support/builders.js';
import { installEmulator } from '../emulator/install.js';
import { mailstate } from '../support/cli.js';
import { homes, tempDir } from '../support/gitops.js';
import {
  applyEnvironment,
  desiredFromLive,
  EXAMPLE_SANDBOX,
  planOf,
  server,
  treeFingerprint,
  type TestServer,
} from '../support/harness.js';

const ONLY_NEW_DOMAIN = [
  'version: 1',
  'domains:',
  '  big.test:',
  '    users:',
  '      postmaster: { password: "$1$abcdefgh$0123456789012345678901" }',
  '',
].join('\n');

/** An account database naming vpopmail:vchkpw 508:509, so a new domain can only get 508:509 from it. */
function accounts(passwd = 'root:x:0:0:root:/root:/bin/sh\nvpopmail:x:508:600::/home/vpopmail:/bin/false\n') {
  const dir = tempDir('mailstate-accounts-');
  const files: AccountFiles = { passwd: join(dir, 'passwd'), group: join(dir, 'group') };
  writeFileSync(files.passwd, passwd);
  writeFileSync(files.group, 'root:x:0:\nvchkpw:x:509:\n');
  return files;
}

/** Every entry below `root` whose owner is not `uid:gid`, as "path uid:gid". */
function ownedOtherwise(root: string, uid: number, gid: number): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    const info = lstatSync(path);
    if (info.uid !== uid || info.gid !== gid) out.push(`${path} ${info.uid}:${info.gid}`);
    if (info.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(root);
  return out;
}

/** Adds big.test to what the server holds, through `driver`, as `mailstate apply` does, with `files` as accounts. */
async function addBigTest(srv: TestServer, driver: typeof filesDriver, files: AccountFiles): Promise<void> {
  const { state } = await readLive({ vpopmailHome: srv.vpopmailHome, qmailHome: srv.qmailHome, accounts: files });
  const desired = desiredFromLive(state);
  desired.domains.set('big.test', desiredDomain('big.test', [desiredUser('postmaster'), desiredUser('alice')]));
  const plan = planOf(desired, state);
  const io = serverIo({ vpopmailHome: state.vpopmailHome });
  const env = applyEnvironment(state, io);
  // As reconcile/apply.ts: a domain this apply creates gets the new domain's owner.
  env.ownerOf = (domain) => {
    const known = state.domains.get(domain);
    return known ? { uid: known.uid, gid: known.gid } : vpopmailOwner(io, state);
  };
  await applyPlan(plan, driver, env);
}

describe('the owner of a new domain', () => {
  it.each([
    ['files', filesDriver],
    ['vpopmail', vpopmailDriver],
  ] as const)('%s driver: the vpopmail user and vchkpw group of the account database', async (name, driver) => {
    const srv = await server(EXAMPLE_SANDBOX);
    if (name === 'vpopmail') {
      installEmulator(srv.vpopmailHome, srv.qmailHome);
      // The emulated vadddomain was "compiled" for this account, as real vpopmail is for its own.
      const config = { qmailHome: srv.qmailHome, vpopmailUid: 508, vpopmailGid: 509 };
      writeFileSync(join(srv.vpopmailHome, 'etc', 'emulator.json'), `${JSON.stringify(config)}\n`);
    }
    await addBigTest(srv, driver, accounts());
    const dir = join(srv.vpopmailHome, 'domains', 'big.test');
    const assign = readFileSync(join(srv.qmailHome, 'users', 'assign'), 'utf8').split('\n');
    expect(assign.filter((line) => line.startsWith('+big.test-'))).toEqual([`+big.test-:big.test:508:509:${dir}:-::`]);
    // The domain directory, vpasswd, .qmail-default, each user's directory and Maildir.
    expect(readdirSync(dir).sort()).toEqual(
      expect.arrayContaining(['.qmail-default', 'alice', 'postmaster', 'vpasswd', 'vpasswd.cdb']),
    );
    expect(ownedOtherwise(dir, 508, 509)).toEqual([]);
  });

  it.each(['files', 'vpopmail'] as const)(
    'mailstate apply --driver %s: 89:89 from the domains of users/assign when there is no vpopmail account',
    async (driver) => {
      expect(readFileSync('/etc/passwd', 'utf8')).not.toMatch(/^vpopmail:/m);
      const srv = await server(EXAMPLE_SANDBOX);
      if (driver === 'vpopmail') installEmulator(srv.vpopmailHome, srv.qmailHome);
      const yaml = join(tempDir(), 'mailstate.yaml');
      writeFileSync(yaml, ONLY_NEW_DOMAIN);
      const apply = mailstate(['apply', '--yes', '--driver', driver, '-f', yaml, ...homes(srv)]);
      expect(apply.code, apply.stderr).toBe(0);
      const dir = join(srv.vpopmailHome, 'domains', 'big.test');
      const assign = readFileSync(join(srv.qmailHome, 'users', 'assign'), 'utf8').split('\n');
      expect(assign.filter((line) => line.startsWith('+big.test-'))).toEqual([`+big.test-:big.test:89:89:${dir}:-::`]);
      expect(ownedOtherwise(dir, 89, 89)).toEqual([]);
    },
  );

  it('is refused by the plan, with nothing written, when only root could be taken', async () => {
    expect(readFileSync('/etc/passwd', 'utf8')).not.toMatch(/^vpopmail:/m);
    const srv = await server(EXAMPLE_SANDBOX);
    const domains = join(srv.vpopmailHome, 'domains');
    const assignFile = join(srv.qmailHome, 'users', 'assign');
    // A server qmail knows no domain of yet, with a domains/ directory left root's.
    writeFileSync(assignFile, '.\n');
    chownSync(domains, 0, 0);
    const before = treeFingerprint(srv.root);
    const cwd = tempDir();
    writeFileSync(join(cwd, 'mailstate.yaml'), ONLY_NEW_DOMAIN);
    const reason = `cannot add domain "big.test": vadddomain gives a new domain the uid/gid of the vpopmail account, never root's, and there is none to take: no user vpopmail in /etc/passwd, no domain in ${assignFile} to take its uid/gid from, and ${domains} belongs to root: create the vpopmail user (group vchkpw), or chown ${domains} to it`;
    for (const command of ['plan', 'apply']) {
      const run = mailstate([command, ...(command === 'apply' ? ['--yes'] : []), ...homes(srv)], { cwd });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        `mailstate.yaml:3:3: error: ${reason}\nError: the plan cannot be made safely; nothing was applied.\n`,
      );
    }
    expect(treeFingerprint(srv.root)).toEqual(before);
  });

  it('is refused when the account database itself says root', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const files = accounts('vpopmail:x:0:0::/home/vpopmail:/bin/false\n');
    writeFileSync(files.group, 'vchkpw:x:0:\n');
    const { state } = await readLive({ vpopmailHome: srv.vpopmailHome, qmailHome: srv.qmailHome, accounts: files });
    const desired = desiredFromLive(state);
    desired.domains.set('big.test', desiredDomain('big.test', [desiredUser('postmaster')]));
    const result = diffState(desired, state);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.diagnostics.map((d) => d.message)).toEqual([
      `cannot add domain "big.test": user vpopmail and group vchkpw in ${files.passwd} and ${files.group} are 0:0, and vadddomain would give the domain that uid/gid, but qmail never delivers as root: give the account its own uid and gid`,
    ]);
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
