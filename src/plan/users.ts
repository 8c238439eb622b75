import type { Change, UserFieldChange, UserTarget } from '../model/change.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { KNOWN_FLAG_MASK } from '../model/flags.js';
import type { DesiredDomain, DesiredUser, LiveDomain, LiveUser, Policy, UnmanagedObject } from '../model/state.js';
import type { DomainChanges } from './domain-changes.js';
import { diffPassword, NOT_COMPARABLE, type PasswordComparison } from './password.js';

/** postmaster is never deleted: vpopmail and RFC 5321 both expect it to exist. */
export const PROTECTED_USER = 'postmaster';

export interface UserDiffContext {
  domain: DesiredDomain;
  live: LiveDomain | undefined;
  policy: Policy;
  archiveParent: string;
  buckets: DomainChanges;
  unmanaged: UnmanagedObject[];
  diagnostics: Diagnostic[];
  passwords?: PasswordComparison;
}

function target(user: DesiredUser, liveFlags: number): UserTarget {
  // Bits vpopmail does not define belong to someone else: keep them.
  const foreignBits = liveFlags & ~KNOWN_FLAG_MASK;
  return { name: user.name, comment: user.comment, quota: user.quota, flags: user.flags | foreignBits };
}

/**
 * Refuses a user whose name is on a vpasswd line the reader could not read. Such a user is not in
 * the live state, yet vpopmail still has its line (and a cdb record, maybe its mailbox): an add
 * would write a second line for the name, and a change or a deletion would rewrite or drop a line
 * nobody has looked at. Someone has to fix that line by hand first.
 */
function refuseMalformed(ctx: UserDiffContext, name: string, declared?: DesiredUser): boolean {
  const malformed = ctx.live?.malformedVpasswdLines?.find((m) => m.name === name);
  if (!malformed) return false;
  const what = declared
    ? `user "${name}@${ctx.domain.name}" is declared${declared.source.line === undefined ? '' : ` (${declared.source.file}:${declared.source.line})`}`
    : `user "${name}@${ctx.domain.name}" would be deleted`;
  ctx.diagnostics.push({
    severity: 'error',
    code: 'vpasswd-malformed-user',
    message: `${what}, but vpasswd line ${malformed.line} for ${JSON.stringify(name)} cannot be read: fix or remove that line by hand first (mailstate will not write a second line for the same user)`,
    file: `${ctx.live!.dir}/vpasswd`,
    line: malformed.line,
  });
  return true;
}

/**
 * Refuses a declared user whose vpasswd line gives it a directory outside its own place in the
 * domain (model/live-paths.ts). Anything planned for it (an archive, a maildirsize, a forward
 * keeping a copy) would act, as root, on the path that line names; an undeclared one is only
 * listed as left alone.
 */
function refuseUnsafe(ctx: UserDiffContext, declared: DesiredUser): boolean {
  const unsafe = ctx.live?.unsafeUsers?.find((u) => u.name === declared.name);
  if (!unsafe) return false;
  const where = declared.source.line === undefined ? '' : ` (${declared.source.file}:${declared.source.line})`;
  ctx.diagnostics.push({
    severity: 'error',
    code: 'vpasswd-unsafe-user',
    message: `user "${declared.name}@${ctx.domain.name}" is declared${where}, but ${unsafe.reason}: fix that line by hand first (vmoduser -D, or the line itself)`,
    file: `${ctx.live!.dir}/vpasswd`,
    line: unsafe.line,
  });
  return true;
}

