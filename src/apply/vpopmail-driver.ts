import { join } from 'node:path';
import { parseAssign } from '../formats/assign.js';
import { byteString, decodeBytes } from '../formats/byte-string.js';
import { parseVpasswd } from '../formats/vpasswd.js';
import { assertNever, type UserAddition, type UserChange, type UserTarget } from '../model/change.js';
import { NOQUOTA } from '../model/quota.js';
import { archivePath } from './archive.js';
import { exists, readText, type Ownership } from './io.js';
import { count, domainDirOf, type ApplyEnvironment, type Driver } from './types.js';
import { assertNoSymlinkBelow, checkedUserDir } from './tree-guard.js';
import { applyVpasswdFixups, quotaArgument, run, updateUser, type VpasswdFixups } from './vpopmail-programs.js';
import { withVpasswdLock } from './vpasswd-lock.js';

/**
 * vadduser refuses a directory that already exists ("User's directory already exists"): one left
 * by an interrupted files-driver apply, or made by hand. No vpasswd line points at it, so nothing
 * delivers there; it goes to the archive like a deleted mailbox, never removed.
 */
function archiveLeftoverDir(
  env: ApplyEnvironment,
  domain: string,
  dir: string,
  name: string,
  owner: Ownership | undefined,
): void {
  if (!exists(env.io, dir)) return;
  for (const user of env.live.domains.get(domain)?.users.values() ?? []) if (user.dir === dir) return;
  const bounds = { sourceWithin: domainDirOf(env, domain), archiveWithin: env.vpopmailHome };
  const target = archivePath(env.io, dir, `${env.vpopmailHome}/archive/${domain}`, name, env.now, bounds, owner);
  if (target) env.counters.archived.push(target);
}

/**
 * Where vadduser put each new mailbox (hashed past 100 users): a forward that keeps a copy,
 * written after the users in this apply, needs it. Read from vpasswd, like the rest of the live
 * state, rather than by `vuserinfo -d`, which setuid()s to the domain owner and finds nobody
 * when the tree's ownership is not what users/assign says.
 */
function recordAddedDirs(env: ApplyEnvironment, domain: string, vpasswdPath: string, names: readonly string[]): void {
  const users = new Map(
    parseVpasswd(byteString(env.io.read(vpasswdPath) ?? new Uint8Array()), vpasswdPath).users.map((user) => [
      decodeBytes(user.name),
      decodeBytes(user.dir),
    ]),
  );
  for (const name of names) {
    const dir = users.get(name);
    if (dir === undefined) throw new Error(`vadduser reported success but ${name}@${domain} is not in ${vpasswdPath}`);
    env.addedUserDirs.set(`${name}@${domain}`, checkedUserDir(env.io, dir, name, domain, domainDirOf(env, domain)));
  }
}

/** One domain's user changes as vpopmail's programs make them, and what is left to patch after them. */
interface ProgramBatch {
  env: ApplyEnvironment;
  domain: string;
  domainDir: string;
  owner: Ownership | undefined;
  fixups: VpasswdFixups;
  /** Users added, whose directories are read back from vpasswd at the end. */
  added: string[];
}

function deleteUser(batch: ProgramBatch, change: Extract<UserChange, { kind: 'delete-user' }>): void {
  const { env, domain, domainDir, owner } = batch;
  const known = env.live.domains.get(domain)?.users.get(change.name)?.dir;
  const dir = checkedUserDir(env.io, known ?? change.dir, change.name, domain, domainDir);
  const bounds = { sourceWithin: domainDir, archiveWithin: env.vpopmailHome };
  const target = archivePath(env.io, dir, change.archiveParent, change.name, env.now, bounds, owner);
  if (target) env.counters.archived.push(target);
  // vdeluser rm -rf's the directory: give it an empty one, the mail is already in the archive.
  env.io.makeDirectories(dir);
  run(env, ['vdeluser', `${change.name}@${domain}`]);
}

function addUser(batch: ProgramBatch, change: UserAddition): void {
  const { env, domain, domainDir, owner, fixups } = batch;
  const { user, password } = change;
  const email = `${user.name}@${domain}`;
  batch.added.push(user.name);
  // vadddomain made this domain's postmaster in this apply: it only needs the declared fields.
  if (env.addedDomainDirs.has(domain) && user.name === 'postmaster') {
    const made: UserTarget = { name: user.name, comment: 'Postmaster', quota: NOQUOTA, flags: 0 };
    updateUser(env, email, made, user, password, fixups);
    return;
  }
  archiveLeftoverDir(env, domain, join(domainDir, user.name), user.name, owner);
  const options = ['-q', quotaArgument(user.quota)];
  if (user.comment !== user.name) options.push('-c', user.comment);
  if (password.kind === 'hash') run(env, ['vadduser', ...options, '-e', password.hash, email]);
  else run(env, ['vadduser', ...options, email], `${password.clear}\n${password.clear}\n`);
  updateUser(env, email, { ...user, flags: 0 }, user, undefined, fixups);
}

