import type { Diagnostic, Result } from '../model/diagnostic.js';
import type {
  LiveAlias,
  LiveDomain,
  LiveForward,
  LiveRelay,
  LiveState,
  LiveUser,
  UnmanagedObject,
} from '../model/state.js';
import { validateSnapshotShape } from './schema.js';

/** Bumped on any incompatible change of the snapshot layout; documented in README. */
export const SNAPSHOT_VERSION = 1;

/** A live user as a snapshot holds it: every field the planner reads, the hash only as a keyed digest. */
export interface SnapshotUser {
  name: string;
  /** HMAC-SHA256(key, vpasswd field 2), hex. The clear-text field is never written, not even as a digest. */
  hashDigest: string;
  apop: string;
  flags: number;
  comment: string;
  quota: string;
  quotaRaw: string;
  dir: string;
  line: number;
  forward?: LiveForward;
}

/**
 * A live domain as a snapshot holds it: the same fields (so one added to LiveDomain must be
 * carried here too, or dropped on purpose in snapshotFromLive), with users and aliases as lists.
 */
export type SnapshotDomain = Omit<LiveDomain, 'users' | 'aliases'> & { users: SnapshotUser[]; aliases: LiveAlias[] };

/** The file `mailstate snapshot` writes: the live state as JSON, without a single password. */
export interface Snapshot {
  snapshotVersion: typeof SNAPSHOT_VERSION;
  createdAt: string;
  host: string;
  passwords: { digest: 'HMAC-SHA256'; keyId: string };
  vpopmailHome: string;
  qmailHome: string;
  /** users/assign: every domain qmail knows, and the real domain it belongs to. */
  assignDomains: Array<{ domain: string; realDomain: string }>;
  domains: SnapshotDomain[];
  relay: LiveRelay;
  unmanaged: UnmanagedObject[];
  /** Domains users/cdb does not route as users/assign says (optional: absent in older snapshots). */
  usersCdbOutOfDate?: string[];
  /** Warnings the live reader reported (a snapshot is never taken of a state that read with errors). */
  diagnostics: Diagnostic[];
}

export interface SnapshotMeta {
  createdAt: string;
  host: string;
  keyId: string;
}

/** A snapshot is taken of a server: its users' passwords are vpasswd's. */
function vpasswdHash(user: LiveUser): string {
  if (user.password.kind !== 'vpasswd')
    throw new Error(`internal error: a snapshot of ${user.name} whose password is not from vpasswd`);
  return user.password.hash;
}

function snapshotUser(user: LiveUser, digest: (hash: string) => string): SnapshotUser {
  return {
    name: user.name,
    hashDigest: digest(vpasswdHash(user)),
    apop: user.apop,
    flags: user.flags,
    comment: user.comment,
    quota: user.quota,
    quotaRaw: user.quotaRaw,
    dir: user.dir,
    line: user.line,
    ...(user.forward ? { forward: user.forward } : {}),
  };
}

/**
 * The live state as a snapshot: field by field, so nothing added to LiveUser later (the hash, the
 * clear text) can leak into it by accident.
 */
export function snapshotFromLive(
  live: LiveState,
  diagnostics: readonly Diagnostic[],
  digest: (hash: string) => string,
  meta: SnapshotMeta,
): Snapshot {
  return {
    snapshotVersion: SNAPSHOT_VERSION,
    createdAt: meta.createdAt,
    host: meta.host,
    passwords: { digest: 'HMAC-SHA256', keyId: meta.keyId },
    vpopmailHome: live.vpopmailHome,
    qmailHome: live.qmailHome,
    assignDomains: [...live.assignDomains].map(([domain, realDomain]) => ({ domain, realDomain })),
    domains: [...live.domains.values()].map((domain) => ({
      name: domain.name,
      dir: domain.dir,
      uid: domain.uid,
      gid: domain.gid,
      users: [...domain.users.values()].map((user) => snapshotUser(user, digest)),
      aliases: [...domain.aliases.values()],
      aliasDomains: domain.aliasDomains,
      clearPasswords: domain.clearPasswords,
      vpasswdExists: domain.vpasswdExists,
      ...(domain.malformedVpasswdLines
        ? { malformedVpasswdLines: domain.malformedVpasswdLines.map(({ name, line }) => ({ name, line })) }
        : {}),
      ...(domain.unsafeUsers
        ? { unsafeUsers: domain.unsafeUsers.map(({ name, line, reason }) => ({ name, line, reason })) }
        : {}),
      cdb: domain.cdb,
      unmanaged: domain.unmanaged,
    })),
    relay: live.relay,
    unmanaged: live.unmanaged,
    ...(live.usersCdbOutOfDate?.length ? { usersCdbOutOfDate: live.usersCdbOutOfDate } : {}),
    diagnostics: diagnostics.filter((d) => d.severity === 'warning'),
  };
}

export function renderSnapshot(snapshot: Snapshot): string {
  return `${JSON.stringify(snapshot, null, 2)}\n`;
}

function liveUser(user: SnapshotUser): LiveUser {
  return {
    name: user.name,
    password: { kind: 'digest', digest: user.hashDigest },
    apop: user.apop,
    flags: user.flags,
    comment: user.comment,
    quota: user.quota,
    quotaRaw: user.quotaRaw,
    dir: user.dir,
    line: user.line,
    ...(user.forward ? { forward: user.forward } : {}),
  };
}

function liveDomain(domain: SnapshotDomain): LiveDomain {
  return {
    ...domain,
    users: new Map(domain.users.map((user) => [user.name, liveUser(user)])),
    aliases: new Map(domain.aliases.map((alias) => [alias.name, alias])),
  };
}

/** Parses a snapshot file back into a LiveState whose users carry digests instead of hashes. */
export function parseSnapshot(text: string, file: string): Result<{ snapshot: Snapshot; live: LiveState }> {
  const fail = (message: string): Result<never> => ({
    ok: false,
    diagnostics: [{ severity: 'error', code: 'snapshot-invalid', message, file }],
  });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return fail(`not JSON: ${(error as Error).message}`);
  }
  const version = (data as { snapshotVersion?: unknown } | null)?.snapshotVersion;
  if (typeof data !== 'object' || data === null || version === undefined)
    return fail('not a mailstate snapshot (no snapshotVersion): make one with "mailstate snapshot -o FILE"');
  if (version !== SNAPSHOT_VERSION)
    return fail(
      `snapshotVersion ${JSON.stringify(version)} is not supported (this mailstate reads version ${SNAPSHOT_VERSION})`,
    );
  const problems = validateSnapshotShape(data);
  if (problems.length > 0) return fail(`not a valid snapshot: ${problems.slice(0, 3).join('; ')}`);
  const snapshot = data as Snapshot;
  const live: LiveState = {
    vpopmailHome: snapshot.vpopmailHome,
    qmailHome: snapshot.qmailHome,
    assignDomains: new Map(snapshot.assignDomains.map((entry) => [entry.domain, entry.realDomain])),
    domains: new Map(snapshot.domains.map((domain) => [domain.name, liveDomain(domain)])),
    relay: snapshot.relay,
    unmanaged: snapshot.unmanaged,
    ...(snapshot.usersCdbOutOfDate ? { usersCdbOutOfDate: snapshot.usersCdbOutOfDate } : {}),
  };
  return { ok: true, value: { snapshot, live }, diagnostics: [] };
}
