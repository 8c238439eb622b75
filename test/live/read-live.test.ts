import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/model/diagnostic.js';
import type { LiveDomain, LiveState } from '../../src/model/state.js';
import { buildCdb } from '../../src/cdb/write.js';
import { readLive } from '../../src/live/read-live.js';
import { parseCdbDump } from '../../src/sandbox/build.js';
import {
  dotQmailListing,
  EXAMPLE_COM,
  goldenBytes,
  goldenFile,
  goldenText,
  removeSandboxes,
  S02,
  S06,
  S07,
  S08,
  S09,
  S10,
  S12,
  S13,
  S15,
  sandbox,
  sessionStep,
  type TestSandbox,
} from './golden.js';

afterAll(removeSandboxes);

async function read(box: TestSandbox, domains?: string[]): Promise<{ state: LiveState; diagnostics: Diagnostic[] }> {
  return readLive({ vpopmailHome: box.vpopmailHome, qmailHome: box.qmailHome, ...(domains ? { domains } : {}) });
}

function domainOf(state: LiveState, name = 'example.com'): LiveDomain {
  const domain = state.domains.get(name);
  if (!domain) throw new Error(`${name} was not read`);
  return domain;
}

/** Unmanaged objects as `kind name: reason` with the sandbox root taken out. */
function unmanagedOf(box: TestSandbox, domain: LiveDomain): string[] {
  return domain.unmanaged.map(
    (u) => `${u.kind} ${u.name} ${u.file.replace(box.root, '')}: ${u.reason.replaceAll(box.root, '')}`,
  );
}

