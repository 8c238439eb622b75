import murmurhash from 'murmurhash';

/**
 * Weighted rendezvous (highest-random-weight) hashing. Every server scores every key; the key
 * lives on the best score. A key's server depends only on the key and the set of servers, never
 * on the other keys, so adding or removing a user moves no one else, and adding a server moves
 * only the keys it now wins (its weight's share). No state file: every watcher computes the same
 * answer from the same commit.
 *
 * The score is Resch's weighted form, weight / -ln(u), with u in (0, 1) from MurmurHash3 (x86,
 * 32 bit) of the key's UTF-8 bytes seeded with the hash of the server's name. These choices are
 * part of the placement: changing any of them moves users, so they are fixed (test/fleet/hrw.test.ts
 * pins the servers of six users).
 */

export interface HrwServer {
  name: string;
  /** A positive number: a server of weight 2 takes twice the keys of one of weight 1. */
  weight: number;
}

export interface Scored {
  server: string;
  score: number;
}

const TWO_32 = 2 ** 32;
const utf8 = new TextEncoder();

/** A set of servers with their seeds, ready to place many keys. */
export interface HrwRing {
  readonly servers: readonly HrwServer[];
  readonly seeds: readonly number[];
}

export function hrwRing(servers: readonly HrwServer[]): HrwRing {
  // Sorted by name, so ties (astronomically rare) go to the same server whatever the YAML order.
  const sorted = [...servers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { servers: sorted, seeds: sorted.map((server) => murmurhash.v3(server.name, 0)) };
}

function score(bytes: Uint8Array, seed: number, weight: number): number {
  const u = (murmurhash.v3(bytes, seed) + 0.5) / TWO_32;
  return weight / -Math.log(u);
}

/** The server a key lives on. */
export function hrwPlace(ring: HrwRing, key: string): string {
  const bytes = utf8.encode(key);
  let best = 0;
  let bestScore = -1;
  for (let i = 0; i < ring.servers.length; i++) {
    const s = score(bytes, ring.seeds[i]!, ring.servers[i]!.weight);
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  }
  return ring.servers[best]!.name;
}

/** Every server's score for a key, best first: what `place --explain` shows. */
export function hrwScores(ring: HrwRing, key: string): Scored[] {
  const bytes = utf8.encode(key);
  return ring.servers
    .map((server, i) => ({ server: server.name, score: score(bytes, ring.seeds[i]!, server.weight) }))
    .sort((a, b) => b.score - a.score);
}