export function diffUsers(ctx: UserDiffContext): void {
  const liveUsers = ctx.live?.users ?? new Map<string, LiveUser>();
  const clearPasswords = ctx.live?.clearPasswords ?? false;
  for (const user of sortedValues(ctx.domain.users)) {
    if (refuseMalformed(ctx, user.name, user)) continue;
    if (refuseUnsafe(ctx, user)) continue;
    const live = liveUsers.get(user.name);
    if (!live) {
      addUser(ctx, user);
      continue;
    }
    const after = target(user, live.flags);
    const fields: UserFieldChange[] = [];
    const password = diffPassword(user.password, live, clearPasswords, ctx.passwords);
    fields.push(...password.fields);
    if (password.notComparable) {
      ctx.diagnostics.push({
        severity: 'warning',
        code: 'password-not-comparable',
        message: `user "${user.name}@${ctx.domain.name}": password ${NOT_COMPARABLE}: ${password.notComparable}`,
        ...user.source,
      });
    }
    if (live.comment !== after.comment) fields.push({ field: 'comment', before: live.comment, after: after.comment });
    if (live.quota !== after.quota) fields.push({ field: 'quota', before: live.quota, after: after.quota });
    if (live.flags !== after.flags) fields.push({ field: 'flags', before: live.flags, after: after.flags });
    if (fields.length === 0) continue;
    ctx.buckets.userModifications.push({
      kind: 'modify-user',
      domain: ctx.domain.name,
      name: user.name,
      fields,
      after,
      ...(password.material ? { password: password.material } : {}),
    });
  }

  for (const live of sortedValues(liveUsers)) {
    if (ctx.domain.users.has(live.name)) continue;
    if (live.name === PROTECTED_USER) {
      ctx.unmanaged.push({
        domain: ctx.domain.name,
        kind: 'user',
        name: live.name,
        file: live.dir,
        reason: 'postmaster is protected: never deleted',
      });
      continue;
    }
    if (!ctx.policy.prune) {
      ctx.unmanaged.push({
        domain: ctx.domain.name,
        kind: 'user',
        name: live.name,
        file: live.dir,
        reason: 'not declared (policy.prune is false)',
      });
      continue;
    }
    // vdeluser and the files driver remove every line of the name, the unreadable one too.
    if (refuseMalformed(ctx, live.name)) continue;
    if (live.forward?.style === 'domain') {
      // vdeluser leaves .qmail-<user> behind, where it would turn into an alias: remove it first.
      ctx.buckets.removals.push({
        kind: 'delete-forward',
        domain: ctx.domain.name,
        name: live.name,
        before: forwardOf(live),
        file: live.forward.file,
      });
    }
    ctx.buckets.userDeletions.push({
      kind: 'delete-user',
      domain: ctx.domain.name,
      name: live.name,
      dir: live.dir,
      archiveParent: ctx.archiveParent,
    });
    warnOfDeliveriesInto(ctx, live);
  }
}

/**
 * A `.qmail` file mailstate leaves alone may still deliver into a mailbox the plan archives (an
 * alias with a Maildir line, a catch-all handing mail to it). Nothing is lost at once: qmail keeps
 * such mail queued and bounces it when the queue lifetime ends. The reviewer must hear of it.
 */
function warnOfDeliveriesInto(ctx: UserDiffContext, user: LiveUser): void {
  const dir = user.dir.replace(/\/+$/, '');
  for (const object of ctx.live?.unmanaged ?? []) {
    const path = object.deliversInto?.find((p) => p === dir || p.startsWith(`${dir}/`));
    if (path === undefined) continue;
    ctx.diagnostics.push({
      severity: 'warning',
      code: 'archived-mailbox-still-delivered',
      message: `user "${user.name}@${ctx.domain.name}" is deleted, but this file, which mailstate leaves alone, delivers into ${path}: once the mailbox is archived, that mail stays in qmail's queue and bounces when it expires; change the file by hand`,
      file: object.file,
    });
  }
}

function addUser(ctx: UserDiffContext, user: DesiredUser): void {
  const password = user.password;
  if (password.kind !== 'hash' && password.kind !== 'clear') {
    ctx.diagnostics.push({
      severity: 'error',
      code: password.kind === 'secret' ? 'secret-unresolved' : 'password-required',
      message: `user "${user.name}@${ctx.domain.name}" does not exist yet: give it a password (a crypt hash, { env: NAME } or { file: path })`,
      ...user.source,
    });
    return;
  }
  ctx.buckets.userAdditions.push({ kind: 'add-user', domain: ctx.domain.name, user: target(user, 0), password });
}

function forwardOf(live: LiveUser) {
  return { to: live.forward?.to ?? [], keepCopy: live.forward?.keepCopy ?? false };
}

export function sortedValues<T>(map: ReadonlyMap<string, T>): T[] {
  return [...map.keys()].sort().map((key) => map.get(key)!);
}

/** How many users a domain's changes touch, for the safety threshold. */
export function affectedUserCount(changes: readonly Change[]): number {
  const names = new Set<string>();
  for (const change of changes) {
    if (change.kind === 'modify-user' || change.kind === 'delete-user') names.add(change.name);
  }
  return names.size;
}
