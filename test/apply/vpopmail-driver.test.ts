import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vpopmailDriver } from '../../src/apply/vpopmail-driver.js';
import { FLAG_BITS } from '../../src/model/flags.js';
import { HASH_SECRET1, HASH_SECRET6 } from '../support/builders.js';
import { installEmulator, readEmulatorCalls } from '../emulator/install.js';
import {
  EXAMPLE_SANDBOX,
  applyDesired,
  cdbDump,
  desiredFromLive,
  expectedVpasswdRecords,
  filesBelow,
  live,
  planOf,
  server,
  vpasswdPassword,
  declareNewDomain,
} from '../support/harness.js';

const D = 'example.com';
const src = { file: 'test.yaml' };

async function emulatorServer() {
  const srv = await server(EXAMPLE_SANDBOX);
  installEmulator(srv.vpopmailHome, srv.qmailHome);
  return srv;
}

describe('vpopmail driver against the vpopmail emulator', () => {
  it('converges every user field with the documented argv, one vmkpasswd per domain, vpasswd back to 0600', async () => {
    const srv = await emulatorServer();
    const desired = desiredFromLive(await live(srv));
    const domain = desired.domains.get(D)!;
    const bobDir = (await live(srv)).domains.get(D)!.users.get('bob')!.dir;
    const bobMail = filesBelow(bobDir);
    domain.users.delete('bob');
    Object.assign(domain.users.get('alice')!, {
      comment: 'Alice Smith',
      quota: '1073741824S',
      flags: FLAG_BITS.no_imap,
      password: { kind: 'hash', hash: HASH_SECRET1 },
    });
    Object.assign(domain.users.get('john.doe')!, {
      flags: FLAG_BITS.no_pop,
      password: { kind: 'clear', clear: 'n3w pass:word', source: 'env:JD' },
    });
    domain.users.set('carol', {
      name: 'carol',
      password: { kind: 'clear', clear: 'secret6', source: 'env:CAROL' },
      comment: 'Carol',
      quota: '524288000S',
      flags: FLAG_BITS.no_smtp,
      source: src,
    });
    domain.users.set('dave', {
      name: 'dave',
      password: { kind: 'hash', hash: HASH_SECRET6 },
      comment: 'dave',
      quota: 'NOQUOTA',
      flags: 0,
      source: src,
    });

    const { counters } = await applyDesired(desired, srv, vpopmailDriver);
    expect(readEmulatorCalls(srv.vpopmailHome)).toEqual([
      ['vdeluser', 'bob@example.com'],
      ['vadduser', '-q', '524288000S', '-c', 'Carol', 'carol@example.com'],
      ['vmoduser', '-n', '-s', 'carol@example.com'],
      ['vadduser', '-q', 'NOQUOTA', '-e', HASH_SECRET6, 'dave@example.com'],
      ['vsetuserquota', 'alice@example.com', '1073741824S'],
      ['vmoduser', '-n', '-e', HASH_SECRET1, '-c', 'Alice Smith', '-i', 'alice@example.com'],
      ['vpasswd', 'john.doe@example.com'],
      ['vmoduser', '-n', '-p', 'john.doe@example.com'],
      ['vmkpasswd', 'example.com'],
    ]);
    // Logged commands never carry the hash.
    expect(JSON.stringify(counters.commands)).not.toContain('$6$');
    expect(counters.cdbBuilds).toEqual(new Map([[D, 1]]));

    const after = await live(srv);
    expect(planOf(desired, after).changes).toEqual([]);
    const dir = after.domains.get(D)!.dir;
    expect(cdbDump(join(dir, 'vpasswd.cdb'))).toEqual(expectedVpasswdRecords(join(dir, 'vpasswd')));
    expect((statSync(join(dir, 'vpasswd')).mode & 0o777).toString(8)).toBe('600');
    const users = after.domains.get(D)!.users;
    expect(vpasswdPassword(users.get('alice')!).clear).toBe('');
    expect(vpasswdPassword(users.get('john.doe')!).clear).toBe('n3w pass:word');
    expect(vpasswdPassword(users.get('carol')!).clear).toBe('secret6');
    expect(filesBelow(join(srv.vpopmailHome, 'archive', D, 'bob-20261125T120000Z'))).toEqual(bobMail);
    expect(existsSync(bobDir)).toBe(false);
  });

  it('adds a domain through vadddomain and sets the declared postmaster', async () => {
    const srv = await emulatorServer();
    const desired = desiredFromLive(await live(srv));
    declareNewDomain(desired, ['postmaster'], src);
    await applyDesired(desired, srv, vpopmailDriver);
    expect(readEmulatorCalls(srv.vpopmailHome)).toEqual([
      ['vadddomain', '-r', 'new.test'],
      ['vaddaliasdomain', 'alias.test', 'new.test'],
      ['vmoduser', '-n', '-e', HASH_SECRET6, 'postmaster@new.test'],
      ['vmkpasswd', 'new.test'],
    ]);
    const after = await live(srv);
    expect(planOf(desired, after).changes).toEqual([]);
    expect(readFileSync(join(after.domains.get('new.test')!.dir, 'vpasswd'), 'utf8')).toMatch(
      /^postmaster:\$6\$abcdefgh\$[^:]+:1:0:Postmaster:[^:]+:NOQUOTA:\n$/,
    );
  });

  it('keeps flag bits vpopmail does not know when vmoduser -x clears the others', async () => {
    const srv = await emulatorServer();
    const vpasswd = join((await live(srv)).domains.get(D)!.dir, 'vpasswd');
    const foreign = 0x100000;
    // alice: no_pop plus a bit from a newer or patched vpopmail.
    writeFileSync(
      vpasswd,
      readFileSync(vpasswd, 'utf8').replace(/^(alice:[^:]*:[^:]*:)\d+:/m, `$1${foreign | FLAG_BITS.no_pop}:`),
    );
    const desired = desiredFromLive(await live(srv));
    desired.domains.get(D)!.users.get('alice')!.flags = foreign | FLAG_BITS.no_imap;
    await applyDesired(desired, srv, vpopmailDriver);
    expect(readEmulatorCalls(srv.vpopmailHome)).toEqual([
      ['vmoduser', '-n', '-x', '-i', 'alice@example.com'],
      ['vmkpasswd', 'example.com'],
    ]);
    const after = await live(srv);
    expect(after.domains.get(D)!.users.get('alice')!.flags).toBe(foreign | FLAG_BITS.no_imap);
    expect(planOf(desired, after).changes).toEqual([]);
  });

  it('archives a directory left where vadduser wants to create a new user, instead of failing on it', async () => {
    const srv = await emulatorServer();
    const leftover = join((await live(srv)).domains.get(D)!.dir, 'carol');
    mkdirSync(join(leftover, 'Maildir/new'), { recursive: true });
    writeFileSync(join(leftover, 'Maildir/new/1795600000.1.vm'), 'Subject: early\n\nhi\n');
    const desired = desiredFromLive(await live(srv));
    desired.domains.get(D)!.users.set('carol', {
      name: 'carol',
      password: { kind: 'hash', hash: HASH_SECRET6 },
      comment: 'carol',
      quota: 'NOQUOTA',
      flags: 0,
      source: src,
    });
    const { counters } = await applyDesired(desired, srv, vpopmailDriver);
    expect(counters.archived).toEqual([join(srv.vpopmailHome, 'archive', D, 'carol-20261125T120000Z')]);
    expect(readFileSync(join(counters.archived[0]!, 'Maildir/new/1795600000.1.vm'), 'utf8')).toBe(
      'Subject: early\n\nhi\n',
    );
    expect(planOf(desired, await live(srv)).changes).toEqual([]);
  });

  it('ends vpasswd with a newline before vmkpasswd, which would leave its last user out of the cdb', async () => {
    const srv = await emulatorServer();
    const dir = (await live(srv)).domains.get(D)!.dir;
    const vpasswd = join(dir, 'vpasswd');
    writeFileSync(vpasswd, readFileSync(vpasswd, 'utf8').replace(/\n$/, ''));
    const desired = desiredFromLive(await live(srv));
    await applyDesired(desired, srv, vpopmailDriver);
    expect(readEmulatorCalls(srv.vpopmailHome)).toEqual([['vmkpasswd', D]]);
    expect(readFileSync(vpasswd, 'utf8').endsWith('\n')).toBe(true);
    expect(cdbDump(join(dir, 'vpasswd.cdb'))).toEqual(expectedVpasswdRecords(vpasswd));
    expect(planOf(desired, await live(srv)).changes).toEqual([]);
  });
});
