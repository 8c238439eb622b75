import { describe, expect, it } from 'vitest';
import { FLAG_BITS } from '../../src/model/flags.js';
import type { DesiredState } from '../../src/model/state.js';
import { HASH5, HASH6, lines, state, yaml } from './helpers.js';

describe('normalisation', () => {
  it('turns a file into the DesiredState, with sources', () => {
    const text = yaml`
      version: 1
      vpopmail: { home: /opt/vpopmail/ }
      qmail: { home: /var//qmail }
      policy: { prune: false, maxChangePercent: 0 }
      relay: ["127.", 10.0.0.5]
      domains:
        example.com:
          aliasDomains: [example.net]
          users:
            postmaster: { password: "${HASH6}" }
            bob:
            alice:
              password: { env: ALICE_PW }
              quota: { size: 1G, messages: 100 }
              comment: Alice Smith
              flags: [no_imap, no_webmail]
              forward: { to: [alice@Example.ORG], keepCopy: true }
            carol:
              password: { file: secrets/carol }
              forward: { to: [carol@example.org] }
          aliases:
            sales: [alice@example.com, Bob@EXAMPLE.org]
        example.org: {}
    `;
    const expected: DesiredState = {
      vpopmailHome: '/opt/vpopmail',
      qmailHome: '/var/qmail',
      policy: { prune: false, maxChangePercent: 0 },
      relay: [
        { address: '127.', source: { file: 'mailstate.yaml', line: 5, col: 9 } },
        { address: '10.0.0.5', source: { file: 'mailstate.yaml', line: 5, col: 17 } },
      ],
      domains: new Map([
        [
          'example.com',
          {
            name: 'example.com',
            aliasDomains: ['example.net'],
            source: { file: 'mailstate.yaml', line: 7, col: 3 },
            users: new Map([
              [
                'postmaster',
                {
                  name: 'postmaster',
                  password: { kind: 'hash', hash: HASH6 },
                  comment: 'Postmaster',
                  quota: 'NOQUOTA',
                  flags: 0,
                  source: { file: 'mailstate.yaml', line: 10, col: 7 },
                },
              ],
              [
                'bob',
                {
                  name: 'bob',
                  password: { kind: 'unmanaged' },
                  comment: 'bob',
                  quota: 'NOQUOTA',
                  flags: 0,
                  source: { file: 'mailstate.yaml', line: 11, col: 7 },
                },
              ],
              [
                'alice',
                {
                  name: 'alice',
                  password: { kind: 'secret', ref: { env: 'ALICE_PW' }, source: 'env:ALICE_PW' },
                  comment: 'Alice Smith',
                  quota: '1073741824S,100C',
                  flags: FLAG_BITS.no_imap | FLAG_BITS.no_webmail,
                  forward: { to: ['alice@example.org'], keepCopy: true },
                  source: { file: 'mailstate.yaml', line: 12, col: 7 },
                },
              ],
              [
                'carol',
                {
                  name: 'carol',
                  password: { kind: 'secret', ref: { file: 'secrets/carol' }, source: 'file:secrets/carol' },
                  comment: 'carol',
                  quota: 'NOQUOTA',
                  flags: 0,
                  forward: { to: ['carol@example.org'], keepCopy: false },
                  source: { file: 'mailstate.yaml', line: 18, col: 7 },
                },
              ],
            ]),
            aliases: new Map([
              [
                'sales',
                {
                  name: 'sales',
                  to: ['alice@example.com', 'Bob@example.org'],
                  source: { file: 'mailstate.yaml', line: 22, col: 7 },
                },
              ],
            ]),
          },
        ],
        [
          'example.org',
          {
            name: 'example.org',
            aliasDomains: [],
            source: { file: 'mailstate.yaml', line: 23, col: 3 },
            users: new Map(),
            aliases: new Map(),
          },
        ],
      ]),
      files: ['mailstate.yaml'],
    };
    expect(state(text)).toEqual(expected);
  });

  it('applies defaults when the optional sections are absent', () => {
    const desired = state('version: 1\n');
    expect(desired).toEqual({
      vpopmailHome: '/home/vpopmail',
      qmailHome: '/var/qmail',
      policy: { prune: true, maxChangePercent: 30 },
      domains: new Map(),
      files: ['mailstate.yaml'],
    });
    expect('relay' in desired).toBe(false);
  });

  it('keeps policy.maxChanges, which has no default', () => {
    expect(state('version: 1\npolicy: { maxChanges: 250 }\n').policy).toEqual({
      prune: true,
      maxChangePercent: 30,
      maxChanges: 250,
    });
    expect('maxChanges' in state('version: 1\npolicy: { prune: false }\n').policy).toBe(false);
  });

  it('keeps relay: [] apart from an absent relay', () => {
    expect(state('version: 1\nrelay: []\n').relay).toEqual([]);
  });

  it('lets overrides win over the file', () => {
    const desired = state('version: 1\nvpopmail: { home: /home/vpopmail }\n', {
      overrides: { vpopmailHome: '/tmp/sandbox/home/vpopmail', qmailHome: '/tmp/sandbox/var/qmail' },
    });
    expect([desired.vpopmailHome, desired.qmailHome]).toEqual(['/tmp/sandbox/home/vpopmail', '/tmp/sandbox/var/qmail']);
    expect(state('version: 1\n', { overrides: { vpopmailHome: undefined } }).vpopmailHome).toBe('/home/vpopmail');
  });

  it('accepts null, {} and absent users, aliases and domains', () => {
    const desired = state(
      'version: 1\ndomains:\n  a.example:\n  b.example: {}\n  c.example:\n    users:\n    aliases:\n',
    );
    expect([...desired.domains.keys()]).toEqual(['a.example', 'b.example', 'c.example']);
    expect(state('version: 1\ndomains:\n').domains.size).toBe(0);
  });

  it('takes names literally: keys are never numbers, null or inherited properties', () => {
    const desired = state(
      `version: 1\ndomains:\n  example.com:\n    users:\n      0123: {}\n      null: {}\n      constructor: {}\n      __proto__: { comment: P }\n      "007": {}\n`,
    );
    const users = desired.domains.get('example.com')!.users;
    expect([...users.keys()]).toEqual(['0123', 'null', 'constructor', '__proto__', '007']);
    expect(users.get('__proto__')!.comment).toBe('P');
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('accepts every hash format vpopmail can verify', () => {
    const desired = state(
      `version: 1\ndomains:\n  example.com:\n    users:\n      a1: { password: "${HASH5}" }\n      a2: { password: "$1$abcdefgh$znAnv9M.XU2pRYfmSs46h/" }\n      a3: { password: abJnggxhB/yWI }\n`,
    );
    expect([...desired.domains.get('example.com')!.users.values()].map((u) => u.password.kind)).toEqual([
      'hash',
      'hash',
      'hash',
    ]);
  });

  it('supports YAML anchors and aliases (sources point at the anchor)', () => {
    const desired = state(yaml`
      version: 1
      domains:
        example.com:
          users:
            alice: &staff { quota: 1G, flags: [no_pop] }
            bob: *staff
    `);
    const users = desired.domains.get('example.com')!.users;
    expect([users.get('alice')!.quota, users.get('bob')!.quota, users.get('bob')!.flags]).toEqual([
      '1073741824S',
      '1073741824S',
      FLAG_BITS.no_pop,
    ]);
    expect(users.get('bob')!.source).toEqual({ file: 'mailstate.yaml', line: 6, col: 7 });
  });

  it('reports a warning without failing', () => {
    const result = lines(
      'version: 1\ndomains:\n  example.com:\n    users:\n      bob: { password: { file: /run/secrets/bob } }\n',
    );
    expect(result).toEqual([
      'mailstate.yaml:5:32: warning: file: "/run/secrets/bob" is outside the directory of mailstate.yaml',
    ]);
  });
});
