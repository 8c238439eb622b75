import { join } from 'node:path';
import { buildCdbFromRanges } from '../cdb/write.js';
import { sha512Crypt } from '../crypt/password.js';
import { formatVpasswdLine, parseVpasswd, type VpasswdUser } from '../formats/vpasswd.js';
import { cdbRangesFromVpasswd } from '../formats/vpasswd-cdb.js';
import { bufferOf, byteString, decodeBytes, encodeText, type ByteString } from '../formats/byte-string.js';
import {
  isUserAddition,
  type PasswordMaterial,
  type UserAddition,
  type UserChange,
  type UserTarget,
} from '../model/change.js';
import { archivePath } from './archive.js';
import type { Ownership } from './io.js';
import { addDomainFiles, addAliasDomainFiles } from './domain-files.js';
import { count, domainDirOf, type ApplyEnvironment, type Driver } from './types.js';
import { createUserDir, writeMaildirsize } from './user-dirs.js';
import { placeUsers } from './user-placement.js';
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

/** One domain's user batch, under its vpasswd lock, with vpasswd as just re-read. */
interface DomainBatch {
  domain: string;
  domainDir: string;
  env: ApplyEnvironment;
  owner: Ownership | undefined;
  /** vpasswd's bytes under the lock: the truth now, whatever was planned from. */
  text: ByteString;
  /** Its users by name (the first line of a repeated name, as the cdb lookup sees it). */
  current: Map<string, VpasswdUser<ByteString>>;
  clearPasswords: boolean;
}

type AddUser = UserAddition;
type ModifyUser = Extract<UserChange, { kind: 'modify-user' }>;

function applyUsersLocked(
  domain: string,
  domainDir: string,
  changes: readonly UserChange[],
  env: ApplyEnvironment,
  owner: Ownership | undefined,
): void {
  const batch = readBatch(domain, domainDir, env, owner);
  for (const change of changes) {
    if (isUserAddition(change) && batch.current.has(change.user.name)) {
      throw new Error(`${change.user.name}@${domain} appeared in vpasswd since the plan was made; run plan again`);
    }
  }
  const additions = changes.filter(isUserAddition);
  const modifications = changes.filter((c): c is ModifyUser => c.kind === 'modify-user');
  // The order is what keeps mail safe across a crash at any point (see each step).
  const dirs = createMailboxes(batch, additions);
  const deletions = archiveMailboxes(batch, changes);
  writeQuotaFiles(batch, modifications);
  const newText = editVpasswd(batch.text, {
    deletions,
    replacements: replacementLines(batch, modifications),
    additions: additions.map((change) => ({ name: change.user.name, line: newUserLine(batch, change, dirs) })),
  });
  commitVpasswd(batch, newText);
  for (const change of changes) env.done(change);
}

function readBatch(
  domain: string,
  domainDir: string,
  env: ApplyEnvironment,
  owner: Ownership | undefined,
): DomainBatch {
  // vpasswd, vpasswd.cdb and .dir-control are replaced by rename, which replaces a link rather
  // than following it; reading one must not follow it either.
  for (const file of ['vpasswd', 'vpasswd.cdb', '.dir-control', '.dir_control_free'])
    assertNoSymlinkBelow(env.io, domainDir, join(domainDir, file));
  const vpasswdPath = join(domainDir, 'vpasswd');
  const text = byteString(env.io.read(vpasswdPath) ?? new Uint8Array());
  const parsed = parseVpasswd(text, vpasswdPath);
  const current = new Map<string, VpasswdUser<ByteString>>();
  for (const user of parsed.users) if (!current.has(user.name)) current.set(user.name, user);
  const clearPasswords = parsed.users.length > 0 ? parsed.clearPasswords : anyDomainKeepsClear(env);
  return { domain, domainDir, env, owner, text, current, clearPasswords };
}

/** 1. Mailboxes first: a user never appears in vpasswd without a Maildir to deliver to. */
function createMailboxes(batch: DomainBatch, additions: readonly AddUser[]): Map<string, string> {
  const { env, domain, domainDir, owner } = batch;
  if (additions.length === 0) return new Map();
  const placement = placeUsers(
    env.io,
    domainDir,
    additions.map((c) => c.user.name),
  );
  for (const change of additions) {
    const dir = checkedUserDir(env.io, placement.dirs.get(change.user.name)!, change.user.name, domain, domainDir);
    createUserDir(env.io, dir, domainDir, change.user.quota, owner);
    env.addedUserDirs.set(`${change.user.name}@${domain}`, dir);
  }
  env.io.writeAtomic(join(domainDir, '.dir-control'), placement.dirControl, owner ? { owner } : {});
  if (placement.freeSlots !== undefined)
    env.io.writeAtomic(join(domainDir, '.dir_control_free'), placement.freeSlots, owner ? { owner } : {});
  return placement.dirs;
}

