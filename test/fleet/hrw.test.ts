import fc from 'fast-check';
import murmurhash from 'murmurhash';
import { describe, expect, it } from 'vitest';
import { balanceMargin, distribution, worstExcess } from '../../src/fleet/balance.js';
import { hrwPlace, hrwRing, hrwScores, type HrwServer } from '../../src/fleet/hrw.js';

const equal = (k: number): HrwServer[] => Array.from({ length: k }, (_, i) => ({ name: `mx${i + 1}`, weight: 1 }));
const keys = (n: number, domains = 1000) =>
  Array.from({ length: n }, (_, i) => `user${i}@domain${i % domains}.example`);

function counts(servers: readonly HrwServer[], all: readonly string[]): Map<string, number> {
  const ring = hrwRing(servers);
  const out = new Map<string, number>();
  for (const key of all) {
    const server = hrwPlace(ring, key);
    out.set(server, (out.get(server) ?? 0) + 1);
  }
  return out;
}

describe('weighted rendezvous placement (issue 14)', () => {
  it('is MurmurHash3 x86_32 of the UTF-8 key, and places these users where they have always been placed', () => {
    // The reference vectors of MurmurHash3: a different hash would move every user of a fleet.
    expect(murmurhash.v3('hello', 0)).toBe(613153351);
    expect(murmurhash.v3('', 0)).toBe(0);
    // Pinned: if these ever change, every user of every fleet moves on upgrade.
    const ring = hrwRing(equal(3));
    const users = [
      'alice@example.com',
      'bob@example.com',
      'carol@example.org',
      'dave@example.net',
      'erin@example.com',
      'frank@example.com',
    ];
    expect(users.map((key) => hrwPlace(ring, key))).toEqual(['mx3', 'mx1', 'mx1', 'mx2', 'mx1', 'mx2']);
    expect(hrwScores(ring, 'alice@example.com').map((s) => s.server)[0]).toBe('mx3');
    expect(hrwScores(ring, 'alice@example.com')).toHaveLength(3);
  });

  it('puts a key on the same server whatever the order the servers are declared in', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.shuffledSubarray(equal(6), { minLength: 6 }),
        (key, order) => {
          expect(hrwPlace(hrwRing(order), key)).toBe(hrwPlace(hrwRing(equal(6)), key));
        },
      ),
    );
  });

  it('is even: 10,000 users over 4 servers within 5 % of the fair share, 1,000,000 over 10 within 1 %', () => {
    expect(balanceMargin(10_000)).toBe(5);
    expect(balanceMargin(1_000_000)).toBe(1);
    const small = distribution(equal(4), counts(equal(4), keys(10_000)));
    expect(small.map((row) => row.fairShare)).toEqual([2500, 2500, 2500, 2500]);
    expect(worstExcess(small)).toBeLessThanOrEqual(5);
    const large = distribution(equal(10), counts(equal(10), keys(1_000_000)));
    expect(large.reduce((sum, row) => sum + row.users, 0)).toBe(1_000_000);
    expect(worstExcess(large)).toBeLessThanOrEqual(1);
  });

  it('honours weights within the same margins', () => {
    const weighted: HrwServer[] = [
      { name: 'small', weight: 1 },
      { name: 'medium', weight: 2 },
      { name: 'large', weight: 3 },
    ];
    const small = distribution(weighted, counts(weighted, keys(10_000)));
    expect(small.map((row) => Math.round(row.fairShare))).toEqual([1667, 3333, 5000]);
    expect(Math.max(...small.map((row) => Math.abs(row.deviationPercent)))).toBeLessThanOrEqual(5);
    const large = distribution(weighted, counts(weighted, keys(1_000_000)));
    expect(Math.max(...large.map((row) => Math.abs(row.deviationPercent)))).toBeLessThanOrEqual(1);
  });

  it('adding a fourth server moves only the users it now takes, about a quarter; removing it moves them back', () => {
    const all = keys(10_000);
    const three = hrwRing(equal(3));
    const four = hrwRing(equal(4));
    const moved = all.filter((key) => hrwPlace(three, key) !== hrwPlace(four, key));
    expect(moved.every((key) => hrwPlace(four, key) === 'mx4')).toBe(true);
    expect(moved.length / all.length).toBeGreaterThan(0.25 * 0.95);
    expect(moved.length / all.length).toBeLessThan(0.25 * 1.05);
    // Removing a server moves its own users alone.
    const withoutTwo = hrwRing(equal(4).filter((server) => server.name !== 'mx2'));
    const movedOff = all.filter((key) => hrwPlace(four, key) !== hrwPlace(withoutTwo, key));
    expect(movedOff.every((key) => hrwPlace(four, key) === 'mx2')).toBe(true);
  });
});
