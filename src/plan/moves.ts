import type { Change, UserAddition } from '../model/change.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { routeAddress } from '../fleet/names.js';
import type { DesiredDomain, LiveDomain, LiveUser, RemoteUser, ServerShareInfo } from '../model/state.js';
import type { DomainChanges } from './domain-changes.js';

/**
 * Moves between the servers of a fleet, the one operation where mail can be lost. On each server
 * a move is planned from what that server holds, and in an order that loses nothing whichever
 * server applies first:
 *
 * - move-in (destination): the mailbox is created first; the forward that handed the user's mail
 *   to its old server goes only afterwards, so mail arriving in between is delivered there, where
 *   the old mailbox still is.
 * - move-out (source): planned only once the destination is known to hold the mailbox (the
 *   evidence: `PeerEvidence`); until then the old mailbox keeps receiving here. It turns the user
 *   into a forward (`.qmail-<user>`, read by qmail-local before vpasswd) and keeps the vpasswd line
 *   and the Maildir, whose mail the admin copies over and then releases (`mailstate release`).
 */

/** Whether server `server` is known to hold `user@domain` as a mailbox; undefined when nothing is known of it. */
export type PeerEvidence = (server: string, domain: string, user: string) => boolean | undefined;

export interface MoveContext {
  share: ServerShareInfo;
  domain: DesiredDomain;
  live: LiveDomain | undefined;
  buckets: DomainChanges;
  diagnostics: Diagnostic[];
  peers?: PeerEvidence;
  /** `mailstate release`: moved-out users (`user@domain`) whose old mailbox now goes to the archive. */
  release?: ReadonlySet<string>;
  /** Where this domain's released mailboxes are archived. */
  archiveParent: string;
}

/**
 * The remote users of the domain that still have a mailbox here: they are planned by planMoves
 * alone, so the user and alias diffs must not see them (they would archive the mailbox).
 */
export function leavingUsers(share: ServerShareInfo, domain: string, live: LiveDomain | undefined): Set<string> {
  const leaving = new Set<string>();
  const remote = share.remoteUsers.get(domain);
  if (!remote || !live) return leaving;
  for (const name of remote.keys()) if (live.users.has(name)) leaving.add(name);
  return leaving;
}

/** The domain and its live state without the leaving users, for the ordinary diffs. */
export function withoutLeaving(
  domain: DesiredDomain,
  live: LiveDomain | undefined,
  leaving: ReadonlySet<string>,
): { domain: DesiredDomain; live: LiveDomain | undefined } {
  if (leaving.size === 0 || !live) return { domain, live };
  const drop = <T>(map: Map<string, T>): Map<string, T> => new Map([...map].filter(([name]) => !leaving.has(name)));
  return { domain: { ...domain, aliases: drop(domain.aliases) }, live: { ...live, users: drop(live.users) } };
}

export function planMoves(ctx: MoveContext, leaving: ReadonlySet<string>): void {
  const remote = ctx.share.remoteUsers.get(ctx.domain.name);
  for (const name of leaving) planLeaving(ctx, remote!.get(name)!, ctx.live!.users.get(name)!);
  planArrivals(ctx);
}

function planLeaving(ctx: MoveContext, user: RemoteUser, live: LiveUser): void {
  const domain = ctx.domain.name;
  const email = `${user.name}@${domain}`;
  const source = ctx.domain.users.get(user.name)?.source;
  const warn = (code: Diagnostic['code'], message: string): void => {
    ctx.diagnostics.push({ severity: 'warning', code, message, ...source });
  };
  if (isMovedOut(live, user) && ctx.release?.has(email)) {
    ctx.buckets.userDeletions.push({
      kind: 'delete-user',
      domain,
      name: user.name,
      dir: live.dir,
      archiveParent: ctx.archiveParent,
    });
    return;
  }
  if (isMovedOut(live, user)) {
    warn(
      'move-awaiting-release',
      `${email} lives on ${user.server} now; its old mailbox ${live.dir} is kept here. Copy its mail over, then release it: ${copyCommand(ctx.share, domain, user, live)}; then mailstate release ${email} --server ${ctx.share.server}`,
    );
    return;
  }
  const arrived = ctx.peers?.(user.server, domain, user.name);
  if (arrived !== true) {
    warn(
      'move-waiting',
      `${email} moves to ${user.server}, which ${arrived === false ? 'does not hold its mailbox yet' : 'is not known to hold its mailbox yet'}: its mailbox here keeps receiving until it does (a watcher waits for ${user.server}'s git note of this commit; by hand, give --peer-snapshots DIR with a snapshot of ${user.server} taken after its apply)`,
    );
    return;
  }
  ctx.buckets.redirections.push({
    kind: 'move-out',
    domain,
    name: user.name,
    address: user.address,
    to: user.server,
    dir: live.dir,
  });
}

/** Moved out already: a forward of exactly the route address, and no copy kept. */
function isMovedOut(live: LiveUser, user: RemoteUser): boolean {
  const forward = live.forward;
  return (
    forward !== undefined &&
    forward.style === 'domain' &&
    !forward.keepCopy &&
    forward.to.length === 1 &&
    forward.to[0] === user.address
  );
}

/** The rsync that copies the old Maildir into the new one (vpopmail's default layout on the destination). */
export function copyCommand(share: ServerShareInfo, domain: string, user: RemoteUser, live: LiveUser): string {
  const target = share.servers.find((s) => s.name === user.server)!;
  return `rsync -a --ignore-existing --chown=vpopmail:vchkpw ${live.dir}/Maildir/ ${target.route}:${target.vpopmailHome}/domains/${domain}/${user.name}/Maildir/`;
}

/**
 * A user added here whose live `.qmail-<user>` is a forward to another server's route address
 * arrives from there: add-user becomes move-in, and the forward's removal moves after the mailbox.
 */
function planArrivals(ctx: MoveContext): void {
  const { buckets, live, share } = ctx;
  if (!live) return;
  const domain = ctx.domain.name;
  buckets.userAdditions = buckets.userAdditions.map((change) => {
    if (change.kind !== 'add-user') return change;
    const alias = live.aliases.get(change.user.name);
    if (alias?.to.length !== 1) return change;
    const from = share.servers.find(
      (s) => s.name !== share.server && alias.to[0] === routeAddress(change.user.name, domain, s.route),
    );
    if (!from) return change;
    const removal = buckets.removals.findIndex(
      (c) => c.kind === 'delete-alias' && c.name === change.user.name && c.domain === domain,
    );
    if (removal >= 0) buckets.redirections.push(...buckets.removals.splice(removal, 1));
    const moved: UserAddition = { ...change, kind: 'move-in', from: from.name };
    return moved as Change;
  });
}
