import { describe, expect, it } from 'vitest';
import type { LiveState, Policy } from '../../src/model/state.js';
import { diffState } from '../../src/plan/plan.js';
import {
  desiredDomain,
  desiredState,
  desiredUser,
  HOME,
  liveDomain,
  liveState,
  liveUser,
} from '../support/builders.js';

const D = 'example.com';
const src = { file: 'mailstate.yaml' };

function plan(...args: Parameters<typeof diffState>) {
  const result = diffState(...args);
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
  return result.value;
}

/** A live tcp.smtp with these relay rules, and a catch-all line that is not one. */
function withRelays(addresses: string[]): LiveState {
  return liveState([], {
    relay: {
      file: `${HOME}/etc/tcp.smtp`,
      exists: true,
      cdbStale: false,
      lines: [
        ...addresses.map((address, i) => ({
          kind: 'relay' as const,
          address,
          line: i + 1,
          text: `${address}:allow,RELAYCLIENT=""`,
        })),
        { kind: 'other' as const, text: ':allow', line: addresses.length + 1 },
      ],
    },
  });
}

const relays = (...addresses: string[]) => addresses.map((address) => ({ address, source: src }));
const policy = (extra: Partial<Policy> = {}): Policy => ({ prune: true, maxChangePercent: 30, ...extra });

describe('small-domain exemption (issue 13, item 12)', () => {
  const five = () => [liveUser(D, 'postmaster'), ...['a', 'b', 'c', 'd'].map((n) => liveUser(D, n))];

  it('says when a domain under 10 users passes only because it is small', () => {
    const result = plan(
      desiredState([desiredDomain(D, [desiredUser('postmaster')])]),
      liveState([liveDomain(D, five())]),
    );
    expect(result.thresholdBreaches).toEqual([]);
    expect(result.thresholdExemptions).toEqual([
      { domain: D, subject: 'users', live: 5, affected: 4, percent: 80, limit: 30, minimum: 10 },
    ]);
  });

  it('says nothing at or under the percentage, or when nothing is deleted or changed', () => {
    const keepAll = desiredDomain(
      D,
      ['postmaster', 'a', 'b', 'c', 'd'].map((n) => desiredUser(n)),
    );
    expect(plan(desiredState([keepAll]), liveState([liveDomain(D, five())])).thresholdExemptions).toEqual([]);
    // 1 of 5 is 20%, under 30%.
    const oneGone = desiredDomain(
      D,
      ['postmaster', 'a', 'b', 'c'].map((n) => desiredUser(n)),
    );
    expect(plan(desiredState([oneGone]), liveState([liveDomain(D, five())])).thresholdExemptions).toEqual([]);
    // A new domain has no live users to lose.
    const fresh = plan(desiredState([desiredDomain('new.test', [desiredUser('postmaster')])]), liveState([]));
    expect(fresh.thresholdExemptions).toEqual([]);
  });

  it('a domain of 10 users is a breach, not an exemption', () => {
    const ten = [liveUser(D, 'postmaster'), ...Array.from({ length: 9 }, (_, i) => liveUser(D, `u${i}`))];
    const result = plan(desiredState([desiredDomain(D, [desiredUser('postmaster')])]), liveState([liveDomain(D, ten)]));
    expect(result.thresholdBreaches).toEqual([{ domain: D, liveUsers: 10, affectedUsers: 9, percent: 90, limit: 30 }]);
    expect(result.thresholdExemptions).toEqual([]);
  });
});

