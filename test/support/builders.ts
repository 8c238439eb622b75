import type {
  DesiredDomain,
  DesiredState,
  DesiredUser,
  LiveDomain,
  LiveState,
  LiveUser,
} from '../../src/model/state.js';
import { NOQUOTA } from '../../src/model/quota.js';

export const HOME = '/home/vpopmail';
/** A real SHA-512 hash from the golden corpus (`openssl passwd -6 -salt abcdefgh secret6`). */
export const HASH_SECRET6 =
  '$6$abcdefgh$xCmU6eXePqd8uT3.jYlk3Fgv/roflqiCi/twHrvHhPTT4qT0rTqu/3ZTFEf6uqFcl7eKyk81ngZEadU/ehEy51';
/** The golden `$1$` hash of `secret1`. */
export const HASH_SECRET1 = '$1$abcdefgh$ywpTNDTYPzAT3Ohgseebp/';

export function desiredUser(name: string, overrides: Partial<DesiredUser> = {}): DesiredUser {
  return {
    name,
    password: { kind: 'hash', hash: HASH_SECRET6 },
    comment: name === 'postmaster' ? 'Postmaster' : name,
    quota: NOQUOTA,
    flags: 0,
    source: { file: 'mailstate.yaml', line: 1, col: 1 },
    ...overrides,
  };
}

/** A live user read from vpasswd; `hash` and `clear` are its vpasswd fields 2 and 8. */
export function liveUser(
  domain: string,
  name: string,
  {
    hash = HASH_SECRET6,
    clear = '',
    ...overrides
  }: Partial<LiveUser> & { hash?: string; clear?: string | undefined } = {},
): LiveUser {
  return {
    name,
    password: { kind: 'vpasswd', hash, ...(clear === undefined ? {} : { clear }) },
    apop: '1',
    flags: 0,
    comment: name === 'postmaster' ? 'Postmaster' : name,
    dir: `${HOME}/domains/${domain}/${name}`,
    quota: NOQUOTA,
    quotaRaw: NOQUOTA,
    line: 1,
    ...overrides,
  };
}

export function desiredDomain(name: string, users: DesiredUser[], extra: Partial<DesiredDomain> = {}): DesiredDomain {
  return {
    name,
    users: new Map(users.map((u) => [u.name, u])),
    aliases: new Map(),
    aliasDomains: [],
    source: { file: 'mailstate.yaml', line: 1, col: 1 },
    ...extra,
  };
}

export function liveDomain(name: string, users: LiveUser[], extra: Partial<LiveDomain> = {}): LiveDomain {
  return {
    name,
    dir: `${HOME}/domains/${name}`,
    uid: 89,
    gid: 89,
    users: new Map(users.map((u) => [u.name, u])),
    aliases: new Map(),
    aliasDomains: [],
    clearPasswords: true,
    vpasswdExists: true,
    cdb: { state: 'fresh' },
    unmanaged: [],
    ...extra,
  };
}

export function desiredState(domains: DesiredDomain[], extra: Partial<DesiredState> = {}): DesiredState {
  return {
    vpopmailHome: HOME,
    qmailHome: '/var/qmail',
    policy: { prune: true, maxChangePercent: 30 },
    domains: new Map(domains.map((d) => [d.name, d])),
    files: ['mailstate.yaml'],
    ...extra,
  };
}

export function liveState(domains: LiveDomain[], extra: Partial<LiveState> = {}): LiveState {
  return {
    vpopmailHome: HOME,
    qmailHome: '/var/qmail',
    assignDomains: new Map(domains.map((d) => [d.name, d.name])),
    domains: new Map(domains.map((d) => [d.name, d])),
    relay: { file: `${HOME}/etc/tcp.smtp`, exists: true, lines: [], cdbStale: false },
    unmanaged: [],
    ...extra,
  };
}
