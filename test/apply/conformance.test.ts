import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAG_BITS } from '../../src/model/flags.js';
import { HASH_SECRET1, HASH_SECRET6 } from '../support/builders.js';
import { filesDriver } from '../../src/apply/files-driver.js';
import type { Driver } from '../../src/apply/types.js';
import { vpopmailDriver } from '../../src/apply/vpopmail-driver.js';
import type { DesiredState } from '../../src/model/state.js';
import { installEmulator } from '../emulator/install.js';
import { COUNTED_WORK } from '../support/budget.js';
import {
  EXAMPLE_SANDBOX,
  GOLDEN,
  applyDesired as applyWith,
  cdbDump,
  desiredFromLive,
  expectedVpasswdRecords,
  filesBelow,
  live,
  planOf,
  server as makeServer,
  treeFingerprint,
  type TestServer,
  vpasswdPassword,
  declareNewDomain,
} from '../support/harness.js';

const D = 'example.com';
const src = { file: 'test.yaml' };

interface DriverCase {
  name: string;
  driver: Driver;
  /** Files driver: exactly one vpasswd write and one cdb build per touched domain. */
  batches: boolean;
}

const DRIVERS: DriverCase[] = [
  { name: 'files', driver: filesDriver, batches: true },
  { name: 'vpopmail (vpopmail emulator)', driver: vpopmailDriver, batches: false },
];

