import { relayRuleLine } from '../formats/tcp-rules.js';
import { dotQmailFileName } from '../model/names.js';
import type { PasswordSpec } from '../model/password.js';
import type { DesiredDomain, DesiredState, LiveDomain, LiveState, LiveUser, TcpRulesLine } from '../model/state.js';

/** uid/gid do not take part in a plan; vpopmail's usual ids are shown where anything shows them. */
const VPOPMAIL_ID = 89;

function liveUsers(domain: DesiredDomain, dir: string): Map<string, LiveUser> {
  const users = new Map<string, LiveUser>();
  let line = 0;
  for (const user of domain.users.values()) {
    const userDir = `${dir}/${user.name}`;
    users.set(user.name, {
      name: user.name,
      password: { kind: 'declared', spec: user.password },
      apop: '1',
      flags: user.flags,
      comment: user.comment,
      quota: user.quota,
      quotaRaw: user.quota,
      dir: userDir,
      line: ++line,
      ...(user.forward
        ? { forward: { ...user.forward, style: 'domain' as const, file: `${dir}/${dotQmailFileName(user.name)}` } }
        : {}),
    });
  }
  return users;
}

function liveDomain(domain: DesiredDomain, vpopmailHome: string): LiveDomain {
  const dir = `${vpopmailHome}/domains/${domain.name}`;
  return {
    name: domain.name,
    dir,
    uid: VPOPMAIL_ID,
    gid: VPOPMAIL_ID,
    users: liveUsers(domain, dir),
    aliases: new Map(
      [...domain.aliases.values()].map((alias) => [
        alias.name,
        { name: alias.name, to: alias.to, file: `${dir}/${dotQmailFileName(alias.name)}` },
      ]),
    ),
    aliasDomains: [...domain.aliasDomains],
    clearPasswords: false,
    vpasswdExists: true,
    cdb: { state: 'fresh' },
    unmanaged: [],
  };
}

/**
 * A desired state seen as the live state it would leave on a server: what `plan --base REF` diffs
 * the working tree against, so "what does this pull request change" is an ordinary plan. Pure.
 * Paths follow vpopmail's default layout (no hashed subdirectories); passwords are carried as the
 * base declared them and compare by reference (plan/password.ts); nothing is stale; relay rules
 * exist only when the base manages them.
 */
export function liveFromDesired(base: DesiredState): LiveState {
  const assignDomains = new Map<string, string>();
  const domains = new Map<string, LiveDomain>();
  for (const domain of base.domains.values()) {
    assignDomains.set(domain.name, domain.name);
    for (const alias of domain.aliasDomains) assignDomains.set(alias, domain.name);
    domains.set(domain.name, liveDomain(domain, base.vpopmailHome));
  }
  const lines: TcpRulesLine[] = (base.relay ?? []).map((relay, index) => ({
    kind: 'relay',
    address: relay.address,
    line: index + 1,
    text: relayRuleLine(relay.address),
  }));
  return {
    vpopmailHome: base.vpopmailHome,
    qmailHome: base.qmailHome,
    assignDomains,
    domains,
    relay: { file: `${base.vpopmailHome}/etc/tcp.smtp`, exists: base.relay !== undefined, lines, cdbStale: false },
    unmanaged: [],
  };
}

/**
 * Secrets a plan against a snapshot or a base revision does not read (CI has no access to them, and a digest could
 * not check them anyway): each `{ env }`/`{ file }` password becomes a clear text that is never
 * read, carrying only its source. Such a state is for planning only and must never reach apply.
 */
export function withUnreadSecrets(desired: DesiredState): DesiredState {
  const domains = new Map<string, DesiredDomain>();
  for (const [name, domain] of desired.domains) {
    const users = new Map(
      [...domain.users].map(([userName, user]) => [userName, { ...user, password: unread(user.password) }]),
    );
    domains.set(name, { ...domain, users });
  }
  return { ...desired, domains };
}

function unread(spec: PasswordSpec): PasswordSpec {
  return spec.kind === 'secret' ? { kind: 'clear', clear: '', source: spec.source } : spec;
}
