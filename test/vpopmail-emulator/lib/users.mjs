// @ts-check
// Adding, deleting and re-passwording a user as libvpopmail does, directory, vpasswd line,
// quota and lastauth together.

import { isDomainValid, isUsernameValid } from './addresses.mjs';
import { vgetAssign } from './assign.mjs';
import { backfillRecord, backfillTake, decDirControl, nextBigDir } from './dir-hashing.mjs';
import { FLAG, vgetLimits } from './limits.mjs';
import { VA } from './messages.mjs';
import { mkpasswd3, pwStrength } from './passwords.mjs';
import { vsetuserquotaLib } from './quota.mjs';
import { vauthAdduser, vauthDeluser, vauthGetpw, vauthSetpw } from './vpasswd.mjs';
import { lower } from '../runtime/cstring.mjs';
import { chownC, mkdirC, rChown, rMkdir, readBin, statOrNull, vdelfiles, writeFileC } from '../runtime/files.mjs';
import { err, segv } from '../runtime/output.mjs';

/** @import { Assign } from './assign.mjs' */

/**
 * vset_lastauth(): lastauth holds the IP; its mtime is the time of the last login.
 * @param {string} user
 * @param {string} domain
 * @param {string} ip
 */
function vsetLastauth(user, domain, ip) {
  const vpw = vauthGetpw(user, domain);
  if (!vpw) return 0;
  const file = `${vpw.dir}/lastauth`;
  try {
    writeFileC(file, ip);
  } catch {
    return -1;
  }
  const a = vgetAssign(domain);
  if (a) chownC(file, a.uid, a.gid);
  return 0;
}

/**
 * make_user_dir(): the user's directory, hashed as users-big-dir does, with its Maildir.
 * @param {string} username
 * @param {Assign} a
 * @returns {{ hash: string | null, verrori: number }} hash null on failure, with the VA code in
 *   verrori when there is one
 */
function makeUserDir(username, a) {
  let hash = backfillTake(a.domain);
  if (hash == null) hash = nextBigDir(a.domain, a.uid, a.gid, a.dir);
  else rMkdir(a.dir, hash, a.uid, a.gid);
  if (a.dir.length + hash.length + username.length > 160) {
    err('Error. Path exceeds maximum permitted length\n');
    return { hash: null, verrori: 0 };
  }
  const base = hash !== '' ? `${a.dir}/${hash}` : a.dir;
  const udir = `${base}/${username}`;
  if (mkdirC(udir) !== 0) return { hash: null, verrori: VA.EXIST_U_DIR };
  if (!statOrNull(udir)?.isDirectory()) {
    vdelfiles(udir);
    err('make_user_dir: error 2\n');
    return { hash: null, verrori: 0 };
  }
  for (const d of ['Maildir', 'Maildir/new', 'Maildir/cur', 'Maildir/tmp']) {
    if (mkdirC(`${udir}/${d}`) !== 0) {
      err(`make_user_dir: failed on ${d}\n`);
      vdelfiles(udir);
      return { hash: null, verrori: 0 };
    }
  }
  rChown(udir, a.uid, a.gid);
  const mypw = vauthGetpw(username, a.domain);
  if (mypw) {
    mypw.dir = `${udir}`.slice(0, 160);
    vauthSetpw(mypw, a.domain);
  }
  return { hash, verrori: 0 };
}

/**
 * vadduser() of the library.
 * @param {string} username
 * @param {string} domain
 * @param {string} password the clear text
 * @param {string} gecos
 * @param {number} apop
 * @returns {number} 0 or a VA code
 */
