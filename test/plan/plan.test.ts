import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/model/change.js';
import { FLAG_BITS } from '../../src/model/flags.js';
import type { DesiredState, LiveState } from '../../src/model/state.js';
import { diffState } from '../../src/plan/plan.js';
import {
  HASH_SECRET1,
  HASH_SECRET6,
  HOME,
  desiredDomain,
  desiredState,
  desiredUser,
  liveDomain,
  liveState,
  liveUser,
} from '../support/builders.js';

const D = 'example.com';
const dotQmail = (name: string) => `${HOME}/domains/${D}/.qmail-${name}`;

function plan(desired: DesiredState, live: LiveState) {
  const result = diffState(desired, live);
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
  return result.value;
}

function kinds(changes: Change[]) {
  return changes.map((c) => {
    const name = c.kind === 'add-user' ? c.user.name : 'name' in c ? c.name : 'address' in c ? c.address : undefined;
    return name === undefined ? c.kind : `${c.kind} ${name}`;
  });
}

const pm = () => desiredUser('postmaster');
const livePm = () => liveUser(D, 'postmaster');

describe('diffState', () => {
  it('plans nothing when desired and live agree', () => {
    const result = plan(
      desiredState([desiredDomain(D, [pm(), desiredUser('alice')])]),
      liveState([liveDomain(D, [livePm(), liveUser(D, 'alice')])]),
    );
    expect(result.changes).toEqual([]);
    expect(result.summary).toEqual({ add: 0, change: 0, delete: 0, move: 0, cdbRebuilds: 0 });
  });

  it('adds, modifies and deletes users with one cdb rebuild, in apply order', () => {
    const desired = desiredState([
      desiredDomain(D, [
        pm(),
        desiredUser('alice', {
          quota: '1073741824S',
          flags: FLAG_BITS.no_imap | FLAG_BITS.no_webmail,
          comment: 'Alice Smith',
        }),
        desiredUser('carol'),
      ]),
    ]);
    const live = liveState([
      liveDomain(D, [livePm(), liveUser(D, 'alice', { flags: FLAG_BITS.no_pop }), liveUser(D, 'bob')]),
    ]);
    const result = plan(desired, live);
    expect(kinds(result.changes)).toEqual([
      'delete-user bob',
      'add-user carol',
      'modify-user alice',
      'rebuild-vpasswd-cdb',
    ]);
    const modify = result.changes[2];
    expect(modify).toMatchObject({
      kind: 'modify-user',
      fields: [
        { field: 'comment', before: 'alice', after: 'Alice Smith' },
        { field: 'quota', before: 'NOQUOTA', after: '1073741824S' },
        { field: 'flags', before: FLAG_BITS.no_pop, after: FLAG_BITS.no_imap | FLAG_BITS.no_webmail },
      ],
    });
    expect(result.changes[0]).toEqual({
      kind: 'delete-user',
      domain: D,
      name: 'bob',
      dir: `${HOME}/domains/${D}/bob`,
      archiveParent: `${HOME}/archive/${D}`,
    });
    expect(result.summary).toEqual({ add: 1, change: 1, delete: 1, move: 0, cdbRebuilds: 1 });
  });

  it('compares hashes verbatim and clear texts by hashing with the live salt', () => {
    const desired = desiredState([
      desiredDomain(D, [
        pm(),
        desiredUser('same', { password: { kind: 'clear', clear: 'secret6', source: 'env:SAME' } }),
        desiredUser('md5', { password: { kind: 'clear', clear: 'secret1', source: 'env:MD5' } }),
        desiredUser('other', { password: { kind: 'clear', clear: 'wrong', source: 'env:OTHER' } }),
        desiredUser('hashed', { password: { kind: 'hash', hash: HASH_SECRET1 } }),
        desiredUser('keep', { password: { kind: 'unmanaged' } }),
      ]),
    ]);
    const live = liveState([
      liveDomain(D, [
        livePm(),
        liveUser(D, 'same', { clear: 'secret6' }),
        liveUser(D, 'md5', { hash: HASH_SECRET1, clear: 'secret1' }),
        liveUser(D, 'other'),
        liveUser(D, 'hashed'),
        liveUser(D, 'keep', { hash: 'anything' }),
      ]),
    ]);
    const result = plan(desired, live);
    expect(kinds(result.changes)).toEqual(['modify-user hashed', 'modify-user other', 'rebuild-vpasswd-cdb']);
    expect(result.changes[0]).toMatchObject({
      fields: [{ field: 'password' }],
      password: { kind: 'hash', hash: HASH_SECRET1 },
    });
  });

  it('treats a stale clear-text field as a password change on servers that keep one', () => {
    const desired = desiredState([
      desiredDomain(D, [
        pm(),
        desiredUser('alice', { password: { kind: 'clear', clear: 'secret6', source: 'file:pw' } }),
      ]),
    ]);
    const live = liveState([liveDomain(D, [livePm(), liveUser(D, 'alice', { hash: HASH_SECRET6, clear: 'old' })])]);
    expect(kinds(plan(desired, live).changes)).toEqual(['modify-user alice', 'rebuild-vpasswd-cdb']);
    const sevenFields = liveState([
      liveDomain(D, [livePm(), liveUser(D, 'alice', { clear: undefined })], { clearPasswords: false }),
    ]);
    expect(plan(desired, sevenFields).changes).toEqual([]);
  });

  it('keeps flag bits vpopmail does not define', () => {
    const foreign = 1 << 24;
    const result = plan(
      desiredState([desiredDomain(D, [pm(), desiredUser('alice', { flags: FLAG_BITS.no_pop })])]),
      liveState([liveDomain(D, [livePm(), liveUser(D, 'alice', { flags: foreign })])]),
    );
    expect(result.changes[0]).toMatchObject({ kind: 'modify-user', after: { flags: foreign | FLAG_BITS.no_pop } });
  });

  it('never deletes postmaster, and honours prune: false', () => {
    const desired = desiredState([desiredDomain(D, [desiredUser('alice')])], {
      policy: { prune: false, maxChangePercent: 30 },
    });
    const live = liveState([liveDomain(D, [livePm(), liveUser(D, 'alice'), liveUser(D, 'bob')])]);
    const result = plan(desired, live);
    expect(result.changes).toEqual([]);
    expect(result.unmanaged.map((u) => `${u.name}: ${u.reason}`)).toEqual([
      'bob: not declared (policy.prune is false)',
      'postmaster: postmaster is protected: never deleted',
    ]);
    const pruning = plan(desiredState([desiredDomain(D, [desiredUser('alice')])]), live);
    expect(kinds(pruning.changes)).toEqual(['delete-user bob', 'rebuild-vpasswd-cdb']);
  });

  it('rebuilds a stale or missing cdb even when no user changes', () => {
    const desired = desiredState([desiredDomain(D, [pm()])]);
    const stale = plan(
      desired,
      liveState([
        liveDomain(D, [livePm()], { cdb: { state: 'stale', detail: '1 record differs (first: postmaster)' } }),
      ]),
    );
    expect(stale.changes).toEqual([
      {
        kind: 'rebuild-vpasswd-cdb',
        domain: D,
        reason: 'vpasswd.cdb is stale (1 record differs (first: postmaster)): logins and delivery read only the cdb',
      },
    ]);
    const missing = plan(desired, liveState([liveDomain(D, [livePm()], { cdb: { state: 'missing' } })]));
    expect(kinds(missing.changes)).toEqual(['rebuild-vpasswd-cdb']);
  });

  it('adds, changes and removes aliases and forwards', () => {
    const desired = desiredState([
      desiredDomain(
        D,
        [
          pm(),
          desiredUser('alice', { forward: { to: ['a@example.net'], keepCopy: true } }),
          desiredUser('bob', { forward: { to: ['b@example.net'], keepCopy: false } }),
          desiredUser('carol'),
        ],
        {
          aliases: new Map([
            ['sales', { name: 'sales', to: ['alice@example.com'], source: { file: 'm.yaml' } }],
            ['info', { name: 'info', to: ['bob@example.com', 'x@example.org'], source: { file: 'm.yaml' } }],
          ]),
        },
      ),
    ]);
    const live = liveState([
      liveDomain(
        D,
        [
          livePm(),
          liveUser(D, 'alice'),
          liveUser(D, 'bob', {
            forward: { to: ['b@example.net'], keepCopy: true, style: 'domain', file: dotQmail('bob') },
          }),
          liveUser(D, 'carol', {
            forward: {
              to: ['c@example.net'],
              keepCopy: false,
              style: 'user',
              file: `${HOME}/domains/${D}/carol/.qmail`,
            },
          }),
        ],
        {
          aliases: new Map([
            ['info', { name: 'info', to: ['x@example.org', 'bob@example.com'], file: dotQmail('info') }],
            ['old', { name: 'old', to: ['bob@example.com'], file: dotQmail('old') }],
          ]),
        },
      ),
    ]);
    const result = plan(desired, live);
    expect(kinds(result.changes)).toEqual([
      'delete-forward carol',
      'delete-alias old',
      'add-forward alice',
      'modify-forward bob',
      'add-alias sales',
    ]);
    expect(result.changes[0]).toMatchObject({ file: `${HOME}/domains/${D}/carol/.qmail` });
    expect(result.changes[3]).toMatchObject({
      before: { keepCopy: true },
      after: { keepCopy: false },
      file: dotQmail('bob'),
    });
  });

  it('removes the forward file of a deleted user, and an alias a new user would be shadowed by', () => {
    const desired = desiredState([desiredDomain(D, [pm(), desiredUser('sales')])], {
      policy: { prune: false, maxChangePercent: 30 },
    });
    const live = liveState([
      liveDomain(D, [livePm()], {
        aliases: new Map([['sales', { name: 'sales', to: ['a@example.org'], file: dotQmail('sales') }]]),
      }),
    ]);
    expect(kinds(plan(desired, live).changes)).toEqual(['delete-alias sales', 'add-user sales', 'rebuild-vpasswd-cdb']);

    const gone = liveState([
      liveDomain(D, [
        livePm(),
        liveUser(D, 'bob', { forward: { to: ['b@x.org'], keepCopy: false, style: 'domain', file: dotQmail('bob') } }),
      ]),
    ]);
    expect(kinds(plan(desiredState([desiredDomain(D, [pm()])]), gone).changes)).toEqual([
      'delete-forward bob',
      'delete-user bob',
      'rebuild-vpasswd-cdb',
    ]);
  });

  it('refuses to plan over an unmanaged .qmail file, a missing password or a missing postmaster', () => {
    const desired = desiredState([
      desiredDomain(
        D,
        [
          pm(),
          desiredUser('dave', { password: { kind: 'unmanaged' }, source: { file: 'mailstate.yaml', line: 9, col: 5 } }),
        ],
        {
          aliases: new Map([
            ['list', { name: 'list', to: ['a@example.org'], source: { file: 'mailstate.yaml', line: 12, col: 7 } }],
          ]),
        },
      ),
      desiredDomain('new.example', [desiredUser('alice')], { source: { file: 'mailstate.yaml', line: 20, col: 3 } }),
    ]);
    const live = liveState([
      liveDomain(D, [livePm()], {
        unmanaged: [
          {
            domain: D,
            kind: 'program-delivery',
            name: 'list',
            file: dotQmail('list'),
            reason: 'program delivery: |ezmlm-reject',
          },
        ],
      }),
    ]);
    const result = diffState(desired, live);
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`)).toEqual([
      'mailstate.yaml:9:5: user "dave@example.com" does not exist yet: give it a password (a crypt hash, { env: NAME } or { file: path })',
      `mailstate.yaml:12:7: alias "list@example.com": ${dotQmail('list')} exists and is not managed by mailstate (program delivery: |ezmlm-reject); remove or rename it by hand first`,
      'mailstate.yaml:20:3: domain "new.example" does not exist yet: declare its postmaster user (with a password), which vpopmail creates with every domain',
    ]);
  });

  it('refuses to add, change or delete a user named on an unreadable vpasswd line, or to rebuild the cdb over one', () => {
    const vpasswd = `${HOME}/domains/${D}/vpasswd`;
    // bob's line has 5 fields: the reader cannot see bob, but vpopmail still has the line.
    const broken = (extra = {}) =>
      liveDomain(D, [livePm(), liveUser(D, 'alice')], { malformedVpasswdLines: [{ name: 'bob', line: 2 }], ...extra });
    const declared = desiredState([
      desiredDomain(D, [
        pm(),
        desiredUser('alice'),
        desiredUser('bob', { source: { file: 'mailstate.yaml', line: 7, col: 7 } }),
      ]),
    ]);
    // Before the fix: "add-user bob", and the files driver appended a second bob line.
    const add = diffState(declared, liveState([broken()]));
    expect(add.ok).toBe(false);
    expect(add.diagnostics.map((d) => `${d.file}:${d.line}: ${d.severity}: ${d.message}`)).toEqual([
      `${vpasswd}:2: error: user "bob@example.com" is declared (mailstate.yaml:7), but vpasswd line 2 for "bob" cannot be read: fix or remove that line by hand first (mailstate will not write a second line for the same user)`,
    ]);

    // bob not declared, but any user change rebuilds vpasswd.cdb, whose "bob" record would become the broken line.
    const other = diffState(
      desiredState([desiredDomain(D, [pm(), desiredUser('alice', { comment: 'Alice' })])]),
      liveState([broken()]),
    );
    expect(other.ok).toBe(false);
    expect(other.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['vpasswd-malformed-line', vpasswd, 2]]);
    expect(other.diagnostics[0]!.message).toBe(
      'vpasswd line 2 for "bob" cannot be read, and this plan rebuilds vpasswd.cdb of example.com from vpasswd, which would make that broken line the record "bob" logs in with: fix or remove the line by hand first',
    );

    // A valid bob line too: deleting bob would also drop the broken line.
    const withBob = liveState([
      broken({ users: new Map([livePm(), liveUser(D, 'alice'), liveUser(D, 'bob')].map((u) => [u.name, u])) }),
    ]);
    const deletion = diffState(desiredState([desiredDomain(D, [pm(), desiredUser('alice')])]), withBob);
    expect(deletion.diagnostics.map((d) => [d.code, d.line, d.message.split(',')[0]])).toEqual([
      ['vpasswd-malformed-user', 2, 'user "bob@example.com" would be deleted'],
    ]);

    // Nothing to change in the domain and a fresh cdb: the broken line is only the reader's warning.
    expect(plan(desiredState([desiredDomain(D, [pm(), desiredUser('alice')])]), liveState([broken()])).changes).toEqual(
      [],
    );
    // A broken copy after a readable line of the same (undeclared, unpruned) name: the rebuild keeps the readable record first.
    const later = broken({
      malformedVpasswdLines: [{ name: 'carol', line: 9 }],
      users: new Map([livePm(), liveUser(D, 'alice'), liveUser(D, 'carol', { line: 3 })].map((u) => [u.name, u])),
    });
    const keep = desiredState([desiredDomain(D, [pm(), desiredUser('alice', { comment: 'Alice' })])], {
      policy: { prune: false, maxChangePercent: 100 },
    });
    expect(kinds(plan(keep, liveState([later])).changes)).toEqual(['modify-user alice', 'rebuild-vpasswd-cdb']);
  });

  it('adds a domain with its users, and alias domains, but never touches undeclared domains', () => {
    const desired = desiredState([
      desiredDomain('new.example', [pm(), desiredUser('alice')], { aliasDomains: ['new.example.net'] }),
    ]);
    const live = liveState([liveDomain(D, [livePm(), liveUser(D, 'zed')])]);
    const result = plan(desired, live);
    expect(kinds(result.changes)).toEqual([
      'add-domain',
      'add-alias-domain',
      'add-user alice',
      'add-user postmaster',
      'rebuild-vpasswd-cdb',
    ]);
    expect(result.unmanagedDomains).toEqual([D]);
  });

  it('manages relay rules only when declared, keeps foreign lines and rebuilds tcp.smtp.cdb once', () => {
    const relayFile = `${HOME}/etc/tcp.smtp`;
    const live = liveState([], {
      relay: {
        file: relayFile,
        exists: true,
        cdbStale: false,
        lines: [
          { kind: 'relay', address: '127.', line: 1, text: '127.:allow,RELAYCLIENT=""' },
          { kind: 'other', text: ':allow', line: 2 },
          { kind: 'relay', address: '10.9.', line: 3, text: '10.9.:allow,RELAYCLIENT=""' },
        ],
      },
    });
    const src = { file: 'mailstate.yaml' };
    expect(plan(desiredState([]), live).changes).toEqual([]);
    const result = plan(
      desiredState([], {
        relay: [
          { address: '127.', source: src },
          { address: '10.0.0.5', source: src },
        ],
      }),
      live,
    );
    expect(result.changes).toEqual([
      { kind: 'delete-relay', address: '10.9.', line: 3 },
      { kind: 'add-relay', address: '10.0.0.5' },
      { kind: 'rebuild-tcp-smtp-cdb', reason: 'relay rules changed' },
    ]);
    const stale = plan(
      desiredState([], {
        relay: [
          { address: '127.', source: src },
          { address: '10.9.', source: src },
        ],
      }),
      { ...live, relay: { ...live.relay, cdbStale: true } },
    );
    expect(kinds(stale.changes)).toEqual(['rebuild-tcp-smtp-cdb']);
  });

  it('reports a domain over the change threshold', () => {
    const liveUsers = [livePm(), ...Array.from({ length: 9 }, (_, i) => liveUser(D, `user${i}`))];
    const desired = desiredState([
      desiredDomain(D, [pm(), ...Array.from({ length: 6 }, (_, i) => desiredUser(`user${i}`))]),
    ]);
    const result = plan(desired, liveState([liveDomain(D, liveUsers)]));
    // 3 of 10 users is exactly the 30% limit: allowed.
    expect(result.thresholdBreaches).toEqual([]);
    const worse = plan(
      desiredState([desiredDomain(D, [pm(), desiredUser('user0')])]),
      liveState([liveDomain(D, liveUsers)]),
    );
    expect(worse.thresholdBreaches).toEqual([{ domain: D, liveUsers: 10, affectedUsers: 8, percent: 80, limit: 30 }]);
  });
});

describe('deleting a mailbox something else delivers into', () => {
  it('warns, naming the unmanaged file and the path, for Maildir lines and program arguments alike', () => {
    const bobDir = `${HOME}/domains/${D}/bob`;
    const unmanaged = [
      {
        domain: D,
        kind: 'dot-qmail' as const,
        name: 'bob2',
        file: dotQmail('bob2'),
        reason: 'a Maildir line',
        deliversInto: [`${bobDir}/Maildir/`],
      },
      {
        domain: D,
        kind: 'catch-all' as const,
        name: 'default',
        file: dotQmail('default'),
        reason: 'catch-all',
        deliversInto: [`${HOME}/bin/vdelivermail`, bobDir],
      },
      {
        domain: D,
        kind: 'dot-qmail' as const,
        name: 'bobby',
        file: dotQmail('bobby'),
        reason: 'a look-alike',
        deliversInto: [`${bobDir}by/Maildir/`],
      },
    ];
    const live = liveState([liveDomain(D, [livePm(), liveUser(D, 'bob'), liveUser(D, 'bobby')], { unmanaged })]);
    const result = plan(desiredState([desiredDomain(D, [pm(), desiredUser('bobby')])]), live);
    expect(kinds(result.changes)).toContain('delete-user bob');
    const tail =
      ": once the mailbox is archived, that mail stays in qmail's queue and bounces when it expires; change the file by hand";
    expect(result.warnings.map((w) => `${w.file}: ${w.message}`)).toEqual([
      `${dotQmail('bob2')}: user "bob@example.com" is deleted, but this file, which mailstate leaves alone, delivers into ${bobDir}/Maildir/${tail}`,
      `${dotQmail('default')}: user "bob@example.com" is deleted, but this file, which mailstate leaves alone, delivers into ${bobDir}${tail}`,
    ]);
  });
});
