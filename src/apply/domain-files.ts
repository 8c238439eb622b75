import { join } from 'node:path';
import type { Change } from '../model/change.js';
import type { NewDomainOwner } from '../model/live-owner.js';
import type { LiveState } from '../model/state.js';
import { resolveNewDomainOwner, SYSTEM_ACCOUNTS, type AccountFiles } from '../live/accounts.js';
import { exists, readText, type ApplyIo, type Ownership } from './io.js';
import { formatAssignLine, usersCdbFromAssign } from '../formats/assign.js';
import { nextUserDir, parseDirControl, formatDirControl } from '../formats/dir-control.js';
import { insertSortedLine } from '../formats/update-file.js';
import { domainDirOf, type ApplyEnvironment } from './types.js';

/** vpopmail's `domains/.dir-control` when no domain exists yet. */
const NO_DOMAINS_DIR_CONTROL = '0\n0\n3\n0 0 0\n61 61 61\n0 2 2\n0 0 0\n\n';

/** Makes qmail see an assign change: the real qmail-newu when installed, else the same cdb ourselves. */
function rebuildUsersCdb(env: ApplyEnvironment, assign: string): void {
  const newu = join(env.qmailHome, 'bin', 'qmail-newu');
  if (exists(env.io, newu)) {
    env.counters.commands.push([newu]);
    const result = env.io.run(newu, []);
    if (result.error || result.status !== 0) {
      const why = result.error?.message ?? (result.stderr.trim() || `exit ${result.status ?? result.signal}`);
      throw new Error(`${newu} failed: ${why}`);
    }
    return;
  }
  env.io.writeAtomic(join(env.qmailHome, 'users', 'cdb'), usersCdbFromAssign(assign), {
    mode: 0o644,
    keepExisting: true,
  });
}

/** users/cdb rebuilt from users/assign as it is now: the repair for a cdb that fell behind. */
export function rebuildUsersCdbFromAssign(env: ApplyEnvironment): void {
  rebuildUsersCdb(env, readText(env.io, join(env.qmailHome, 'users', 'assign')));
}

/**
 * users/assign is what says a domain exists (the live reader, and so the next plan, reads it), so
 * it is written after rcpthosts and virtualdomains: an apply that dies before it is redone whole.
 * users/cdb has to follow it (qmail-newu reads the file); one that dies in between leaves a cdb
 * the next plan sees is behind, and rebuilds.
 */
function updateQmailFiles(env: ApplyEnvironment, assignLine: string, domain: string): void {
  for (const [file, line] of [
    ['rcpthosts', domain],
    ['virtualdomains', `${domain}:${domain}`],
  ] as const) {
    const path = join(env.qmailHome, 'control', file);
    env.io.writeAtomic(path, insertSortedLine(readText(env.io, path), line), { mode: 0o644, keepExisting: true });
  }
  const assignPath = join(env.qmailHome, 'users', 'assign');
  const assign = insertSortedLine(readText(env.io, assignPath) || '.\n', assignLine, '.');
  env.io.writeAtomic(assignPath, assign, { mode: 0o644, keepExisting: true });
  rebuildUsersCdb(env, assign);
}

/**
 * The uid/gid of a new domain: vadddomain's, the vpopmail account's, never root's (see
 * live/accounts.ts for the order it is looked for in). The live reader resolved it with the state
 * the plan was checked against, so a plan that would need root was already refused; a state not
 * read from a server (tests) is resolved here from the same sources. Throws when it is root.
 */
export function vpopmailOwner(io: ApplyIo, live: LiveState, accounts: AccountFiles = SYSTEM_ACCOUNTS): Ownership {
  const owner = live.newDomainOwner ?? ownerFromIo(io, live, accounts);
  if ('refused' in owner) throw new Error(owner.refused);
  return { uid: owner.uid, gid: owner.gid };
}

