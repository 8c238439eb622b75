import type { Diagnostic, SourceLocation } from '../model/diagnostic.js';
import { dotQmailFileName } from '../model/names.js';
import type { DesiredDomain, Forward, LiveDomain, Policy, UnmanagedObject } from '../model/state.js';
import type { DomainChanges } from './domain-changes.js';
import { PROTECTED_USER, sortedValues } from './users.js';

export interface RedirectionContext {
  domain: DesiredDomain;
  live: LiveDomain | undefined;
  policy: Policy;
  buckets: DomainChanges;
  unmanaged: UnmanagedObject[];
  diagnostics: Diagnostic[];
}

/** Order of targets carries no meaning to qmail-local: every line is delivered. */
function sameTargets(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((target) => set.has(target));
}

function sameForward(a: Forward, b: Forward): boolean {
  return a.keepCopy === b.keepCopy && sameTargets(a.to, b.to);
}

/** A domain-level .qmail file mailstate cannot express stands in the way of a forward or alias. */
function blockingDotQmail(ctx: RedirectionContext, name: string): UnmanagedObject | undefined {
  const fileName = dotQmailFileName(name);
  return ctx.live?.unmanaged.find(
    (object) => object.kind !== 'user' && object.kind !== 'user-dot-qmail' && object.file.endsWith(`/${fileName}`),
  );
}

function conflict(ctx: RedirectionContext, what: string, source: SourceLocation, reason: string): void {
  ctx.diagnostics.push({ severity: 'error', code: 'live-conflict', message: `${what}: ${reason}`, ...source });
}

export function diffForwards(ctx: RedirectionContext): void {
  const domain = ctx.domain.name;
  for (const user of sortedValues(ctx.domain.users)) {
    const live = ctx.live?.users.get(user.name);
    const liveForward = live?.forward;
    if (user.forward) {
      const blocker = liveForward ? undefined : blockingDotQmail(ctx, user.name);
      if (blocker) {
        conflict(
          ctx,
          `forward of "${user.name}@${domain}"`,
          user.source,
          `${blocker.file} exists and is not managed by mailstate (${blocker.reason}); remove or rename it by hand first`,
        );
        continue;
      }
      if (!liveForward)
        ctx.buckets.redirections.push({ kind: 'add-forward', domain, name: user.name, after: user.forward });
      else if (!sameForward(user.forward, liveForward)) {
        ctx.buckets.redirections.push({
          kind: 'modify-forward',
          domain,
          name: user.name,
          before: { to: liveForward.to, keepCopy: liveForward.keepCopy },
          after: user.forward,
          file: liveForward.file,
        });
      }
    } else if (liveForward) {
      ctx.buckets.removals.push({
        kind: 'delete-forward',
        domain,
        name: user.name,
        before: { to: liveForward.to, keepCopy: liveForward.keepCopy },
        file: liveForward.file,
      });
    }
  }
}

export function diffAliases(ctx: RedirectionContext): void {
  const domain = ctx.domain.name;
  const liveAliases = ctx.live?.aliases ?? new Map();
  for (const alias of sortedValues(ctx.domain.aliases)) {
    const live = liveAliases.get(alias.name);
    if (live) {
      if (!sameTargets(alias.to, live.to)) {
        ctx.buckets.redirections.push({
          kind: 'modify-alias',
          domain,
          name: alias.name,
          before: live.to,
          after: alias.to,
        });
      }
      continue;
    }
    const blocker = blockingDotQmail(ctx, alias.name);
    if (blocker) {
      conflict(
        ctx,
        `alias "${alias.name}@${domain}"`,
        alias.source,
        `${blocker.file} exists and is not managed by mailstate (${blocker.reason}); remove or rename it by hand first`,
      );
      continue;
    }
    const shadowedUser = ctx.live?.users.get(alias.name);
    if (shadowedUser && (!ctx.policy.prune || alias.name === PROTECTED_USER)) {
      conflict(
        ctx,
        `alias "${alias.name}@${domain}"`,
        alias.source,
        `it would shadow the live user "${alias.name}", which ${alias.name === PROTECTED_USER ? 'is protected' : 'policy.prune: false keeps'}`,
      );
      continue;
    }
    ctx.buckets.redirections.push({ kind: 'add-alias', domain, name: alias.name, to: alias.to });
  }

  for (const live of sortedValues(liveAliases)) {
    if (ctx.domain.aliases.has(live.name)) continue;
    // A declared user of the same name needs the file gone whatever prune says, or it would swallow the user's mail.
    if (ctx.policy.prune || ctx.domain.users.has(live.name)) {
      ctx.buckets.removals.push({ kind: 'delete-alias', domain, name: live.name, before: live.to, file: live.file });
    } else {
      ctx.unmanaged.push({
        domain,
        kind: 'dot-qmail',
        name: live.name,
        file: live.file,
        reason: 'alias not declared (policy.prune is false)',
      });
    }
  }
}
