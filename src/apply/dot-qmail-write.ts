import { basename } from 'node:path';
import { assertNever, type RedirectionChange } from '../model/change.js';
import { quoted } from '../model/display.js';
import { PATH_SHOWN, userDirProblem } from '../model/live-paths.js';
import { dotQmailFileName, targetProblem } from '../model/names.js';
import type { Forward } from '../model/state.js';
import { archivePath } from './archive.js';
import { exists } from './io.js';
import { assertNoSymlinkBelow, checkedUserDir, UnsafePathError } from './tree-guard.js';
import { domainDirOf, type ApplyEnvironment } from './types.js';

/** Whose mailbox a forward's "keep a copy" line is: the only delivery line mailstate writes that is not `&address`. */
export interface OwnMaildir {
  userDir: string;
  user: string;
  domainDir: string;
}

/**
 * `&address` lines (the `&` makes any address a forward to qmail-local), then the Maildir line.
 * The last line of defence against a program or file delivery: whatever the caller passes, every
 * line is a plain address or the user's own `<dir>/Maildir/`, with a dir of vpopmail's shape
 * inside the domain, or nothing is written.
 */
export function dotQmailContent(to: readonly string[], keepCopy?: OwnMaildir): string {
  const lines = to.map((target) => {
    const problem = targetProblem(target);
    if (problem) throw new UnsafePathError(`refusing to write the .qmail line ${quoted(`&${target}`)}: ${problem}`);
    return `&${target}`;
  });
  if (keepCopy) {
    const problem = userDirProblem(keepCopy.userDir, keepCopy.user, keepCopy.domainDir);
    if (problem) throw new UnsafePathError(`refusing to write a Maildir line for ${keepCopy.user}: the ${problem}`);
    lines.push(`${keepCopy.userDir}/Maildir/`);
  }
  return `${lines.join('\n')}\n`;
}

function userDirOf(env: ApplyEnvironment, domain: string, user: string): string {
  const live = env.live.domains.get(domain)?.users.get(user)?.dir;
  if (live) return live;
  // A user added in this apply: the driver recorded where it put it.
  const added = env.addedUserDirs.get(`${user}@${domain}`);
  if (!added) throw new Error(`internal error: no directory known for ${user}@${domain}`);
  return added;
}

function forwardContent(env: ApplyEnvironment, domain: string, user: string, forward: Forward): string {
  return dotQmailContent(
    forward.to,
    forward.keepCopy ? { userDir: userDirOf(env, domain, user), user, domainDir: domainDirOf(env, domain) } : undefined,
  );
}

/**
 * Where a forward may be rewritten in place: the domain's `.qmail-<user>`, or the user's own
 * `<dir>/.qmail` (qmailadmin). A path from the live state that is neither is refused.
 */
function forwardFile(env: ApplyEnvironment, domain: string, user: string, file: string): string {
  const domainDir = domainDirOf(env, domain);
  if (file === `${domainDir}/${dotQmailFileName(user)}`) return file;
  if (file === `${userDirOf(env, domain, user)}/.qmail`)
    return `${checkedUserDir(env.io, userDirOf(env, domain, user), user, domain, domainDir)}/.qmail`;
  throw new UnsafePathError(
    `${quoted(file, PATH_SHOWN)} is neither ${domain}'s ${dotQmailFileName(user)} nor ${user}'s own .qmail: refusing to write it`,
  );
}

/**
 * Forwards and aliases are `.qmail` files, written the same way whatever the driver: atomically,
 * 0600, owned by the domain. A removed file is archived, not unlinked.
 */
export function applyRedirection(change: RedirectionChange, env: ApplyEnvironment): void {
  const owner = env.ownerOf(change.domain);
  const write = (path: string, content: string) => {
    assertNoSymlinkBelow(env.io, domainDirOf(env, change.domain), path);
    env.io.writeAtomic(path, content, owner ? { owner } : {});
  };
  const archive = (path: string, domain: string) => {
    if (!basename(path).startsWith('.qmail'))
      throw new UnsafePathError(`${quoted(path, PATH_SHOWN)} is not a .qmail file: refusing to archive it`);
    if (!exists(env.io, path)) return;
    const bounds = { sourceWithin: domainDirOf(env, domain), archiveWithin: env.vpopmailHome };
    const target = archivePath(
      env.io,
      path,
      `${env.vpopmailHome}/archive/${domain}`,
      basename(path),
      env.now,
      bounds,
      owner,
    );
    if (target) env.counters.archived.push(target);
  };
  switch (change.kind) {
    case 'add-alias':
      return write(`${domainDirOf(env, change.domain)}/${dotQmailFileName(change.name)}`, dotQmailContent(change.to));
    case 'modify-alias':
      return write(
        `${domainDirOf(env, change.domain)}/${dotQmailFileName(change.name)}`,
        dotQmailContent(change.after),
      );
    case 'add-forward':
      return write(
        `${domainDirOf(env, change.domain)}/${dotQmailFileName(change.name)}`,
        forwardContent(env, change.domain, change.name, change.after),
      );
    case 'modify-forward': {
      // qmailadmin's per-user .qmail uses the same lines; it is rewritten where it is.
      return write(
        forwardFile(env, change.domain, change.name, change.file),
        forwardContent(env, change.domain, change.name, change.after),
      );
    }
    case 'delete-alias':
    case 'delete-forward':
      return archive(change.file, change.domain);
    case 'move-out':
      // Replaces a domain-level forward the user had; qmail-local reads .qmail-<name> before
      // vdelivermail ever looks at vpasswd, so the mailbox stays but no longer receives.
      return write(
        `${domainDirOf(env, change.domain)}/${dotQmailFileName(change.name)}`,
        dotQmailContent([change.address]),
      );
    default:
      return assertNever(change, 'redirection');
  }
}