describe.each(DRIVERS)('$name driver on the bundled example (golden 01 + 08 + 10)', ({ driver, batches }) => {
  async function server(seed: string) {
    const srv = await makeServer(seed);
    if (driver === vpopmailDriver) installEmulator(srv.vpopmailHome, srv.qmailHome);
    return srv;
  }
  const applyDesired = (desired: DesiredState, srv: TestServer) => applyWith(desired, srv, driver);

  it('applies adds, changes and deletes of every field, then plans no changes and the real cdb agrees', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const before = await live(srv);
    const desired = desiredFromLive(before);
    const domain = desired.domains.get(D)!;
    const bobDir = before.domains.get(D)!.users.get('bob')!.dir;
    const bobMail = existsSync(bobDir) ? filesBelow(bobDir) : [];
    domain.users.delete('bob');
    const alice = domain.users.get('alice')!;
    Object.assign(alice, {
      comment: 'Alice Smith',
      quota: '1073741824S',
      flags: FLAG_BITS.no_imap | FLAG_BITS.no_webmail,
      password: { kind: 'hash', hash: HASH_SECRET1 },
      forward: { to: ['alice@example.net'], keepCopy: true },
    });
    domain.users.set('carol', {
      name: 'carol',
      password: { kind: 'clear', clear: 'secret6', source: 'env:CAROL' },
      comment: 'Carol',
      quota: '524288000S',
      flags: 0,
      source: src,
    });
    domain.aliases.set('sales', { name: 'sales', to: ['alice@example.com', 'carol@example.com'], source: src });
    domain.aliases.delete('info');
    desired.relay = [
      { address: '127.', source: src },
      { address: '10.0.0.6', source: src },
    ];

    const { plan, counters } = await applyDesired(desired, srv);
    expect(plan.changes.length).toBeGreaterThan(5);
    expect(counters.cdbBuilds).toEqual(new Map([[D, 1]]));
    if (batches) expect(counters.vpasswdWrites).toEqual(new Map([[D, 1]]));
    expect(counters.tcpRulesBuilds).toBe(1);

    const after = await live(srv);
    expect(planOf(desired, after).changes).toEqual([]);

    const domainDir = after.domains.get(D)!.dir;
    const vpasswd = join(domainDir, 'vpasswd');
    expect(cdbDump(join(domainDir, 'vpasswd.cdb'))).toEqual(expectedVpasswdRecords(vpasswd));
    const carol = after.domains.get(D)!.users.get('carol')!;
    expect(vpasswdPassword(carol).hash).toMatch(/^\$6\$[./0-9A-Za-z]{8}\$[./0-9A-Za-z]{86}$/);
    expect(vpasswdPassword(carol).clear).toBe('secret6');
    expect(vpasswdPassword(after.domains.get(D)!.users.get('alice')!).clear).toBe('');
    expect(
      readFileSync(vpasswd, 'utf8')
        .split('\n')
        .map((l) => l.split(':')[0]),
    ).toEqual(['alice', 'carol', 'john.doe', 'postmaster', '']);
    expect(readFileSync(join(domainDir, '.qmail-alice'), 'utf8')).toBe(
      `&alice@example.net\n${domainDir}/alice/Maildir/\n`,
    );
    expect(readFileSync(join(domainDir, '.qmail-sales'), 'utf8')).toBe('&alice@example.com\n&carol@example.com\n');
    expect(readFileSync(join(carol.dir, 'Maildir/maildirsize'), 'utf8')).toBe('524288000S\n0 0\n');
    expect(readFileSync(join(carol.dir, 'lastauth'), 'utf8')).toBe('0.0.0.0');
    for (const path of [
      vpasswd,
      join(domainDir, 'vpasswd.cdb'),
      join(domainDir, '.qmail-sales'),
      join(carol.dir, 'lastauth'),
    ]) {
      expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
    }
    for (const path of [carol.dir, join(carol.dir, 'Maildir'), join(carol.dir, 'Maildir/new')]) {
      expect((statSync(path).mode & 0o777).toString(8)).toBe('700');
    }

    // bob's mailbox and his forward file are in the archive, not gone.
    const archive = join(srv.vpopmailHome, 'archive', D);
    expect(existsSync(bobDir)).toBe(false);
    expect(filesBelow(join(archive, 'bob-20261125T120000Z'))).toEqual(bobMail);
    expect(readFileSync(join(archive, '.qmail-bob-20261125T120000Z'), 'utf8')).toBe('&bob@example.net\n');
    expect(readFileSync(join(archive, '.qmail-info-20261125T120000Z'), 'utf8')).toBe(
      '&alice@example.com\nexternal@example.net\n',
    );

    // The real tcprules compiled tcp.smtp: the foreign ":allow" line kept, the new rule before it.
    const tcp = readFileSync(join(srv.vpopmailHome, 'etc/tcp.smtp'), 'utf8');
    expect(tcp).toBe('127.:allow,RELAYCLIENT=""\n10.0.0.6:allow,RELAYCLIENT=""\n:allow\n');
    expect(cdbDump(join(srv.vpopmailHome, 'etc/tcp.smtp.cdb'))).toEqual(
      ['127. -> RELAYCLIENT=\0', '10.0.0.6 -> RELAYCLIENT=\0', ' -> '].map((r) =>
        r.replace('RELAYCLIENT', '+RELAYCLIENT'),
      ),
    );
  });

  it('writes nothing on a second apply: no inode, mtime or mode changes', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const desired = desiredFromLive(await live(srv));
    desired.domains.get(D)!.users.get('alice')!.quota = '1048576S';
    await applyDesired(desired, srv);
    const fingerprint = treeFingerprint(srv.root);
    const second = await applyDesired(desired, srv);
    expect(second.plan.changes).toEqual([]);
    expect(treeFingerprint(srv.root)).toEqual(fingerprint);
  });

  it('does 50 adds, 10 changes and 5 deletes with one vpasswd write and one cdb build (files), none elsewhere', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const base = desiredFromLive(await live(srv));
    const domain = base.domains.get(D)!;
    for (let i = 0; i < 20; i++)
      domain.users.set(`seed${i}`, {
        name: `seed${i}`,
        password: { kind: 'hash', hash: HASH_SECRET6 },
        comment: `seed${i}`,
        quota: 'NOQUOTA',
        flags: 0,
        source: src,
      });
    await applyDesired(base, srv);
    for (let i = 0; i < 5; i++) domain.users.delete(`seed${i}`);
    for (let i = 5; i < 15; i++) domain.users.get(`seed${i}`)!.flags = FLAG_BITS.no_pop;
    for (let i = 0; i < 50; i++)
      domain.users.set(`new${i}`, {
        name: `new${i}`,
        password: { kind: 'hash', hash: HASH_SECRET6 },
        comment: `new${i}`,
        quota: 'NOQUOTA',
        flags: 0,
        source: src,
      });
    const { plan, counters } = await applyDesired(base, srv);
    expect(plan.summary).toEqual({ add: 50, change: 10, delete: 5, move: 0, cdbRebuilds: 1 });
    expect(counters.cdbBuilds).toEqual(new Map([[D, 1]]));
    expect(counters.vpasswdWrites).toEqual(batches ? new Map([[D, 1]]) : new Map());
    const after = await live(srv);
    expect(planOf(base, after).changes).toEqual([]);
    expect(cdbDump(join(after.domains.get(D)!.dir, 'vpasswd.cdb'))).toEqual(
      expectedVpasswdRecords(join(after.domains.get(D)!.dir, 'vpasswd')),
    );
  });

  it('adds a domain with users and an alias domain: assign, users/cdb, rcpthosts, virtualdomains', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const desired = desiredFromLive(await live(srv));
    declareNewDomain(desired, ['postmaster', 'dave'], src);
    await applyDesired(desired, srv);
    const after = await live(srv);
    expect(planOf(desired, after).changes).toEqual([]);
    const dir = `${srv.vpopmailHome}/domains/new.test`;
    expect(readFileSync(join(srv.qmailHome, 'users/assign'), 'utf8')).toBe(
      [
        `+alias.test-:new.test:89:89:${dir}:-::`,
        `+example.com-:example.com:89:89:${srv.vpopmailHome}/domains/example.com:-::`,
        `+example.org-:example.org:89:89:${srv.vpopmailHome}/domains/example.org:-::`,
        `+new.test-:new.test:89:89:${dir}:-::`,
        '.',
        '',
      ].join('\n'),
    );
    expect(cdbDump(join(srv.qmailHome, 'users/cdb')).filter((r) => r.startsWith('!new.test-'))).toHaveLength(1);
    expect(readFileSync(join(srv.qmailHome, 'control/rcpthosts'), 'utf8').split('\n')).toEqual(
      expect.arrayContaining(['new.test', 'alias.test']),
    );
    expect(readFileSync(join(srv.qmailHome, 'control/virtualdomains'), 'utf8').split('\n')).toEqual(
      expect.arrayContaining(['new.test:new.test', 'alias.test:alias.test']),
    );
    expect(readFileSync(join(dir, '.qmail-default'), 'utf8')).toBe(
      `| ${srv.vpopmailHome}/bin/vdelivermail '' delete\n`,
    );
    expect(cdbDump(join(dir, 'vpasswd.cdb'))).toEqual(expectedVpasswdRecords(join(dir, 'vpasswd')));
  });

  it('rebuilds a cdb left stale by a hand edit of vpasswd (as in golden 13)', async () => {
    const srv = await server(join(GOLDEN, '13-vmkpasswd-and-hand-edits'));
    const vpasswd = join(srv.vpopmailHome, 'domains/example.com/vpasswd');
    writeFileSync(vpasswd, readFileSync(vpasswd, 'utf8').replace(':Postmaster:', ':Hand Edited:'));
    const state = await live(srv);
    const stale = [...state.domains.values()].filter((d) => d.cdb.state !== 'fresh');
    expect(stale.map((d) => d.name)).toEqual(['example.com']);
    const desired = desiredFromLive(state);
    const { plan } = await applyDesired(desired, srv);
    expect(plan.changes.some((c) => c.kind === 'rebuild-vpasswd-cdb')).toBe(true);
    const after = await live(srv);
    expect([...after.domains.values()].map((d) => d.cdb.state)).toEqual([...after.domains.values()].map(() => 'fresh'));
  });

  it(
    'places users past 99 in hashed directories like vadduser (golden 07)',
    async () => {
      const srv = await server(EXAMPLE_SANDBOX);
      const desired = desiredFromLive(await live(srv));
      const domain = desired.domains.get('example.org')!;
      for (let i = 0; i < 150; i++)
        domain.users.set(`u${String(i).padStart(3, '0')}`, {
          name: `u${String(i).padStart(3, '0')}`,
          password: { kind: 'hash', hash: HASH_SECRET6 },
          comment: 'x',
          quota: 'NOQUOTA',
          flags: 0,
          source: src,
        });
      await applyDesired(desired, srv);
      const after = await live(srv);
      const dirs = [...after.domains.get('example.org')!.users.values()].map((u) =>
        u.dir.replace(`${srv.vpopmailHome}/domains/example.org/`, ''),
      );
      // postmaster is account 1, so u000..u097 fill the root, u098.. go to 0/, u198.. would go to 1/.
      expect(dirs.filter((d) => !d.includes('/'))).toHaveLength(99);
      expect(dirs.filter((d) => d.startsWith('0/'))).toHaveLength(52);
      expect(dirs).toContain('0/u098');
      expect(readFileSync(join(after.domains.get('example.org')!.dir, '.dir-control'), 'utf8')).toBe(
        '151\n0\n3\n0 0 0\n61 61 61\n0 2 2\n0 0 0\n0\n',
      );
    },
    COUNTED_WORK,
  ); // 150 vadduser runs on the vpopmail emulator: a fixed amount of work (test/support/budget.ts)
});

describe('files driver and bytes that are not UTF-8', () => {
  it('keeps a Latin-1 gecos byte for byte, and writes a YAML comment as UTF-8', async () => {
    const srv = await makeServer(EXAMPLE_SANDBOX);
    const vpasswd = join(srv.vpopmailHome, 'domains', D, 'vpasswd');
    const latin1 = Buffer.from(readFileSync(vpasswd, 'latin1').replace(':john.doe:/', ':Jos\xe9:/'), 'latin1');
    writeFileSync(vpasswd, latin1);
    const state = await live(srv);
    const desired = desiredFromLive(state);
    desired.domains.get(D)!.users.get('alice')!.comment = 'Zoë';
    await applyWith(desired, srv, filesDriver);
    const written = readFileSync(vpasswd);
    expect(written.includes(Buffer.from(':Jos\xe9:/', 'latin1'))).toBe(true);
    expect(written.includes(Buffer.from(':Zoë:/', 'utf8'))).toBe(true);
  });
});