/**
 * 2. Deleted users' mailboxes go to the archive before their line goes, so a crash in between
 * leaves a user whose mail is safe, never mail in a directory nothing points at.
 */
function archiveMailboxes(batch: DomainBatch, changes: readonly UserChange[]): Set<string> {
  const { env, domain, domainDir, owner } = batch;
  const deletions = new Set<string>();
  for (const change of changes) {
    if (change.kind !== 'delete-user') continue;
    const known = batch.current.get(change.name)?.dir;
    const dir = checkedUserDir(
      env.io,
      known === undefined ? change.dir : decodeBytes(known),
      change.name,
      domain,
      domainDir,
    );
    const bounds = { sourceWithin: domainDir, archiveWithin: env.vpopmailHome };
    const target = archivePath(env.io, dir, change.archiveParent, change.name, env.now, bounds, owner);
    if (target) env.counters.archived.push(target);
    deletions.add(change.name);
  }
  return deletions;
}

function currentUser(batch: DomainBatch, name: string): VpasswdUser<ByteString> {
  const before = batch.current.get(name);
  if (!before) throw new Error(`${name}@${batch.domain} disappeared from vpasswd since the plan was made`);
  return before;
}

/**
 * 3. Quota bookkeeping of modified users, as vsetuserquota does, before the vpasswd rewrite
 * commits the change: an apply that dies in between is redone by the next one, whereas after the
 * rewrite nothing would be left to plan and maildirsize would keep the old quota.
 */
function writeQuotaFiles(batch: DomainBatch, modifications: readonly ModifyUser[]): void {
  for (const change of modifications) {
    if (!change.fields.some((f) => f.field === 'quota')) continue;
    const dir = decodeBytes(currentUser(batch, change.name).dir);
    checkedUserDir(batch.env.io, dir, change.name, batch.domain, batch.domainDir);
    writeMaildirsize(batch.env.io, dir, batch.domainDir, change.after.quota, batch.owner);
  }
}

/** 4a. The new line of each modified user: the plan's fields over the line as it is now. */
function replacementLines(batch: DomainBatch, modifications: readonly ModifyUser[]): Map<string, ByteString> {
  const replacements = new Map<string, ByteString>();
  for (const change of modifications) {
    const before = currentUser(batch, change.name);
    const password = change.password
      ? passwordFields(change.password, batch.clearPasswords)
      : { hash: before.hash, clear: before.clear ?? NO_CLEAR_TEXT };
    const fields = { ...before, ...targetFields(change.after), ...password };
    replacements.set(change.name, formatVpasswdLine(fields, batch.clearPasswords));
  }
  return replacements;
}

/** 4b. A new user's line, with the directory its mailbox was given. */
function newUserLine(batch: DomainBatch, change: AddUser, dirs: ReadonlyMap<string, string>): ByteString {
  const password = passwordFields(change.password, batch.clearPasswords);
  const dir = encodeText(dirs.get(change.user.name)!);
  const fields = { ...targetFields(change.user), apop: encodeText('1'), dir, ...password };
  return formatVpasswdLine(fields, batch.clearPasswords);
}

/**
 * 5. One vpasswd rewrite, then one cdb build from exactly the text just written: only then do
 * logins and delivery see the change.
 */
function commitVpasswd(batch: DomainBatch, newText: ByteString): void {
  const { env, domain, domainDir, owner } = batch;
  if (newText !== batch.text) {
    env.io.writeAtomic(join(domainDir, 'vpasswd'), bufferOf(newText), owner ? { owner } : {});
    count(env.counters.vpasswdWrites, domain);
  }
  env.io.writeAtomic(
    join(domainDir, 'vpasswd.cdb'),
    buildCdbFromRanges(cdbRangesFromVpasswd(bufferOf(newText))),
    owner ? { owner } : {},
  );
  count(env.counters.cdbBuilds, domain);
}

function anyDomainKeepsClear(env: ApplyEnvironment): boolean {
  for (const domain of env.live.domains.values()) if (domain.users.size > 0) return domain.clearPasswords;
  return false;
}
