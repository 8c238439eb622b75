import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES, type Diagnostic } from '../../src/model/diagnostic.js';
import type { LiveRelay, UnmanagedObject } from '../../src/model/state.js';
import {
  parseSnapshot,
  renderSnapshot,
  SNAPSHOT_VERSION,
  type Snapshot,
  type SnapshotDomain,
  type SnapshotUser,
} from '../../src/snapshot/format.js';
import { anyBytes, anyString, withinCpuTime, runs } from './support.js';

const FILE = 'live.json';
const str = anyString(12);
const int = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

const unmanaged: fc.Arbitrary<UnmanagedObject> = fc.record(
  {
    domain: str,
    kind: fc.constantFrom(
      'catch-all',
      'program-delivery',
      'dot-qmail',
      'user-dot-qmail',
      'user',
      'relay-rule',
      'alias-domain',
      'domain',
    ),
    name: str,
    file: str,
    reason: str,
  },
  { requiredKeys: ['kind', 'name', 'file', 'reason'] },
);

const user: fc.Arbitrary<SnapshotUser> = fc.record(
  {
    name: str,
    hashDigest: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
    apop: str,
    flags: int,
    comment: str,
    quota: str,
    quotaRaw: str,
    dir: str,
    line: fc.nat(),
    forward: fc.record({
      to: fc.array(str, { maxLength: 3 }),
      keepCopy: fc.boolean(),
      style: fc.constantFrom('domain' as const, 'user' as const),
      file: str,
    }),
  },
  { requiredKeys: ['name', 'hashDigest', 'apop', 'flags', 'comment', 'quota', 'quotaRaw', 'dir', 'line'] },
);

const cdb = fc.oneof(
  fc.record({ state: fc.constantFrom('fresh' as const, 'missing' as const) }),
  fc.record({ state: fc.constantFrom('stale' as const, 'corrupt' as const), detail: str }),
);

const domain: fc.Arbitrary<SnapshotDomain> = fc.record(
  {
    name: str,
    dir: str,
    uid: int,
    gid: int,
    users: fc.array(user, { maxLength: 3 }),
    aliases: fc.array(fc.record({ name: str, to: fc.array(str, { maxLength: 3 }), file: str }), { maxLength: 3 }),
    aliasDomains: fc.array(str, { maxLength: 2 }),
    clearPasswords: fc.boolean(),
    vpasswdExists: fc.boolean(),
    malformedVpasswdLines: fc.array(fc.record({ name: str, line: fc.nat() }), { maxLength: 2 }),
    cdb,
    unmanaged: fc.array(unmanaged, { maxLength: 2 }),
  },
  {
    requiredKeys: [
      'name',
      'dir',
      'uid',
      'gid',
      'users',
      'aliases',
      'aliasDomains',
      'clearPasswords',
      'vpasswdExists',
      'cdb',
      'unmanaged',
    ],
  },
);

const relay: fc.Arbitrary<LiveRelay> = fc.record({
  file: str,
  exists: fc.boolean(),
  lines: fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('relay' as const), address: str, line: fc.nat(), text: str }),
      fc.record({ kind: fc.constant('other' as const), line: fc.nat(), text: str }),
    ),
    { maxLength: 3 },
  ),
  cdbStale: fc.boolean(),
});

const diagnostic: fc.Arbitrary<Diagnostic> = fc.record(
  {
    severity: fc.constantFrom('error' as const, 'warning' as const),
    code: fc.constantFrom(...DIAGNOSTIC_CODES),
    message: str,
    file: str,
    line: fc.nat(),
    col: fc.nat(),
  },
  { requiredKeys: ['severity', 'code', 'message'] },
);

const snapshot: fc.Arbitrary<Snapshot> = fc.record({
  snapshotVersion: fc.constant(SNAPSHOT_VERSION),
  createdAt: str,
  host: str,
  passwords: fc.record({ digest: fc.constant('HMAC-SHA256' as const), keyId: str }),
  vpopmailHome: str,
  qmailHome: str,
  assignDomains: fc.array(fc.record({ domain: str, realDomain: str }), { maxLength: 3 }),
  domains: fc.array(domain, { maxLength: 3 }),
  relay,
  unmanaged: fc.array(unmanaged, { maxLength: 2 }),
  diagnostics: fc.array(diagnostic, { maxLength: 2 }),
});

function expectResult(result: ReturnType<typeof parseSnapshot>): void {
  if (result.ok) return;
  expect(result.diagnostics.length).toBeGreaterThan(0);
  for (const d of result.diagnostics)
    expect(d).toMatchObject({ severity: 'error', code: 'snapshot-invalid', file: FILE });
}

describe('parseSnapshot', () => {
  it('never throws on random text or bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyString(400),
          anyBytes(400).map((b) => Buffer.from(b).toString('utf8')),
        ),
        (text) => {
          const result = withinCpuTime(500, () => parseSnapshot(text, FILE));
          expect(result.ok).toBe(false);
          expectResult(result);
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it('never throws on random JSON, nor on a version-1 object of random shape', () => {
    const randomJson = fc.oneof(
      fc.jsonValue(),
      fc.dictionary(fc.string(), fc.jsonValue()).map((o) => ({ ...o, snapshotVersion: 1 })),
      // A valid snapshot with one field replaced by anything.
      fc
        .tuple(
          snapshot,
          fc.constantFrom('domains', 'relay', 'assignDomains', 'unmanaged', 'diagnostics', 'passwords', 'host'),
          fc.jsonValue(),
        )
        .map(([s, key, value]) => ({ ...s, [key]: value })),
    );
    fc.assert(
      fc.property(randomJson, (value) => {
        expectResult(withinCpuTime(2000, () => parseSnapshot(JSON.stringify(value), FILE)));
      }),
      { numRuns: runs(300) },
    );
  });

  it('answers fast on very deep nesting in any field', () => {
    const base = fc.sample(snapshot, { numRuns: 1, seed: 1 })[0]!;
    for (const key of ['domains', 'relay', 'host', 'unknown']) {
      const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
      const text = JSON.stringify({ ...base, [key]: 0 }).replace(`"${key}":0`, `"${key}":${deep}`);
      const result = withinCpuTime(2000, () => parseSnapshot(text, FILE));
      expect(result.ok).toBe(false);
      expectResult(result);
    }
  });

  it('reads back every snapshot renderSnapshot wrote, and the live state it stands for', () => {
    fc.assert(
      fc.property(snapshot, (s) => {
        const result = parseSnapshot(renderSnapshot(s), FILE);
        if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
        expect(result.value.snapshot).toEqual(s);
        const live = result.value.live;
        expect([...live.assignDomains]).toEqual([...new Map(s.assignDomains.map((e) => [e.domain, e.realDomain]))]);
        expect([...live.domains.keys()]).toEqual([...new Set(s.domains.map((d) => d.name))]);
        for (const d of new Map(s.domains.map((d) => [d.name, d])).values()) {
          const liveDomain = live.domains.get(d.name)!;
          const lastUser = new Map(d.users.map((u) => [u.name, u]));
          for (const [name, u] of lastUser) {
            // The hash never comes back: only its digest.
            expect(liveDomain.users.get(name)).toMatchObject({
              flags: u.flags,
              password: { kind: 'digest', digest: u.hashDigest },
            });
          }
        }
      }),
      { numRuns: runs(150) },
    );
  });
});
