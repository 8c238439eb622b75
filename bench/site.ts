/**
 * Synthetic vpopmail sites for the benchmark: pure data, deterministic for a given seed, shaped
 * like a real server (vpasswd lines as vpopmail 5.6 writes them, realistic names, a mix of
 * quotas, comments, flags, forwards and aliases). The tree and the YAML are written from this.
 */
import { NOQUOTA } from '../src/model/quota.js';

export interface SiteUser {
  name: string;
  hash: string;
  /** vpasswd field 8: vpopmail's default build keeps the clear text. */
  clear: string;
  comment: string;
  /** vpasswd field 7, canonical. */
  quota: string;
  flags: number;
  forward?: { to: string[]; keepCopy: boolean; style: 'domain' | 'user' };
}

export interface SiteAlias {
  name: string;
  to: string[];
}

export interface SiteDomain {
  name: string;
  /** In creation (vadduser) order, postmaster first: that order decides the hashed directories. */
  users: SiteUser[];
  aliases: SiteAlias[];
}

export interface Site {
  domains: SiteDomain[];
  relay: string[];
}

/** mulberry32: a tiny seeded generator, so every run builds the same site. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CRYPT_CHARS = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SYLLABLES = [
  'an',
  'be',
  'ca',
  'do',
  'el',
  'fi',
  'ga',
  'ho',
  'is',
  'ja',
  'ko',
  'lu',
  'ma',
  'ne',
  'ol',
  'pa',
  'ri',
  'sa',
  'to',
  'ur',
  'va',
  'wi',
  'xe',
  'yo',
  'zu',
  'mar',
  'len',
  'tin',
  'son',
  'ber',
];
const QUOTAS = [50, 100, 250, 500, 1024, 2048].map((mb) => `${mb * 1024 * 1024}S`);

export class Generator {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = random(seed);
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }

  word(syllables: number): string {
    let out = '';
    for (let i = 0; i < syllables; i++) out += this.pick(SYLLABLES);
    return out;
  }

  chars(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += CRYPT_CHARS[this.int(64)];
    return out;
  }

  /** A SHA-512 crypt string as vpopmail's vadduser stores it: 8-character salt, 86-character hash. */
  hash(): string {
    return `$6$${this.chars(8)}$${this.chars(86)}`;
  }

  /** A user as vadduser leaves it plus what an admin typically sets: quota, a real name, flags. */
  user(name: string): SiteUser {
    const first = this.word(2);
    const roll = this.next();
    return {
      name,
      hash: this.hash(),
      clear: this.chars(10),
      comment: this.next() < 0.7 ? `${capital(first)} ${capital(this.word(3))}` : name,
      quota: roll < 0.5 ? NOQUOTA : roll < 0.9 ? this.pick(QUOTAS) : `${this.pick(QUOTAS)},10000C`,
      flags: this.next() < 0.05 ? 0x0c : 0,
    };
  }

  /** Distinct user names such as `mar.tinson4`, none of them `postmaster`. */
  userNames(count: number, taken: ReadonlySet<string> = new Set()): string[] {
    const names = new Set<string>();
    while (names.size < count) {
      const base = `${this.word(1 + this.int(2))}.${this.word(2 + this.int(2))}`;
      const name = this.next() < 0.3 ? `${base}${this.int(100)}` : base;
      if (!taken.has(name) && !names.has(name)) names.add(name);
    }
    return [...names];
  }
}

function capital(word: string): string {
  return word[0]!.toUpperCase() + word.slice(1);
}

export interface DomainShape {
  name: string;
  users: number;
}

/**
 * One domain: postmaster plus `users - 1` users, 2 % of them forwarding (a fifth of those the
 * qmailadmin way, in `<dir>/.qmail`), and one alias per 100 users.
 */
export function makeDomain(gen: Generator, shape: DomainShape): SiteDomain {
  const postmaster: SiteUser = { ...gen.user('postmaster'), comment: 'Postmaster', quota: NOQUOTA, flags: 0 };
  const users = [postmaster, ...gen.userNames(shape.users - 1, new Set(['postmaster'])).map((name) => gen.user(name))];
  for (const user of users) {
    if (user.name === 'postmaster' || gen.next() >= 0.02) continue;
    const to = [`${gen.word(2)}@${gen.word(2)}.example.org`];
    if (gen.next() < 0.3) to.push(`${gen.word(2)}@${gen.word(2)}.example.net`);
    user.forward = { to, keepCopy: gen.next() < 0.5, style: gen.next() < 0.2 ? 'user' : 'domain' };
  }
  const names = new Set(users.map((user) => user.name));
  const aliases: SiteAlias[] = [];
  const aliasCount = Math.max(1, Math.floor(shape.users / 100));
  while (aliases.length < aliasCount) {
    const name = `team-${gen.word(2)}${aliases.length}`;
    if (names.has(name)) continue;
    names.add(name);
    const to = Array.from({ length: 1 + gen.int(3) }, () => `${gen.pick(users).name}@${shape.name}`);
    aliases.push({ name, to: [...new Set(to)] });
  }
  return { name: shape.name, users, aliases };
}

/** `count` domains of `usersEach` users, named like `mar0042.example.com`. */
export function makeSite(seed: number, count: number, usersEach: number): Site {
  const gen = new Generator(seed);
  const domains: SiteDomain[] = [];
  for (let i = 0; i < count; i++) {
    domains.push(
      makeDomain(gen, { name: `${gen.word(2)}${String(i).padStart(4, '0')}.example.com`, users: usersEach }),
    );
  }
  return { domains, relay: ['127.', '10.1.', '192.168.7.'] };
}

/** What a change scenario does to one domain: users added, modified, deleted. */
export interface ChangeSet {
  add: SiteUser[];
  modify: SiteUser[];
  delete: string[];
}

/**
 * The domain as the desired state after `changes`: `modify` of the existing users (quota,
 * comment or flags changed, a third each), `delete` of others, `add` new users with hashes.
 */
export function changeDomain(
  seed: number,
  domain: SiteDomain,
  counts: { add: number; modify: number; delete: number },
): { domain: SiteDomain; changes: ChangeSet } {
  const gen = new Generator(seed);
  const candidates = domain.users.filter((user) => user.name !== 'postmaster' && !user.forward);
  const chosen = new Set<number>();
  while (chosen.size < counts.modify + counts.delete) chosen.add(gen.int(candidates.length));
  const [modifyIdx, deleteIdx] = [[...chosen].slice(0, counts.modify), [...chosen].slice(counts.modify)];
  const deleted = new Set(deleteIdx.map((i) => candidates[i]!.name));
  const modified = new Map<string, SiteUser>();
  for (const [n, i] of modifyIdx.entries()) {
    const user = candidates[i]!;
    const change =
      n % 3 === 0
        ? { quota: user.quota === QUOTAS[0] ? QUOTAS[1]! : QUOTAS[0]! }
        : n % 3 === 1
          ? { comment: `${user.comment} Jr` }
          : { flags: user.flags ^ 0x20 };
    modified.set(user.name, { ...user, ...change });
  }
  const taken = new Set(domain.users.map((user) => user.name));
  const added = gen.userNames(counts.add, taken).map((name) => gen.user(name));
  const users = domain.users.filter((user) => !deleted.has(user.name)).map((user) => modified.get(user.name) ?? user);
  return {
    domain: { ...domain, users: [...users, ...added] },
    changes: { add: added, modify: [...modified.values()], delete: [...deleted] },
  };
}