describe('readLive on golden 08 (valias and hand-written .qmail files)', () => {
  it('reads users, their domain-level forwards, aliases and what it cannot manage', async () => {
    const box = await sandbox(S08);
    const { state, diagnostics } = await read(box);
    expect(diagnostics).toEqual([]);
    expect([...state.domains.keys()]).toEqual(['example.com']);
    const domain = domainOf(state);
    const dir = box.path(EXAMPLE_COM);
    expect(domain).toMatchObject({
      name: 'example.com',
      dir,
      uid: 89,
      gid: 89,
      aliasDomains: [],
      clearPasswords: true,
      vpasswdExists: true,
      cdb: { state: 'fresh' },
    });
    expect([...domain.users.keys()]).toEqual(['alice', 'bob', 'john.doe', 'postmaster']);
    expect(domain.users.get('alice')!.forward).toEqual({
      to: ['target@example.net'],
      keepCopy: false,
      style: 'domain',
      file: `${dir}/.qmail-alice`,
    });
    expect(domain.users.get('bob')!.forward).toEqual({
      to: ['bob@example.net'],
      keepCopy: false,
      style: 'domain',
      file: `${dir}/.qmail-bob`,
    });
    // `.qmail-john:doe` is the file of user john.doe (qmail maps "." to ":").
    expect(domain.users.get('john.doe')!.forward).toEqual({
      to: ['jd@example.net'],
      keepCopy: false,
      style: 'domain',
      file: `${dir}/.qmail-john:doe`,
    });
    expect(domain.users.get('postmaster')!.forward).toBeUndefined();
    expect(domain.users.get('postmaster')).toMatchObject({
      comment: 'Postmaster',
      quota: 'NOQUOTA',
      flags: 0,
      password: { kind: 'vpasswd', clear: 'pmpass1' },
      dir: `${dir}/postmaster`,
      line: 4,
    });

    expect([...domain.aliases.values()]).toEqual([
      { name: 'dot.upper', to: ['x@example.net'], file: `${dir}/.qmail-dot:upper` },
      { name: 'info', to: ['alice@example.com', 'external@example.net'], file: `${dir}/.qmail-info` },
      { name: 'mixedcase', to: ['x@example.net'], file: `${dir}/.qmail-mixedcase` },
      { name: 'with-dash', to: ['x@example.net'], file: `${dir}/.qmail-with-dash` },
    ]);
    expect(unmanagedOf(box, domain)).toEqual([
      `dot-qmail blackhole ${EXAMPLE_COM}/.qmail-blackhole: only comment lines: mail is accepted and silently dropped (blackhole): "#"`,
      `dot-qmail bob2 ${EXAMPLE_COM}/.qmail-bob2: line 2 delivers to a file or Maildir (an alias has no mailbox of its own): "${EXAMPLE_COM}/bob/Maildir/"`,
      `dot-qmail copy ${EXAMPLE_COM}/.qmail-copy: line 1 delivers to a file or Maildir (an alias has no mailbox of its own): "${EXAMPLE_COM}/alice/Maildir/"`,
      `catch-all default ${EXAMPLE_COM}/.qmail-default: catch-all for addresses without a mailbox: "| /home/vpopmail/bin/vdelivermail '' delete"`,
      `dot-qmail emptyline ${EXAMPLE_COM}/.qmail-emptyline: the first line is empty: qmail-local defers every message ("first line of .qmail file is blank")`,
    ]);
    expect(state.relay).toEqual({
      file: `${box.vpopmailHome}/etc/tcp.smtp`,
      exists: false,
      lines: [],
      cdbStale: false,
    });
    expect(state.unmanaged).toEqual([]);
  });

  it('reports program deliveries and wildcard names, and a user-named file that only keeps a copy', async () => {
    const box = await sandbox(S08);
    const listing = dotQmailListing(S08, 23);
    // Files of the step-23 listing that valias -d removed later.
    box.put(`${EXAMPLE_COM}/.qmail-prog`, listing.get('.qmail-prog')!);
    box.put(`${EXAMPLE_COM}/.qmail-sales:team`, listing.get('.qmail-sales:team')!);
    // Hand edits: alice's own Maildir as the whole forward, and a qmail wildcard.
    box.put(`${EXAMPLE_COM}/.qmail-alice`, goldenFile(S08, `${EXAMPLE_COM}/.qmail-copy`));
    box.put(`${EXAMPLE_COM}/.qmail-info-default`, listing.get('.qmail-prog')!);
    const domain = domainOf((await read(box)).state);
    expect(domain.aliases.get('sales.team')).toEqual({
      name: 'sales.team',
      to: ['x@example.net'],
      file: box.path(`${EXAMPLE_COM}/.qmail-sales:team`),
    });
    expect(domain.users.get('alice')!.forward).toBeUndefined();
    const lines = unmanagedOf(box, domain);
    expect(lines).toContain(
      `dot-qmail alice ${EXAMPLE_COM}/.qmail-alice: .qmail-alice decides delivery for user alice: the file only delivers to the user's own Maildir`,
    );
    expect(lines).toContain(
      `program-delivery prog ${EXAMPLE_COM}/.qmail-prog: line 1 runs a program: "|/usr/bin/true"`,
    );
    expect(lines).toContain(
      `program-delivery info-default ${EXAMPLE_COM}/.qmail-info-default: "info-default" would be a qmail wildcard (.qmail-info-default); catch-alls are not managed`,
    );
    expect(domain.aliases.has('prog')).toBe(false);
  });

  it('lets the domain-level .qmail-<user> win over a per-user .qmail and reports the latter', async () => {
    const box = await sandbox(S08);
    // erin's per-user file from golden 15, placed in alice's directory.
    box.put(`${EXAMPLE_COM}/alice/.qmail`, goldenFile(S15, `${EXAMPLE_COM}/erin/.qmail`));
    const domain = domainOf((await read(box)).state);
    expect(domain.users.get('alice')!.forward).toMatchObject({ to: ['target@example.net'], style: 'domain' });
    expect(domain.unmanaged.filter((u) => u.kind === 'user-dot-qmail')).toEqual([
      {
        domain: 'example.com',
        kind: 'user-dot-qmail',
        name: 'alice',
        file: box.path(`${EXAMPLE_COM}/alice/.qmail`),
        reason:
          '.qmail-alice in the domain directory takes precedence: qmail-local reads it first, so vdelivermail never reads this file',
      },
    ]);
  });
});

