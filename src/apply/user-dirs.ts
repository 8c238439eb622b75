import { chownSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NOQUOTA } from '../model/quota.js';
import { makeDirectories, writeFileAtomic, type Ownership } from './atomic-write.js';

const MAILDIR_PARTS = ['cur', 'new', 'tmp'] as const;

/** A directory that holds nothing but an empty Maildir skeleton (left by an interrupted apply). */
function isEmptySkeleton(dir: string): boolean {
  for (const entry of readdirSync(dir)) {
    if (entry === 'lastauth' || entry === 'Maildir') continue;
    return false;
  }
  const maildir = join(dir, 'Maildir');
  if (!existsSync(maildir)) return true;
  for (const entry of readdirSync(maildir)) {
    if (entry === 'maildirsize') continue;
    if (!(MAILDIR_PARTS as readonly string[]).includes(entry)) return false;
    if (readdirSync(join(maildir, entry)).length > 0) return false;
  }
  return true;
}

/**
 * The user directory vadduser makes: `<dir>/Maildir/{cur,new,tmp}` (0700) and `lastauth`
 * (`0.0.0.0`, no newline, 0600), plus `Maildir/maildirsize` when there is a quota. An existing
 * directory with mail in it is never adopted: it belongs to someone else.
 */
export function createUserDir(dir: string, quota: string, owner: Ownership | undefined): void {
  if (existsSync(dir) && !isEmptySkeleton(dir)) {
    throw new Error(`${dir} already exists and is not empty: refusing to give it to a new user (vadduser refuses too)`);
  }
  for (const part of MAILDIR_PARTS) makeDirectories(join(dir, 'Maildir', part), owner);
  const lastauth = join(dir, 'lastauth');
  if (!existsSync(lastauth)) {
    writeFileSync(lastauth, '0.0.0.0', { mode: 0o600 });
    if (owner) chownSync(lastauth, owner.uid, owner.gid);
  }
  writeMaildirsize(dir, quota, owner, false);
}

function maildirUsage(maildir: string): { bytes: number; count: number } {
  let bytes = 0;
  let count = 0;
  for (const part of ['cur', 'new']) {
    const folder = join(maildir, part);
    if (!existsSync(folder)) continue;
    for (const entry of readdirSync(folder)) {
      const size = /,S=(\d+)/.exec(entry);
      bytes += size ? Number(size[1]) : statSync(join(folder, entry)).size;
      count++;
    }
  }
  return { bytes, count };
}

/**
 * Maildir++ `maildirsize`: the quota on line 1, then `<bytes> <count>`. Removed for no quota, as
 * vsetuserquota does. On a quota change usage is recounted (vsetuserquota's behaviour), so the
 * delivery agent's quota check starts from the truth.
 */
export function writeMaildirsize(dir: string, quota: string, owner: Ownership | undefined, recount = true): void {
  const maildir = join(dir, 'Maildir');
  const file = join(maildir, 'maildirsize');
  if (quota === NOQUOTA || quota === '') {
    rmSync(file, { force: true });
    return;
  }
  if (!existsSync(maildir)) return;
  const usage = recount ? maildirUsage(maildir) : { bytes: 0, count: 0 };
  writeFileAtomic(file, `${quota}\n${usage.bytes} ${usage.count}\n`, { ...(owner ? { owner } : {}) });
}
