import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { Change } from '../model/change.js';
import { dotQmailFileName } from '../model/names.js';
import type { Forward } from '../model/state.js';
import { archivePath } from './archive.js';
import { writeFileAtomic } from './atomic-write.js';
import { domainDirOf, type ApplyEnvironment } from './types.js';

/** `&address` lines (the `&` makes any address a forward to qmail-local), then the Maildir line. */
export function dotQmailContent(to: readonly string[], keepCopyMaildir?: string): string {
  const lines = to.map((target) => `&${target}`);
  if (keepCopyMaildir) lines.push(keepCopyMaildir);
  return lines.join('\n') + '\n';
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
  return dotQmailContent(forward.to, forward.keepCopy ? `${userDirOf(env, domain, user)}/Maildir/` : undefined);
}

/**
 * Forwards and aliases are `.qmail` files, written the same way whatever the driver: atomically,
 * 0600, owned by the domain. A removed file is archived, not unlinked.
 */
export function applyRedirection(change: Change, env: ApplyEnvironment): void {
  const owner = env.ownerOf('domain' in change ? change.domain : '');
  const write = (path: string, content: string) => {
    env.fault(`write ${path}`);
    writeFileAtomic(path, content, owner ? { owner } : {});
  };
  const archive = (path: string, domain: string) => {
    if (!existsSync(path)) return;
    env.fault(`archive ${path}`);
    const target = archivePath(path, `${env.vpopmailHome}/archive/${domain}`, basename(path), env.now, owner);
    if (target) env.counters.archived.push(target);
  };
  switch (change.kind) {
    case 'add-alias':
      return write(`${domainDirOf(env, change.domain)}/${dotQmailFileName(change.name)}`, dotQmailContent(change.to));
    case 'modify-alias':
      return write(`${domainDirOf(env, change.domain)}/${dotQmailFileName(change.name)}`, dotQmailContent(change.after));
    case 'add-forward':
      return write(`${domainDirOf(env, change.domain)}/${dotQmailFileName(change.name)}`, forwardContent(env, change.domain, change.name, change.after));
    case 'modify-forward': {
      // qmailadmin's per-user .qmail uses the same lines; it is rewritten where it is.
      return write(change.file, forwardContent(env, change.domain, change.name, change.after));
    }
    case 'delete-alias':
    case 'delete-forward':
      return archive(change.file, change.domain);
    default:
      throw new Error(`internal error: ${change.kind} is not a redirection`);
  }
}

export function isRedirection(change: Change): boolean {
  return ['add-alias', 'modify-alias', 'delete-alias', 'add-forward', 'modify-forward', 'delete-forward'].includes(change.kind);
}