describe('readLive on golden 15 (per-user .qmail files)', () => {
  it("reads carol's and erin's qmailadmin forwards, bob's flags and fay's empty quota", async () => {
    const box = await sandbox(S15);
    const { state, diagnostics } = await read(box);
    expect(diagnostics).toEqual([]);
    const domain = domainOf(state);
    const dir = box.path(EXAMPLE_COM);
    expect(domain.users.get('carol')!.forward).toEqual({
      to: ['carol@example.net'],
      keepCopy: true,
      style: 'user',
      file: `${dir}/carol/.qmail`,
    });
    expect(domain.users.get('erin')!.forward).toEqual({
      to: ['erin@example.net'],
      keepCopy: false,
      style: 'user',
      file: `${dir}/erin/.qmail`,
    });
    expect([...domain.users.values()].filter((u) => u.forward).map((u) => u.name)).toEqual(['carol', 'erin']);
    expect(domain.users.get('bob')!.flags).toBe(16);
    expect(domain.users.get('alice')).toMatchObject({ quota: '300S', quotaRaw: '300S' });
    expect(domain.users.get('fay')).toMatchObject({ quota: '', quotaRaw: '' });
    expect(domain.aliases.size).toBe(0);
    expect(unmanagedOf(box, domain)).toEqual([
      `catch-all default ${EXAMPLE_COM}/.qmail-default: catch-all for addresses without a mailbox: "| /home/vpopmail/bin/vdelivermail '' delete"`,
    ]);
  });

  it("reports dave's comment-only .qmail (removed later in the scenario) as unmanaged", async () => {
    const box = await sandbox(S15);
    box.put(`${EXAMPLE_COM}/dave/.qmail`, goldenBytes(S15, `before${EXAMPLE_COM}/dave/.qmail`));
    const domain = domainOf((await read(box)).state);
    expect(domain.users.get('dave')!.forward).toBeUndefined();
    expect(domain.unmanaged.filter((u) => u.kind === 'user-dot-qmail')).toEqual([
      {
        domain: 'example.com',
        kind: 'user-dot-qmail',
        name: 'dave',
        file: box.path(`${EXAMPLE_COM}/dave/.qmail`),
        reason: 'only comment lines: mail is accepted and silently dropped (blackhole): "# just a comment"',
      },
    ]);
  });

  it("reads bob's per-user forward with his absolute Maildir path, and a program line as unmanaged (golden 06)", async () => {
    const box = await sandbox(S06);
    box.put(
      `${EXAMPLE_COM}/alice/.qmail`,
      `${goldenText(S06, `before${EXAMPLE_COM}/bob/.qmail`).split('\n')[0]}\n${dotQmailListing(S08, 23).get('.qmail-prog')}`,
    );
    rmSync(box.path(`${EXAMPLE_COM}/.qmail-bob`));
    box.put(`${EXAMPLE_COM}/bob/.qmail`, goldenBytes(S06, `before${EXAMPLE_COM}/bob/.qmail`));
    const domain = domainOf((await read(box)).state);
    expect(domain.users.get('bob')!.forward).toEqual({
      to: ['bob@example.net'],
      keepCopy: true,
      style: 'user',
      file: box.path(`${EXAMPLE_COM}/bob/.qmail`),
    });
    expect(domain.aliases.get('bobalias')).toMatchObject({ to: ['bob@example.com'] });
    expect(domain.unmanaged.filter((u) => u.kind === 'user-dot-qmail').map((u) => [u.name, u.reason])).toEqual([
      ['alice', 'line 2 runs a program: "|/usr/bin/true"'],
    ]);
  });
});