/** ApplyEnvironment.ownerOf: a domain's own uid/gid from users/assign, a new one the vpopmail account's; none unless root. */
export function domainOwner(io: ApplyIo, live: LiveState, domain: string): Ownership | undefined {
  if (!io.isRoot) return undefined;
  const known = live.domains.get(domain);
  return known ? { uid: known.uid, gid: known.gid } : vpopmailOwner(io, live);
}

/** The vpopmail account's uid/gid, or undefined when only root's could be found (nothing new is made then). */
export function vpopmailAccount(io: ApplyIo, live: LiveState): Ownership | undefined {
  const owner = live.newDomainOwner ?? ownerFromIo(io, live, SYSTEM_ACCOUNTS);
  return 'refused' in owner ? undefined : { uid: owner.uid, gid: owner.gid };
}

function ownerFromIo(io: ApplyIo, live: LiveState, accounts: AccountFiles): NewDomainOwner {
  const domainsDir = join(live.vpopmailHome, 'domains');
  const dirPath = io.followedEntry(domainsDir) ? domainsDir : live.vpopmailHome;
  const dir = io.followedEntry(dirPath);
  return resolveNewDomainOwner({
    accounts,
    passwdText: io.read(accounts.passwd)?.toString('utf8'),
    groupText: io.read(accounts.group)?.toString('utf8'),
    assignFile: join(live.qmailHome, 'users', 'assign'),
    assignOwners: [...live.domains.values()].map((domain) => ({ uid: domain.uid, gid: domain.gid })),
    domainsDir,
    dirOwner: dir ? { path: dirPath, uid: dir.uid, gid: dir.gid } : undefined,
  });
}

/**
 * The files driver's vadddomain: the domain directory (hashed like vpopmail's domains/), its
 * `.qmail-default`, `.dir-control`, then users/assign (+ qmail-newu), rcpthosts and
 * virtualdomains. The postmaster and other users follow as ordinary add-user changes.
 */
export function addDomainFiles(change: Extract<Change, { kind: 'add-domain' }>, env: ApplyEnvironment): void {
  const domainsDir = join(env.vpopmailHome, 'domains');
  const vpopmail = vpopmailOwner(env.io, env.live);
  const owner = env.io.isRoot ? vpopmail : undefined;
  env.io.makeDirectories(domainsDir, owner);
  const controlPath = join(domainsDir, '.dir-control');
  const control = parseDirControl(readText(env.io, controlPath) || NO_DOMAINS_DIR_CONTROL);
  if (!control) throw new Error(`${controlPath} is not in vpopmail's format`);
  const hashDir = nextUserDir(control);
  const dir = hashDir === '' ? join(domainsDir, change.domain) : join(domainsDir, hashDir, change.domain);
  env.io.makeDirectories(dir, owner);
  env.io.writeAtomic(controlPath, formatDirControl(control), owner ? { owner } : {});
  env.io.writeAtomic(
    join(dir, '.qmail-default'),
    `| ${env.vpopmailHome}/bin/vdelivermail '' delete\n`,
    owner ? { owner } : {},
  );
  env.addedDomainDirs.set(change.domain, dir);
  updateQmailFiles(
    env,
    formatAssignLine({ domain: change.domain, realDomain: change.domain, uid: vpopmail.uid, gid: vpopmail.gid, dir }),
    change.domain,
  );
  env.done(change);
}

/** vaddaliasdomain: an assign line pointing at the real domain's directory, plus the control files. */
export function addAliasDomainFiles(
  change: Extract<Change, { kind: 'add-alias-domain' }>,
  env: ApplyEnvironment,
): void {
  const real = env.live.domains.get(change.domain);
  const dir = domainDirOf(env, change.domain);
  const owner = real ? { uid: real.uid, gid: real.gid } : vpopmailOwner(env.io, env.live);
  updateQmailFiles(
    env,
    formatAssignLine({ domain: change.alias, realDomain: change.domain, uid: owner.uid, gid: owner.gid, dir }),
    change.alias,
  );
  env.done(change);
}
