import type { SourceLocation } from './diagnostic.js';
import type { PasswordSpec } from './password.js';
import type { NewDomainOwner } from './live-owner.js';

/** A forward as mailstate writes it: `&address` lines, plus the user's Maildir when a copy is kept. */
export interface Forward {
  to: string[];
  keepCopy: boolean;
}

/** The fields of a mail user that desired and live state share, in vpopmail's own terms. */
export interface UserFields {
  /** vpasswd field 5 (gecos). */
  comment: string;
  /** vpasswd field 7, canonical (see model/quota.ts). */
  quota: string;
  /** vpasswd field 4: the flag bitmask. */
  flags: number;
  forward?: Forward;
}

export interface DesiredUser extends UserFields {
  name: string;
  password: PasswordSpec;
  source: SourceLocation;
  /** `server:` of the user: the fleet server it lives on, whatever its domain's placement. */
  server?: string;
}

export interface DesiredAlias {
  name: string;
  to: string[];
  source: SourceLocation;
}

export interface DesiredDomain {
  name: string;
  users: Map<string, DesiredUser>;
  aliases: Map<string, DesiredAlias>;
  /** Alias domains (vaddaliasdomain) that must point at this domain. */
  aliasDomains: string[];
  source: SourceLocation;
  /** `server:` or `spread:` of the domain, as written; absent: the fleet's defaults.placement. */
  placement?: DomainPlacement;
}

/** Where a fleet domain lives: wholly on one server (its MX points there), or spread over all. */
export type DomainPlacement = { kind: 'server'; server: string } | { kind: 'spread' };

/** One server of `servers:`. */
export interface FleetServer {
  name: string;
  /** The host name the others hand it mail under: its users are `user@<domain>.<route>` there. */
  route: string;
  weight: number;
  vpopmailHome?: string;
  qmailHome?: string;
  source: SourceLocation;
}

/** `servers:` and `defaults.placement`: what every server needs to compute the same placement. */
export interface Fleet {
  /** Sorted by name. */
  servers: FleetServer[];
  defaultPlacement: DomainPlacement;
}

export interface DesiredRelay {
  address: string;
  source: SourceLocation;
}

export interface Policy {
  /** Delete live users and aliases that the YAML does not declare (in managed domains only). */
  prune: boolean;
  /** apply refuses when a domain of 10+ users (or 10+ relay rules) would lose or change more than this share. */
  maxChangePercent: number;
  /** apply refuses a plan of more adds, changes and deletes than this (CDB rebuilds not counted); none when absent. */
  maxChanges?: number;
  /** In a fleet: apply refuses when a domain of 10+ users would move more than this share of them between servers (default 10). */
  maxMovePercent?: number;
}

export interface DesiredState {
  vpopmailHome: string;
  qmailHome: string;
  policy: Policy;
  /** undefined: `relay:` absent, tcp.smtp is not managed at all. */
  relay?: DesiredRelay[];
  domains: Map<string, DesiredDomain>;
  /** Every file the state was read from (the main file first), for messages and digests. */
  files: string[];
  /** Bases of domains made with `vadddomain -d` that the operator allows (`--domain-base`); never from the YAML. */
  domainBases?: string[];
  /** Set by `--domain`: the state was cut down to the domains matching these patterns. */
  targets?: Targets;
  /** `servers:`: the YAML describes a fleet (absent for a single server). */
  fleet?: Fleet;
  /** Set by `--server`: the state was cut down to this server's share of the fleet. */
  share?: ServerShareInfo;
}

/** What `--server NAME` made of a fleet's desired state (see fleet/share.ts). */
export interface ServerShareInfo {
  server: string;
  /** Declared domains that live wholly on other servers: unmanaged here, never read or touched. */
  elsewhere: string[];
  /** Users of this server's domains that live on another server: a forward to it here, by domain. */
  remoteUsers: Map<string, Map<string, RemoteUser>>;
  /** Every server of the fleet: its route, and its vpopmail home as the YAML gives it (for the copy command of a move). */
  servers: Array<{ name: string; route: string; vpopmailHome: string }>;
}

/** A user of a domain this server holds who lives on another server. */
export interface RemoteUser {
  name: string;
  server: string;
  /** The address the forward here delivers to: `user@<domain>.<route of its server>`. */
  address: string;
}

/** What `--domain PATTERN` left of the desired state, for a plan to say it is partial. */
export interface Targets {
  patterns: string[];
  /** Declared domains that match no pattern: not planned, not read, not touched. */
  leftOut: string[];
  /** The YAML manages relay rules, which a partial plan leaves out. */
  relayLeftOut: boolean;
}

/** Where a live forward lives: the seed's domain-level `.qmail-<user>`, or qmailadmin's `<dir>/.qmail`. */
export type ForwardStyle = 'domain' | 'user';