describe('readLive: users, quotas and names', () => {
  it('reads every user and quota of golden 02 with a fresh cdb', async () => {
    const box = await sandbox(S02);
    const { state, diagnostics } = await read(box);
    expect(diagnostics).toEqual([]);
    const domain = domainOf(state);
    expect(domain.users.size).toBe(34);
    expect(domain.cdb).toEqual({ state: 'fresh' });
    expect(domain.users.get('qkilo')).toMatchObject({ quota: '10240S', quotaRaw: '10240S', line: 19 });
    expect(domain.users.get('qsizecount')!.quota).toBe('1000000S,500C');
  });

  it('reads hashed user directories and reports the missing vpasswd.cdb (golden 07, no cdb recorded)', async () => {
    const box = await sandbox(S07, 'after-230-accounts');
    const { state, diagnostics } = await read(box);
    expect(diagnostics).toEqual([]);
    const domain = domainOf(state, 'hash.test');
    expect(domain.users.size).toBe(230);
    expect(domain.cdb).toEqual({ state: 'missing' });
    expect(domain.users.get('user098')!.dir).toBe(box.path('/home/vpopmail/domains/hash.test/user098'));
    expect(domain.users.get('user099')!.dir).toBe(box.path('/home/vpopmail/domains/hash.test/0/user099'));
    expect(domain.users.get('user199')!.dir).toBe(box.path('/home/vpopmail/domains/hash.test/1/user199'));
  });

  it('keeps users whose names mailstate refuses out of users and reports them (golden 12)', async () => {
    const box = await sandbox(S12);
    const { state } = await read(box, ['example.com']);
    const domain = domainOf(state);
    const refused = domain.unmanaged.filter((u) => u.kind === 'user');
    expect(refused.map((u) => [u.name, u.reason])).toEqual([
      ['-dash', 'name starts with "-" (vpopmail binaries would read it as an option)'],
      ['-dash2', 'name starts with "-" (vpopmail binaries would read it as an option)'],
      ['.dot', 'name starts with "."'],
      ['al$ice', "name may only contain a-z, 0-9 and . _ + = ! # & ' ^ { } ~ -"],
      ['al*ice', "name may only contain a-z, 0-9 and . _ + = ! # & ' ^ { } ~ -"],
      ['al?ice', "name may only contain a-z, 0-9 and . _ + = ! # & ' ^ { } ~ -"],
      ['al`ice', "name may only contain a-z, 0-9 and . _ + = ! # & ' ^ { } ~ -"],
      ['al|ice', "name may only contain a-z, 0-9 and . _ + = ! # & ' ^ { } ~ -"],
      ['do..ts', 'name contains ".."'],
      ['dot.', 'name ends with "."'],
    ]);
    expect(refused.every((u) => u.file === box.path(`${EXAMPLE_COM}/vpasswd`) && u.domain === 'example.com')).toBe(
      true,
    );
    for (const u of refused) expect(domain.users.has(u.name)).toBe(false);
    expect([...domain.users.keys()]).toContain('al{ice}');
    expect(domain.users.size).toBe(22);
  });

  it('reports a .qmail-<name> of a refused user as a forward it cannot manage, not as an alias', async () => {
    const box = await sandbox(S12);
    box.put(`${EXAMPLE_COM}/.qmail-al$ice`, goldenFile(S08, `${EXAMPLE_COM}/.qmail-bob`));
    const domain = domainOf((await read(box, ['example.com'])).state);
    expect(domain.aliases.size).toBe(0);
    expect(domain.unmanaged.find((u) => u.kind === 'dot-qmail')).toMatchObject({
      name: 'al$ice',
      reason: 'forward of user "al$ice", whose name mailstate cannot manage',
    });
  });
});