describe('relay rules and the threshold (issue 13, item 8)', () => {
  it('relay: [] deletes the loopback rule only as a breach, and says the small set is exempt from the percentage', () => {
    const result = plan(desiredState([], { relay: [] }), withRelays(['127.', '10.0.0.5', '192.168.1.']));
    expect(result.changes.filter((c) => c.kind === 'delete-relay')).toHaveLength(3);
    expect(result.policyBreaches).toEqual([{ kind: 'loopback-relay', address: '127.' }]);
    expect(result.thresholdExemptions).toEqual([
      { subject: 'relay rules', live: 3, affected: 3, percent: 100, limit: 30, minimum: 10 },
    ]);
  });

  it('127.0.0.1 is a loopback rule too; other 127 rules and a dropped second copy of 127. are not', () => {
    const exact = plan(desiredState([], { relay: relays('127.', '10.') }), withRelays(['127.', '127.0.0.1', '10.']));
    expect(exact.policyBreaches).toEqual([{ kind: 'loopback-relay', address: '127.0.0.1' }]);
    const other = plan(desiredState([], { relay: relays('127.', '10.') }), withRelays(['127.', '127.0.0.2', '10.']));
    expect(other.policyBreaches).toEqual([]);
    const copy = plan(desiredState([], { relay: relays('127.', '10.') }), withRelays(['127.', '10.', '127.']));
    expect(copy.changes).toContainEqual({ kind: 'delete-relay', address: '127.', line: 3 });
    expect(copy.policyBreaches).toEqual([]);
    expect(copy.thresholdExemptions).toEqual([]);
  });

  it('10 or more relay rules: over maxChangePercent is a breach', () => {
    const live = Array.from({ length: 10 }, (_, i) => `10.0.${i}.`);
    const kept = relays(...live.slice(0, 6));
    const result = plan(desiredState([], { relay: kept }), withRelays(live));
    expect(result.policyBreaches).toEqual([
      { kind: 'relay-percent', liveRules: 10, affectedRules: 4, percent: 40, limit: 30 },
    ]);
    expect(result.thresholdExemptions).toEqual([]);
    // 3 of 10 is exactly 30%: allowed; additions never count.
    const fine = plan(desiredState([], { relay: relays(...live.slice(0, 7), '172.16.') }), withRelays(live));
    expect(fine.policyBreaches).toEqual([]);
    expect(fine.thresholdExemptions).toEqual([]);
  });

  it('no relay: key, or policy.prune false, deletes no rule and breaches nothing', () => {
    const live = withRelays(['127.', '10.0.0.5']);
    expect(plan(desiredState([]), live).policyBreaches).toEqual([]);
    const kept = plan(desiredState([], { relay: [], policy: policy({ prune: false }) }), live);
    expect(kept.policyBreaches).toEqual([]);
    expect(kept.thresholdExemptions).toEqual([]);
  });
});

describe('policy.maxChanges', () => {
  const live = liveState([liveDomain(D, [liveUser(D, 'postmaster')])]);
  const adding = (n: number) =>
    desiredDomain(D, [desiredUser('postmaster'), ...Array.from({ length: n }, (_, i) => desiredUser(`new${i}`))]);

  it('counts adds, changes and deletes, not CDB rebuilds, against the cap', () => {
    const at = plan(desiredState([adding(3)], { policy: policy({ maxChanges: 3 }) }), live);
    expect(at.summary).toEqual({ add: 3, change: 0, delete: 0, move: 0, cdbRebuilds: 1 });
    expect(at.policyBreaches).toEqual([]);
    const over = plan(desiredState([adding(4)], { policy: policy({ maxChanges: 3 }) }), live);
    expect(over.policyBreaches).toEqual([{ kind: 'max-changes', changes: 4, limit: 3 }]);
  });

  it('has no default', () => {
    expect(plan(desiredState([adding(500)]), live).policyBreaches).toEqual([]);
  });

  it('comes first among the breaches', () => {
    const result = plan(
      desiredState([adding(2)], { relay: [], policy: policy({ maxChanges: 2 }) }),
      withRelaysAnd(live, ['127.']),
    );
    expect(result.policyBreaches).toEqual([
      { kind: 'max-changes', changes: 3, limit: 2 },
      { kind: 'loopback-relay', address: '127.' },
    ]);
  });
});

function withRelaysAnd(live: LiveState, addresses: string[]): LiveState {
  return { ...live, relay: withRelays(addresses).relay };
}
