import { describe, expect, it } from 'vitest';
import type { PasswordSpec } from '../../src/model/password.js';
import { diffState } from '../../src/plan/plan.js';
import { liveFromDesired, withUnreadSecrets } from '../../src/snapshot/desired-as-live.js';
import { parseSnapshot, renderSnapshot, snapshotFromLive } from '../../src/snapshot/format.js';
import { hashDigest, keyId, parseKey } from '../../src/snapshot/key.js';
import {
  HASH_SECRET1,
  HASH_SECRET6,
  desiredDomain,
  desiredState,
  desiredUser,
  liveDomain,
  liveState,
  liveUser,
} from '../support/builders.js';

const D = 'example.com';
const KEY = Buffer.alloc(32, 7);
const digestWith = (key: Buffer) => ({ hashDigest: (hash: string) => hashDigest(key, hash) });

function snapshotOf(hash: string) {
  const live = liveState([
    liveDomain(D, [
      liveUser(D, 'postmaster', { hash: HASH_SECRET6 }),
      liveUser(D, 'alice', { hash, clear: 'TOPSECRET' }),
    ]),
  ]);
  const text = renderSnapshot(
    snapshotFromLive(live, [], (h) => hashDigest(KEY, h), {
      createdAt: '2026-01-01T00:00:00.000Z',
      host: 'mail1',
      keyId: keyId(KEY),
    }),
  );
  const parsed = parseSnapshot(text, 'live.json');
  if (!parsed.ok) throw new Error(parsed.diagnostics[0]!.message);
  return { text, live: parsed.value.live };
}

function desiredWith(password: PasswordSpec) {
  return desiredState([desiredDomain(D, [desiredUser('postmaster'), desiredUser('alice', { password })])]);
}

describe('passwords against a snapshot', () => {
  it('round-trips the live state with digests in place of hashes and nothing of the clear text', () => {
    const { text, live } = snapshotOf(HASH_SECRET1);
    expect(text).not.toContain(HASH_SECRET1);
    expect(text).not.toContain('TOPSECRET');
    const alice = live.domains.get(D)!.users.get('alice')!;
    // The digest is all a snapshot has of the password: no hash, no clear text.
    expect(alice.password).toEqual({ kind: 'digest', digest: hashDigest(KEY, HASH_SECRET1) });
  });

  it.each([
    ['the same hash, with the key', HASH_SECRET1, digestWith(KEY), [], 0],
    ['another hash, with the key', HASH_SECRET6, digestWith(KEY), ['password'], 0],
    ['any hash, without the key', HASH_SECRET6, {}, [], 2],
    ['the same hash, with the wrong key', HASH_SECRET1, digestWith(Buffer.alloc(32, 1)), ['password'], 0],
  ] as const)('%s', (_label, desiredHash, passwords, fields, warnings) => {
    const { live } = snapshotOf(HASH_SECRET1);
    const result = diffState(desiredWith({ kind: 'hash', hash: desiredHash }), live, { passwords });
    if (!result.ok) throw new Error('plan failed');
    const modify = result.value.changes.find((c) => c.kind === 'modify-user');
    expect(modify?.kind === 'modify-user' ? modify.fields.map((f) => f.field) : []).toEqual(fields);
    expect(result.value.warnings.filter((w) => w.code === 'password-not-comparable')).toHaveLength(warnings);
  });

  it('reports a clear text as not comparable, never as a change', () => {
    const { live } = snapshotOf(HASH_SECRET1);
    const result = diffState(
      withUnreadSecrets(desiredWith({ kind: 'secret', ref: { env: 'ALICE' }, source: 'env:ALICE' })),
      live,
      { passwords: digestWith(KEY) },
    );
    if (!result.ok) throw new Error('plan failed');
    expect(result.value.changes).toEqual([]);
    expect(result.value.warnings.map((w) => w.message)).toEqual([
      'user "alice@example.com": password (not comparable from a snapshot): a clear text (env:ALICE) cannot be checked against the digest of a hash; apply on the server compares it',
    ]);
  });

  it('parses only what it can trust', () => {
    expect(parseSnapshot('{', 'x.json')).toMatchObject({
      ok: false,
      diagnostics: [{ message: expect.stringMatching(/^not JSON: /) }],
    });
    expect(parseSnapshot('{"formatVersion":1}', 'x.json')).toMatchObject({
      ok: false,
      diagnostics: [{ message: expect.stringMatching(/^not a mailstate snapshot/) }],
    });
    const { text } = snapshotOf(HASH_SECRET1);
    const tampered = JSON.parse(text);
    tampered.domains[0].users[1].hashDigest = HASH_SECRET1;
    expect(parseSnapshot(JSON.stringify(tampered), 'x.json')).toMatchObject({
      ok: false,
      diagnostics: [
        { message: 'not a valid snapshot: /domains/0/users/1/hashDigest must match pattern "^[0-9a-f]{64}$"' },
      ],
    });
    expect(parseKey(` ${'Ab'.repeat(32)}\n`)).toEqual(Buffer.alloc(32, 0xab));
    expect(parseKey('ab')).toBeUndefined();
  });
});

describe('a base revision as the live state (plan --base)', () => {
  it('plans nothing against itself, whatever the passwords are', () => {
    const desired = desiredState(
      [
        desiredDomain(
          D,
          [
            desiredUser('postmaster'),
            desiredUser('alice', {
              password: { kind: 'secret', ref: { env: 'ALICE' }, source: 'env:ALICE' },
              forward: { to: ['a@example.net'], keepCopy: true },
            }),
            desiredUser('bob', { password: { kind: 'unmanaged' } }),
          ],
          { aliasDomains: ['example.net'] },
        ),
      ],
      { relay: [{ address: '127.', source: { file: 'mailstate.yaml' } }] },
    );
    const result = diffState(withUnreadSecrets(desired), liveFromDesired(desired));
    expect(result.ok && result.value.changes).toEqual([]);
  });

  it.each([
    ['hash -> other hash', { kind: 'hash', hash: HASH_SECRET1 }, { kind: 'hash', hash: HASH_SECRET6 }, true],
    [
      'env -> same env',
      { kind: 'secret', ref: { env: 'A' }, source: 'env:A' },
      { kind: 'secret', ref: { env: 'A' }, source: 'env:A' },
      false,
    ],
    [
      'env -> other env',
      { kind: 'secret', ref: { env: 'A' }, source: 'env:A' },
      { kind: 'secret', ref: { env: 'B' }, source: 'env:B' },
      true,
    ],
    [
      'file -> env',
      { kind: 'secret', ref: { file: '/s/a' }, source: 'file:s/a' },
      { kind: 'secret', ref: { env: 'A' }, source: 'env:A' },
      true,
    ],
    ['none -> hash', { kind: 'unmanaged' }, { kind: 'hash', hash: HASH_SECRET6 }, true],
    ['hash -> none', { kind: 'hash', hash: HASH_SECRET6 }, { kind: 'unmanaged' }, false],
  ] as const)('compares passwords by reference: %s', (_label, before, after, changed) => {
    const result = diffState(
      withUnreadSecrets(desiredWith(after as PasswordSpec)),
      liveFromDesired(desiredWith(before as PasswordSpec)),
    );
    if (!result.ok) throw new Error('plan failed');
    expect(
      result.value.changes.some((c) => c.kind === 'modify-user' && c.fields.some((f) => f.field === 'password')),
    ).toBe(changed);
  });
});