describe('readLive: vpasswd.cdb freshness and hand edits (golden 13)', () => {
  const vpasswd = `${EXAMPLE_COM}/vpasswd`;
  const cdb = `${EXAMPLE_COM}/vpasswd.cdb`;

  it('is fresh after vmkpasswd', async () => {
    const box = await sandbox(S13);
    const { state, diagnostics } = await read(box);
    expect(diagnostics).toEqual([]);
    expect(domainOf(state).cdb).toEqual({ state: 'fresh' });
  });

  it('is stale against the cdb of before the hand edits, naming the first user that differs', async () => {
    const box = await sandbox(S13);
    const before = parseCdbDump(goldenBytes(S13, `before/cdb${cdb}.dump`));
    box.putRaw(
      cdb,
      buildCdb(
        before.map(([k, v]) => [k, v.toString('latin1').replaceAll('/home/vpopmail', `${box.root}/home/vpopmail`)]),
      ),
    );
    const domain = domainOf((await read(box)).state);
    // alice is only in the cdb; betty, carol and dave only in vpasswd; bob's gecos and flags changed.
    expect(domain.cdb).toEqual({ state: 'stale', detail: '5 records differ (first: betty)' });
  });

  it('warns about a last line without newline, which also makes the cdb stale (steps 24-26)', async () => {
    const box = await sandbox(S13);
    box.put(vpasswd, goldenFile(S13, vpasswd).slice(0, -1));
    const { state, diagnostics } = await read(box);
    const domain = domainOf(state);
    expect(domain.users.has('dave')).toBe(true);
    expect(domain.cdb).toEqual({ state: 'stale', detail: '1 record differs (first: dave)' });
    expect(diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['vpasswd-no-newline', box.path(vpasswd), 5]]);
  });

  it('reports comment and blank lines with their file and line (step 42)', async () => {
    const box = await sandbox(S13);
    box.put(vpasswd, `# comment\n\n${goldenFile(S13, vpasswd)}`);
    const { state, diagnostics } = await read(box);
    expect(diagnostics.map((d) => [d.code, d.severity, d.file, d.line])).toEqual([
      ['vpasswd-malformed', 'warning', box.path(vpasswd), 1],
      ['vpasswd-malformed', 'warning', box.path(vpasswd), 2],
    ]);
    // vpopmail's builder crashes on these lines, so the cdb it left still holds the same users.
    expect(domainOf(state).cdb).toEqual({ state: 'fresh' });
    expect(domainOf(state).users.get('betty')!.line).toBe(3);
  });

  it('reports a duplicate user and a cdb that keeps both records as fresh (steps 34-36)', async () => {
    const box = await sandbox(S13);
    const text = goldenFile(S13, vpasswd);
    const bobLine = text.split('\n').find((l) => l.startsWith('bob:'))!;
    const edited = `${text}${bobLine.replace(':Bob Edited:', ':Second:')}\n`;
    box.put(vpasswd, edited);
    const rewritten = edited.replaceAll('/home/vpopmail', `${box.root}/home/vpopmail`);
    writeFileSync(
      box.path(cdb),
      buildCdb(
        rewritten
          .trimEnd()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
      ),
    );
    const { state, diagnostics } = await read(box);
    expect(domainOf(state).cdb).toEqual({ state: 'fresh' });
    expect(domainOf(state).users.get('bob')!.comment).toBe('Bob Edited');
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([['vpasswd-duplicate', 6]]);
  });

  it('reports a missing cdb (step 50) and a 0-byte cdb as corrupt (step 53)', async () => {
    const box = await sandbox(S13);
    rmSync(box.path(cdb));
    expect(domainOf((await read(box)).state).cdb).toEqual({ state: 'missing' });
    writeFileSync(box.path(cdb), '');
    expect(domainOf((await read(box)).state).cdb).toEqual({
      state: 'corrupt',
      detail: 'file is 0 bytes, shorter than the 2048-byte header',
    });
  });

  it('reports a missing vpasswd as vpasswdExists false with no users', async () => {
    const box = await sandbox(S13);
    rmSync(box.path(vpasswd));
    const domain = domainOf((await read(box)).state);
    expect(domain.vpasswdExists).toBe(false);
    expect(domain.users.size).toBe(0);
    expect(domain.cdb).toEqual({ state: 'stale', detail: '5 records differ (first: betty)' });
  });

  it('turns unreadable files into error diagnostics naming the path instead of throwing', async () => {
    const box = await sandbox(S13);
    // A directory where a file should be fails with EISDIR, whoever runs the test (root reads past 0000).
    rmSync(box.path(vpasswd));
    mkdirSync(box.path(vpasswd));
    mkdirSync(box.path(`${EXAMPLE_COM}/.qmail-sales`));
    const { state, diagnostics } = await read(box);
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        code: 'read-error',
        message: expect.stringMatching(/^cannot read vpasswd of example\.com: EISDIR/),
        file: box.path(vpasswd),
      },
    ]);
    const domain = domainOf(state);
    expect(domain.users.size).toBe(0);
    expect(domain.unmanaged.map((u) => [u.kind, u.name, u.reason])).toContainEqual([
      'dot-qmail',
      'sales',
      '.qmail-sales is not a regular file',
    ]);
  });
});