export interface LiveForward extends Forward {
  style: ForwardStyle;
  file: string;
}

export interface LiveUser extends UserFields {
  name: string;
  password: LivePassword;
  /** vpasswd field 3 (1 = POP, 2 = APOP): preserved, never interpreted. */
  apop: string;
  /** vpasswd field 6: the absolute user directory, possibly in a hashed subdirectory. */
  dir: string;
  /** vpasswd field 7 as stored, before canonicalisation. */
  quotaRaw: string;
  forward?: LiveForward;
  /** 1-based line in vpasswd. */
  line: number;
}

/**
 * A live user's password, as far as the state it comes from can say: the server's vpasswd holds
 * the hash (field 2) and, on builds that keep them, the clear text (field 8; absent when the line
 * has 7 fields); a snapshot holds only a keyed digest of the hash (HMAC-SHA256 under the server's
 * mailstate.key, hex); a base revision of the YAML (plan --base) holds the password as that
 * revision declared it, compared by reference. The planner compares each its own way
 * (plan/password.ts).
 */
export type LivePassword =
  | { kind: 'vpasswd'; hash: string; clear?: string }
  | { kind: 'digest'; digest: string }
  | { kind: 'declared'; spec: PasswordSpec };

export interface LiveAlias {
  name: string;
  to: string[];
  file: string;
}

/** Live objects mailstate cannot express; they are reported, never rewritten or deleted. */
export interface UnmanagedObject {
  domain?: string;
  kind:
    | 'catch-all'
    | 'program-delivery'
    | 'dot-qmail'
    | 'user-dot-qmail'
    | 'user'
    | 'relay-rule'
    | 'alias-domain'
    | 'domain';
  name: string;
  file: string;
  reason: string;
  /** Absolute paths the object delivers into (a `.qmail` file's Maildir and file lines, program arguments). */
  deliversInto?: string[];
}

export type CdbFreshness =
  | { state: 'fresh' }
  | { state: 'stale'; detail: string }
  | { state: 'missing' }
  | { state: 'corrupt'; detail: string };

/** A vpasswd line that names a user but could not be read (too few fields, bad flags). */
export interface MalformedVpasswdLine {
  /** The text before the first ":" (the whole line without one): the cdb key, and what a rewrite matches. */
  name: string;
  /** 1-based line in vpasswd. */
  line: number;
}

/** A vpasswd user whose directory is not of vpopmail's shape inside its domain: left alone, never touched. */
export interface UnsafeVpasswdUser {
  name: string;
  /** 1-based line in vpasswd. */
  line: number;
  reason: string;
}

export interface LiveDomain {
  name: string;
  dir: string;
  uid: number;
  gid: number;
  /** In vpasswd file order. */
  users: Map<string, LiveUser>;
  aliases: Map<string, LiveAlias>;
  aliasDomains: string[];
  /** True when vpasswd lines carry the 8th (clear-text) field: the build keeps clear passwords. */
  clearPasswords: boolean;
  vpasswdExists: boolean;
  /**
   * vpasswd lines the reader skipped: their users are invisible here but still have a line (and a
   * cdb record, maybe a directory), so the planner refuses to add, change or delete those names.
   * Absent when there are none.
   */
  malformedVpasswdLines?: MalformedVpasswdLine[];
  /**
   * Users whose vpasswd directory lies outside their own place in the domain (see
   * model/live-paths.ts): not in `users`, so nothing plans against them; a declared one refuses
   * the plan. Absent when there are none.
   */
  unsafeUsers?: UnsafeVpasswdUser[];
  cdb: CdbFreshness;
  unmanaged: UnmanagedObject[];
}

/** One line of ~vpopmail/etc/tcp.smtp: a managed relay rule, or any other line kept verbatim. */
export type TcpRulesLine =
  | { kind: 'relay'; address: string; line: number; text: string }
  | { kind: 'other'; text: string; line: number };

export interface LiveRelay {
  file: string;
  exists: boolean;
  lines: TcpRulesLine[];
  /** tcp.smtp.cdb is missing or older than tcp.smtp. */
  cdbStale: boolean;
}

export interface LiveState {
  vpopmailHome: string;
  qmailHome: string;
  /** Every domain qmail knows from users/assign, read in detail or not: name -> real domain (itself unless an alias domain). */
  assignDomains: Map<string, string>;
  /** The domains read in detail (all, or those asked for). */
  domains: Map<string, LiveDomain>;
  relay: LiveRelay;
  unmanaged: UnmanagedObject[];
  /**
   * Domains of users/assign that users/cdb, which qmail actually reads, does not route as assign
   * says (missing or different record): qmail does not deliver to them as vpopmail domains.
   */
  usersCdbOutOfDate?: string[];
  /** Whose a domain added now would be (absent in a state not read from a server, e.g. a snapshot). */
  newDomainOwner?: NewDomainOwner;
}
