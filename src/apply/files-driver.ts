import { join } from 'node:path';
import { buildCdbFromRanges } from '../cdb/write.js';
import { sha512Crypt } from '../crypt/password.js';
import { cdbRangesFromVpasswd, formatVpasswdLine, parseVpasswd, type VpasswdUser } from '../formats/vpasswd.js';
import { bufferOf, byteString, decodeBytes, encodeText, type ByteString } from '../formats/byte-string.js';
import type { PasswordMaterial, UserChange, UserTarget } from '../model/change.js';
import { archivePath } from './archive.js';
import { readText, type ApplyIo, type Ownership } from './io.js';
import {
  EMPTY_DOMAIN_DIR_CONTROL,
  formatDirControl,
  nextUserDir,
  parseDirControl,
  takeFreeSlot,
} from '../formats/dir-control.js';
import { addDomainFiles, addAliasDomainFiles } from './domain-files.js';
import { count, domainDirOf, type ApplyEnvironment, type Driver } from './types.js';
import { createUserDir, writeMaildirsize } from './user-dirs.js';
import { assertNoSymlinkBelow, checkedUserDir } from './tree-guard.js';
import { editVpasswd } from '../formats/vpasswd-edit.js';
import { withVpasswdLock } from './vpasswd-lock.js';

const NO_CLEAR_TEXT = encodeText('');

/** Hash and clear field for a new password: a clear text is hashed here, never stored unless the build keeps clear text. */
function passwordFields(password: PasswordMaterial, clearPasswords: boolean): { hash: ByteString; clear: ByteString } {
  if (password.kind === 'hash') return { hash: encodeText(password.hash), clear: NO_CLEAR_TEXT };
  return {
    hash: encodeText(sha512Crypt(password.clear)),
    clear: clearPasswords ? encodeText(password.clear) : NO_CLEAR_TEXT,
  };
}

/**
 * The vpasswd fields of a user as the plan wants them. vpasswd is rewritten as bytes (ByteString:
 * a Latin-1 gecos of another tool survives byte for byte), so the plan's values, which are text,
 * go in as their UTF-8 bytes.
 */
function targetFields(target: UserTarget): Pick<VpasswdUser<ByteString>, 'name' | 'comment' | 'quota' | 'flags'> {
  return {
    name: encodeText(target.name),
    comment: encodeText(target.comment),
    quota: encodeText(target.quota),
    flags: target.flags,
  };
}

/**
 * Places new users as vadduser would: oldest freed hashed slot first, then the .dir-control
 * counter. Returns the directories and the bookkeeping to write back.
 */
function placeUsers(
  io: ApplyIo,
  domainDir: string,
  names: readonly string[],
): { dirs: Map<string, string>; dirControl: string; freeSlots: string | undefined } {
  const controlText = readText(io, join(domainDir, '.dir-control'));
  // No .dir-control yet: a domain this apply created; its postmaster becomes account #1 as in vadddomain.
  const control = parseDirControl(controlText || EMPTY_DOMAIN_DIR_CONTROL);
  if (!control)
    throw new Error(`${domainDir}/.dir-control is not in vpopmail's format: refusing to guess where new users go`);
  const freePath = join(domainDir, '.dir_control_free');
  const freeText = readText(io, freePath);
  const free = freeText.split('\n').filter(Boolean);
  const freeBefore = free.length;
  const dirs = new Map<string, string>();
  for (const name of names) {
    const hashDir = takeFreeSlot(control, free) ?? nextUserDir(control);
    dirs.set(name, hashDir === '' ? `${domainDir}/${name}` : `${domainDir}/${hashDir}/${name}`);
  }
  const freeSlots = free.length === freeBefore ? undefined : free.map((slot) => `${slot}\n`).join('');
  return { dirs, dirControl: formatDirControl(control), freeSlots };
}

/**
 * The files driver: writes vpopmail's cdb-backend format itself. Per domain, one vpasswd rewrite
 * and one vpasswd.cdb build, under vpopmail's own `.vpasswd.lock`, whatever the number of users.
 */
export const filesDriver: Driver = {
  name: 'files',

  async applyDomainUsers(domain, changes, env) {
    const domainDir = domainDirOf(env, domain);
    const owner = env.ownerOf(domain);
    if (domainDir.startsWith(`${env.vpopmailHome}/`)) assertNoSymlinkBelow(env.io, env.vpopmailHome, domainDir);
    await withVpasswdLock(env.io, domainDir, owner, () => applyUsersLocked(domain, domainDir, changes, env, owner));
  },

  async addDomain(change, env) {
    addDomainFiles(change, env);
  },

  async addAliasDomain(change, env) {
    addAliasDomainFiles(change, env);
  },
};