describe('readLive: users/assign and alias domains (golden 09)', () => {
  /** Scenario 09 at step 22: three alias domains of example.com, plus other.test. */
  async function aliasSandbox(): Promise<TestSandbox> {
    const box = await sandbox(S09);
    const stdout = sessionStep(S09, 22).stdout;
    box.put(
      '/var/qmail/users/assign',
      stdout.slice(stdout.indexOf('\n') + 1, stdout.indexOf('--- control/rcpthosts:')),
    );
    for (const file of ['vpasswd', '.qmail-default'])
      box.put(`${EXAMPLE_COM}/${file}`, goldenBytes(S09, `before${EXAMPLE_COM}/${file}`));
    const dump = parseCdbDump(goldenBytes(S09, `before/cdb${EXAMPLE_COM}/vpasswd.cdb.dump`));
    box.putRaw(
      `${EXAMPLE_COM}/vpasswd.cdb`,
      buildCdb(
        dump.map(([k, v]) => [k, v.toString('latin1').replaceAll('/home/vpopmail', `${box.root}/home/vpopmail`)]),
      ),
    );
    return box;
  }

  it('attaches alias domains to their real domain and reports a domain whose directory is missing', async () => {
    const box = await aliasSandbox();
    const { state, diagnostics } = await read(box);
    expect([...state.domains.keys()]).toEqual(['example.com', 'other.test']);
    const domain = domainOf(state);
    expect(domain.aliasDomains).toEqual(['alias-of-alias.test', 'example.net', 'example.org']);
    expect([...domain.users.keys()]).toEqual(['alice', 'postmaster']);
    expect(domain.cdb).toEqual({ state: 'fresh' });
    expect(domainOf(state, 'other.test')).toMatchObject({
      vpasswdExists: false,
      users: new Map(),
      cdb: { state: 'missing' },
    });
    expect(diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'domain-dir-missing',
        message: 'the directory of other.test given in users/assign line 5 does not exist',
        file: box.path('/home/vpopmail/domains/other.test'),
      },
    ]);
  });

  it('reads only the requested domains, still with their alias domains', async () => {
    const box = await aliasSandbox();
    const { state, diagnostics } = await read(box, ['example.com']);
    expect([...state.domains.keys()]).toEqual(['example.com']);
    expect(domainOf(state).aliasDomains).toEqual(['alias-of-alias.test', 'example.net', 'example.org']);
    expect(diagnostics).toEqual([]);
  });

  it('warns when a requested domain is an alias domain, and reports an alias of a domain that has no line', async () => {
    const box = await aliasSandbox();
    const assign = goldenFile(S09, '/var/qmail/users/assign');
    const stdout = sessionStep(S09, 22).stdout;
    const aliasLine = stdout.split('\n').find((l) => l.startsWith('+example.net-'))!;
    box.put('/var/qmail/users/assign', `${aliasLine}\n${assign}`);
    const { state, diagnostics } = await read(box, ['example.net']);
    expect(state.domains.size).toBe(0);
    expect(state.unmanaged).toEqual([
      {
        kind: 'alias-domain',
        name: 'example.net',
        file: box.path('/var/qmail/users/assign'),
        reason: 'users/assign line 1 makes it an alias of example.com, which has no line of its own',
      },
    ]);
    expect(diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'domain-is-alias',
        message: 'example.net is an alias domain of example.com (vaddaliasdomain), not a domain of its own',
        file: box.path('/var/qmail/users/assign'),
        line: 1,
      },
    ]);
  });

  it('reports a missing users/assign as an error naming it', async () => {
    const box = await sandbox(S08);
    rmSync(box.path('/var/qmail/users/assign'));
    const { state, diagnostics } = await read(box);
    expect(state.domains.size).toBe(0);
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        code: 'assign-missing',
        message: 'users/assign does not exist: qmail knows no virtual domains, so none can be read',
        file: box.path('/var/qmail/users/assign'),
      },
    ]);
  });
});

describe('readLive: tcp.smtp (golden 10)', () => {
  const tcpSmtp = '/home/vpopmail/etc/tcp.smtp';

  it('reads the relay lines and a cdb as new as tcp.smtp', async () => {
    const box = await sandbox(S10);
    const { state, diagnostics } = await read(box);
    expect(diagnostics).toEqual([]);
    expect(state.relay).toEqual({
      file: box.path(tcpSmtp),
      exists: true,
      lines: [
        { kind: 'relay', address: '127.', line: 1, text: '127.:allow,RELAYCLIENT=""' },
        { kind: 'relay', address: '192.168.1.', line: 2, text: '192.168.1.:allow,RELAYCLIENT=""' },
        { kind: 'relay', address: '10.0.0.5', line: 3, text: '10.0.0.5:allow,RELAYCLIENT=""' },
        { kind: 'relay', address: '172.16.', line: 4, text: '172.16.:allow,RELAYCLIENT=""' },
        { kind: 'other', text: ':allow', line: 5 },
      ],
      cdbStale: false,
    });
    expect(domainOf(state).users.get('bob')!.flags).toBe(32);
  });

  it('reports the cdb as stale when tcp.smtp is newer or the cdb is missing', async () => {
    const box = await sandbox(S10);
    const later = new Date('2026-06-01T00:00:00Z');
    utimesSync(box.path(tcpSmtp), later, later);
    expect((await read(box)).state.relay.cdbStale).toBe(true);
    rmSync(box.path(`${tcpSmtp}.cdb`));
    utimesSync(box.path(tcpSmtp), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    expect((await read(box)).state.relay.cdbStale).toBe(true);
  });

  it('passes the warning for a line tcprules would skip through with its file and line', async () => {
    const box = await sandbox(S10);
    box.put(tcpSmtp, goldenFile(S10, tcpSmtp).replace('10.0.0.5:allow', '10.0.0.5 allow'));
    const { diagnostics } = await read(box);
    expect(diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['tcp-smtp-skipped-line', box.path(tcpSmtp), 3]]);
  });
});
