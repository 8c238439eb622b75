import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Change } from '../model/change.js';
import type { LiveState } from '../model/state.js';
import { writeFileAtomic, makeDirectories, type Ownership } from './atomic-write.js';
import { formatAssignLine, usersCdbFromAssign } from '../formats/assign.js';
import { nextUserDir, parseDirControl, formatDirControl } from '../formats/dir-control.js';
import { insertSortedLine } from '../formats/update-file.js';
import { domainDirOf, type ApplyEnvironment } from './types.js';

/** vpopmail's `domains/.dir-control` when no domain exists yet. */
const NO_DOMAINS_DIR_CONTROL = '0\n0\n3\n0 0 0\n61 61 61\n0 2 2\n0 0 0\n\n';

function readText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Makes qmail see an assign change: the real qmail-newu when installed, else the same cdb ourselves. */
function rebuildUsersCdb(env: ApplyEnvironment, assign: string): void {
  const newu = join(env.qmailHome, 'bin', 'qmail-newu');
  if (existsSync(newu)) {
    env.counters.commands.push([newu]);
    execFileSync(newu, [], { stdio: ['ignore', 'pipe', 'pipe'] });
    return;
  }
  writeFileAtomic(join(env.qmailHome, 'users', 'cdb'), usersCdbFromAssign(assign), { mode: 0o644, keepExisting: true });
}

/** users/cdb rebuilt from users/assign as it is now: the repair for a cdb that fell behind. */
export function rebuildUsersCdbFromAssign(env: ApplyEnvironment): void {
  const assignPath = join(env.qmailHome, 'users', 'assign');
  env.fault(`write ${join(env.qmailHome, 'users', 'cdb')}`);
  rebuildUsersCdb(env, readText(assignPath));
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
    env.fault(`write ${path}`);
    writeFileAtomic(path, insertSortedLine(readText(path), line), { mode: 0o644, keepExisting: true });
  }
  const assignPath = join(env.qmailHome, 'users', 'assign');
  const assign = insertSortedLine(readText(assignPath) || '.\n', assignLine, '.');
  env.fault(`write ${assignPath}`);
  writeFileAtomic(assignPath, assign, { mode: 0o644, keepExisting: true });
  rebuildUsersCdb(env, assign);
}

/**
 * The uid/gid new domains get: vpopmail:vchkpw as compiled into vpopmail (89:89 in its INSTALL
 * document). Read from the domains qmail already knows, else from the owner of ~vpopmail/domains.
 */
export function vpopmailOwner(live: LiveState): Ownership {
  for (const domain of live.domains.values()) return { uid: domain.uid, gid: domain.gid };
  const info = statSync(join(live.vpopmailHome, 'domains'), { throwIfNoEntry: false }) ?? statSync(live.vpopmailHome);
  return { uid: info.uid, gid: info.gid };
}

/**
 * The files driver's vadddomain: the domain directory (hashed like vpopmail's domains/), its
 * `.qmail-default`, `.dir-control`, then users/assign (+ qmail-newu), rcpthosts and
 * virtualdomains. The postmaster and other users follow as ordinary add-user changes.
 */
export function addDomainFiles(change: Extract<Change, { kind: 'add-domain' }>, env: ApplyEnvironment): void {
  const domainsDir = join(env.vpopmailHome, 'domains');
  const root = process.getuid?.() === 0;
  const vpopmail = vpopmailOwner(env.live);
  const owner = root ? vpopmail : undefined;
  makeDirectories(domainsDir, owner);
  const controlPath = join(domainsDir, '.dir-control');
  const control = parseDirControl(readText(controlPath) || NO_DOMAINS_DIR_CONTROL);
  if (!control) throw new Error(`${controlPath} is not in vpopmail's format`);
  const hashDir = nextUserDir(control);
  const dir = hashDir === '' ? join(domainsDir, change.domain) : join(domainsDir, hashDir, change.domain);
  env.fault(`mkdir ${dir}`);
  makeDirectories(dir, owner);
  writeFileAtomic(controlPath, formatDirControl(control), owner ? { owner } : {});
  writeFileAtomic(
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
  const owner = real ? { uid: real.uid, gid: real.gid } : vpopmailOwner(env.live);
  updateQmailFiles(
    env,
    formatAssignLine({ domain: change.alias, realDomain: change.domain, uid: owner.uid, gid: owner.gid, dir }),
    change.alias,
  );
  env.done(change);
}