function modifyUser(batch: ProgramBatch, change: Extract<UserChange, { kind: 'modify-user' }>): void {
  const { env, domain, domainDir } = batch;
  const email = `${change.name}@${domain}`;
  const current = env.live.domains.get(domain)?.users.get(change.name);
  if (!current) throw new Error(`${email} is not in the live state this plan was made from`);
  const dir = checkedUserDir(env.io, current.dir, change.name, domain, domainDir);
  assertNoSymlinkBelow(env.io, domainDir, `${dir}/Maildir/maildirsize`);
  updateUser(env, email, current, change.after, change.password, batch.fixups);
}

/** The one vmkpasswd of the domain, after what vpopmail's programs cannot do is patched in. */
async function rebuildCdb(batch: ProgramBatch): Promise<void> {
  const { env, domain, domainDir, owner } = batch;
  const vpasswdPath = join(domainDir, 'vpasswd');
  if (exists(env.io, vpasswdPath)) {
    await withVpasswdLock(env.io, domainDir, owner, () => {
      applyVpasswdFixups(env.io, vpasswdPath, batch.fixups, owner);
    });
  }
  run(env, ['vmkpasswd', domain]);
  count(env.counters.cdbBuilds, domain);
  // chmod and chown follow links: vpasswd swapped for one would hand its target to the domain.
  if (exists(env.io, vpasswdPath)) {
    assertNoSymlinkBelow(env.io, domainDir, vpasswdPath);
    env.io.setModeAndOwner(vpasswdPath, 0o600, owner);
  }
}

/**
 * The vpopmail driver: only vpopmail's own programs change users (for SQL backends, or admins
 * who want the official tools). vpopmail cannot batch: vadduser, vsetuserquota and vpasswd each
 * rebuild vpasswd.cdb; modifications use `vmoduser -n` and a single `vmkpasswd` per domain at
 * the end. Afterwards vpasswd is put back to 0600 and the domain's owner (vmoduser -n leaves it
 * root-owned at the caller's umask).
 */
export const vpopmailDriver: Driver = {
  name: 'vpopmail',

  async applyDomainUsers(domain, changes, env) {
    const domainDir = domainDirOf(env, domain);
    if (domainDir.startsWith(`${env.vpopmailHome}/`)) assertNoSymlinkBelow(env.io, env.vpopmailHome, domainDir);
    // vpopmail's programs run as root and follow links as they please (vsetuserquota writes
    // maildirsize through a linked Maildir, every program opens .vpasswd.lock): what they will
    // touch is checked before they run.
    for (const file of ['vpasswd', '.vpasswd.lock']) assertNoSymlinkBelow(env.io, domainDir, join(domainDir, file));
    const batch: ProgramBatch = {
      env,
      domain,
      domainDir,
      owner: env.ownerOf(domain),
      fixups: { blankClear: new Set(), flags: new Map() },
      added: [],
    };
    for (const change of changes) {
      switch (change.kind) {
        case 'delete-user':
          deleteUser(batch, change);
          break;
        case 'add-user':
        case 'move-in':
          addUser(batch, change);
          break;
        case 'modify-user':
          modifyUser(batch, change);
          break;
        case 'rebuild-vpasswd-cdb':
          await rebuildCdb(batch);
          break;
        default:
          assertNever(change, 'user change');
      }
      env.done(change);
    }
    if (batch.added.length > 0) recordAddedDirs(env, domain, join(domainDir, 'vpasswd'), batch.added);
  },

  async addDomain(change, env) {
    // vadddomain needs a postmaster password: a random one here, the declared one follows as add-user.
    run(env, ['vadddomain', '-r', change.domain]);
    env.addedDomainDirs.set(change.domain, change.dir);
    const assignPath = join(env.qmailHome, 'users', 'assign');
    const entry = parseAssign(readText(env.io, assignPath), assignPath).entries.find(
      (e) => e.domain === change.domain && e.realDomain === change.domain,
    );
    if (!entry) throw new Error(`vadddomain reported success but ${change.domain} is not in users/assign`);
    env.addedDomainDirs.set(change.domain, entry.dir);
    env.done(change);
  },

  async addAliasDomain(change, env) {
    run(env, ['vaddaliasdomain', change.alias, change.domain]);
    env.done(change);
  },
};