function applyUsersLocked(
  domain: string,
  domainDir: string,
  changes: readonly UserChange[],
  env: ApplyEnvironment,
  owner: Ownership | undefined,
): void {
  const vpasswdPath = join(domainDir, 'vpasswd');
  // vpasswd, vpasswd.cdb and .dir-control are replaced by rename, which replaces a link rather
  // than following it; reading one must not follow it either.
  for (const file of ['vpasswd', 'vpasswd.cdb', '.dir-control', '.dir_control_free'])
    assertNoSymlinkBelow(env.io, domainDir, join(domainDir, file));
  // Re-read under the lock: the text is the truth now, whatever was planned from.
  const text = byteString(env.io.read(vpasswdPath) ?? new Uint8Array());
  const parsed = parseVpasswd(text, vpasswdPath);
  const current = new Map<string, VpasswdUser<ByteString>>();
  for (const user of parsed.users) if (!current.has(user.name)) current.set(user.name, user);
  for (const change of changes) {
    if (change.kind === 'add-user' && current.has(change.user.name)) {
      throw new Error(`${change.user.name}@${domain} appeared in vpasswd since the plan was made; run plan again`);
    }
  }
  const clearPasswords = parsed.users.length > 0 ? parsed.clearPasswords : anyDomainKeepsClear(env);

  const additions = changes.filter((c): c is Extract<UserChange, { kind: 'add-user' }> => c.kind === 'add-user');
  const placement =
    additions.length > 0
      ? placeUsers(
          env.io,
          domainDir,
          additions.map((c) => c.user.name),
        )
      : undefined;

  // 1. Mailboxes first: a user never appears in vpasswd without a Maildir to deliver to.
  for (const change of additions) {
    const dir = checkedUserDir(env.io, placement!.dirs.get(change.user.name)!, change.user.name, domain, domainDir);
    createUserDir(env.io, dir, domainDir, change.user.quota, owner);
    env.addedUserDirs.set(`${change.user.name}@${domain}`, dir);
  }
  if (placement) {
    env.io.writeAtomic(join(domainDir, '.dir-control'), placement.dirControl, owner ? { owner } : {});
    if (placement.freeSlots !== undefined)
      env.io.writeAtomic(join(domainDir, '.dir_control_free'), placement.freeSlots, owner ? { owner } : {});
  }

  // 2. Deleted users' mailboxes go to the archive before their line goes, so a crash in between
  //    leaves a user whose mail is safe, never mail in a directory nothing points at.
  const deletions = new Set<string>();
  for (const change of changes) {
    if (change.kind !== 'delete-user') continue;
    const known = current.get(change.name)?.dir;
    const dir = checkedUserDir(
      env.io,
      known === undefined ? change.dir : decodeBytes(known),
      change.name,
      domain,
      domainDir,
    );
    const target = archivePath(
      env.io,
      dir,
      change.archiveParent,
      change.name,
      env.now,
      { sourceWithin: domainDir, archiveWithin: env.vpopmailHome },
      owner,
    );
    if (target) env.counters.archived.push(target);
    deletions.add(change.name);
  }

  // 3. Quota bookkeeping of modified users, as vsetuserquota does, before the vpasswd rewrite
  //    commits the change: an apply that dies in between is redone by the next one, whereas
  //    after the rewrite nothing would be left to plan and maildirsize would keep the old quota.
  for (const change of changes) {
    if (change.kind !== 'modify-user' || !change.fields.some((f) => f.field === 'quota')) continue;
    const before = current.get(change.name);
    if (!before) throw new Error(`${change.name}@${domain} disappeared from vpasswd since the plan was made`);
    const dir = checkedUserDir(env.io, decodeBytes(before.dir), change.name, domain, domainDir);
    writeMaildirsize(env.io, dir, domainDir, change.after.quota, owner);
  }

  // 4. One vpasswd rewrite.
  const replacements = new Map<string, ByteString>();
  for (const change of changes) {
    if (change.kind !== 'modify-user') continue;
    const before = current.get(change.name);
    if (!before) throw new Error(`${change.name}@${domain} disappeared from vpasswd since the plan was made`);
    const password = change.password
      ? passwordFields(change.password, clearPasswords)
      : { hash: before.hash, clear: before.clear ?? NO_CLEAR_TEXT };
    replacements.set(
      change.name,
      formatVpasswdLine({ ...before, ...targetFields(change.after), ...password }, clearPasswords),
    );
  }
  const added = additions.map((change) => {
    const password = passwordFields(change.password, clearPasswords);
    const dir = placement!.dirs.get(change.user.name)!;
    const fields = { ...targetFields(change.user), apop: encodeText('1'), dir: encodeText(dir), ...password };
    return { name: change.user.name, line: formatVpasswdLine(fields, clearPasswords) };
  });
  const newText = editVpasswd(text, { deletions, replacements, additions: added });
  if (newText !== text) {
    env.io.writeAtomic(vpasswdPath, bufferOf(newText), owner ? { owner } : {});
    count(env.counters.vpasswdWrites, domain);
  }

  // 5. One cdb build, from exactly the text just written: only then do logins and delivery see it.
  env.io.writeAtomic(
    join(domainDir, 'vpasswd.cdb'),
    buildCdbFromRanges(cdbRangesFromVpasswd(bufferOf(newText))),
    owner ? { owner } : {},
  );
  count(env.counters.cdbBuilds, domain);
  for (const change of changes) env.done(change);
}

function anyDomainKeepsClear(env: ApplyEnvironment): boolean {
  for (const domain of env.live.domains.values()) if (domain.users.size > 0) return domain.clearPasswords;
  return false;
}