export function vadduserLib(username, domain, password, gecos, apop) {
  if (gecos.includes(':')) return VA.BAD_CHAR;
  if (username.length > 64) return VA.USER_NAME_TOO_LONG;
  if (username.length === 1) return VA.ILLEGAL_USERNAME;
  if (domain.length > 96) return VA.DOMAIN_NAME_TOO_LONG;
  if (domain.length < 3) return VA.INVALID_DOMAIN_NAME;
  if (password.length > 128) return VA.PASSWD_TOO_LONG;
  const strength = pwStrength(password);
  if (strength !== 0) return strength;
  if (gecos.length > 64) return VA.GECOS_TOO_LONG;
  process.umask(0o077);
  const user = lower(username);
  const dom = lower(domain);
  if (!isUsernameValid(user)) return VA.ILLEGAL_USERNAME;
  if (!isDomainValid(dom)) return VA.INVALID_DOMAIN_NAME;
  if (vauthGetpw(user, dom)) return VA.USERNAME_EXISTS;
  const a = vgetAssign(dom);
  if (!a) return VA.DOMAIN_DOES_NOT_EXIST;
  const real = vgetAssign(a.real) ?? a;
  const da = { ...a, domain: real.domain };
  const limits = vgetLimits(da);
  if (!limits) return VA.CANNOT_READ_LIMITS;
  if (!statOrNull(da.dir)?.isDirectory()) return VA.BAD_D_DIR;
  const made = makeUserDir(user, da);
  if (made.hash == null) return made.verrori !== 0 ? made.verrori : VA.BAD_U_DIR;
  if (vauthAdduser(user, da, password, gecos, made.hash, apop) !== 0) {
    err('Failed while attempting to add user to auth backend\n');
    vdelfiles(made.hash ? `${da.dir}/${made.hash}/${user}` : `${da.dir}/${user}`);
    return VA.NO_AUTH_CONNECTION;
  }
  let quota;
  if (limits.defaultQuota > 0n) {
    quota =
      limits.defaultMaxMsgCount > 0n
        ? `${limits.defaultQuota}S,${limits.defaultMaxMsgCount}C`
        : `${limits.defaultQuota}S`;
  } else {
    quota = limits.defaultMaxMsgCount > 0n ? `${limits.defaultMaxMsgCount}C` : 'NOQUOTA';
  }
  if (vsetuserquotaLib(user, dom, quota) === VA.USER_DOES_NOT_EXIST) vsetuserquotaLib(user, dom, quota);
  if (vsetLastauth(user, dom, '0.0.0.0') !== 0) {
    err('Failed to create create lastauth entry\n');
    return VA.NO_AUTH_CONNECTION;
  }
  return 0;
}

/**
 * isCatchall(): is the account the target of the domain's .qmail-default?
 * @param {string} user
 * @param {string} domain
 * @param {string} dir the domain's directory
 */
function isCatchall(user, domain, dir) {
  const text = readBin(`${dir}/.qmail-default`);
  if (text == null) return false;
  const first = text.split('\n')[0];
  if (!first.includes('vdelivermail')) return false;
  const q = first.indexOf("''");
  if (q < 0) return false;
  const sp = first.indexOf(' ', q);
  if (sp < 0) return false;
  const action = first
    .slice(sp)
    .replace(/^[ \t]+/, '')
    .replace(/[ \t]+$/, '');
  if (action.includes('bounce-no-mailbox')) return false;
  if (action.includes('delete-no-mailbox')) return false;
  if (action[0] === '/') {
    if (action.includes(dir)) {
      const name = action.slice(action.lastIndexOf('/') + 1);
      if (name === user) return true;
    }
    return false;
  }
  if (action.length > 0 && action[0] !== '@') {
    const parts = action.split('@').filter((p) => p !== '');
    const name = parts[0];
    if (user === name) {
      if (parts[1] === undefined) segv(); // strcmp(NULL, domain)
      return parts[1] === domain;
    }
    return false;
  }
  err(`unknown .qmail-default contents ${action}\n`);
  return false;
}

/**
 * vdeluser() of the library.
 * @param {string} username
 * @param {string} domain
 * @returns {number} 0 or a VA code
 */
export function vdeluserLib(username, domain) {
  if (!username) return VA.ILLEGAL_USERNAME;
  process.umask(0o077);
  const user = lower(username);
  const a0 = vgetAssign(domain);
  if (!a0) return VA.DOMAIN_DOES_NOT_EXIST;
  const dom = a0.real;
  const a = { ...a0, domain: dom };
  if (!statOrNull(a.dir)?.isDirectory()) return VA.BAD_D_DIR;
  const mypw = vauthGetpw(user, dom);
  if (!mypw) return VA.USER_DOES_NOT_EXIST;
  if (isCatchall(user, dom, a.dir)) return VA.CANNOT_DELETE_CATCHALL;
  if (vauthDeluser(user, a) !== 0) {
    err('Failed to delete user from auth backend\n');
    return -1;
  }
  backfillRecord(user, dom, mypw.dir);
  decDirControl(dom, a.uid, a.gid, a.dir);
  if (vdelfiles(mypw.dir) !== 0) {
    err(`could not remove ${mypw.dir}\n`);
    return VA.BAD_DIR;
  }
  return 0;
}

/**
 * vpasswd() of the library.
 * @param {string} username
 * @param {string} domain
 * @param {string} password the clear text
 * @returns {number} 0 or a VA code
 */
export function vpasswdLib(username, domain, password) {
  if (username.length > 64) return VA.USER_NAME_TOO_LONG;
  if (username.length === 1) return VA.ILLEGAL_USERNAME;
  if (domain.length > 96) return VA.DOMAIN_NAME_TOO_LONG;
  if (password.length > 128) return VA.PASSWD_TOO_LONG;
  const strength = pwStrength(password);
  if (strength !== 0) return strength;
  const mypw = vauthGetpw(lower(username), lower(domain));
  if (!mypw) return -1;
  if (mypw.flags & FLAG.NO_PASSWD_CHNG) return -1;
  mypw.passwd = mkpasswd3(password);
  mypw.clear = password;
  return vauthSetpw(mypw, lower(domain));
}
