// @ts-check
// A domain's vpasswd and vpasswd.cdb (vcdb.c): single-user lookups read the cdb, listings read the
// text, and every change rewrites the text and rebuilds the cdb from it.

import { vgetAssign } from './assign.mjs';
import { cdbGet, cdbMake } from './cdb.mjs';
import { vlimitsSetflags } from './limits.mjs';
import { VA } from './messages.mjs';
import { mkpasswd3 } from './passwords.mjs';
import { atoi, dirString, fgetsChunks, lower, strtok1 } from '../runtime/cstring.mjs';
import { chownC, readBin, readBuf, renameC, touchLock, writeFileC } from '../runtime/files.mjs';
import { err, segv } from '../runtime/output.mjs';

/** @import { Assign } from './assign.mjs' */

/**
 * A vpasswd line (struct vqpasswd), binary strings.
 * @typedef {object} Pw
 * @property {string} name
 * @property {string} passwd the crypted password
 * @property {number} uid vpopmail's apop field: 1 for a user added without APOP
 * @property {number} gid the user's own flags (FLAG in limits.mjs)
 * @property {string} gecos
 * @property {string} dir
 * @property {string} shell the quota
 * @property {string} clear the clear-text password
 * @property {number} flags gid with the domain limits' flags added; never written back
 */

// libvpopmail's NoMakeIndex: vmoduser -n leaves vpasswd.cdb stale for the whole run.
let NO_MAKE_INDEX = false;
export function setNoMakeIndex() {
  NO_MAKE_INDEX = true;
}

/** @param {Assign} a */
export function vpasswdFiles(a) {
  return {
    dir: a.dir,
    vpasswd: `${a.dir}/vpasswd`,
    bak: `${a.dir}/vpasswd.bak.${process.pid}`,
    cdb: `${a.dir}/vpasswd.cdb`,
    tmp: `${a.dir}/cdb.tmp`,
    lock: `${a.dir}/.vpasswd.lock`,
  };
}

/**
 * vpasswd lines as vpopmail 5.6.13 reads them: whole lines (the golden corpus has lines of ~350
 * bytes that survive every rewrite, so its line buffers are larger than MAX_BUFF).
 */
const vpasswdLines = (/** @type {string} */ text) => fgetsChunks(text, text.length + 2);

/**
 * make_vpasswd_cdb(): one record per complete line, in file order; crashes on lines without ':'.
 * @param {Assign} a
 */
export function makeVpasswdCdb(a) {
  if (NO_MAKE_INDEX) return 0;
  const f = vpasswdFiles(a);
  const text = readBin(f.vpasswd);
  if (text == null) return -1;
  /** @type {Array<[Buffer, Buffer]>} */
  const records = [];
  for (const chunk of vpasswdLines(text)) {
    if (!chunk.endsWith('\n')) break; // the line that hits EOF is never added
    const c = chunk.indexOf(':');
    if (c < 0) segv();
    records.push([Buffer.from(chunk.slice(0, c), 'latin1'), Buffer.from(chunk.slice(c + 1, -1), 'latin1')]);
  }
  const old = process.umask(0o077);
  try {
    writeFileC(f.tmp, cdbMake(records).toString('latin1'));
  } catch {
    process.umask(old);
    err('Error: could not create/open temporary file\n');
    return -1;
  } finally {
    process.umask(old);
  }
  if (!renameC(f.tmp, f.cdb)) {
    err('Error 25: could not rename cdb.tmp to vpasswd.cdb\n');
    return -1;
  }
  const cur = vgetAssign(a.domain) ?? a;
  chownC(f.cdb, cur.uid, cur.gid);
  chownC(f.lock, cur.uid, cur.gid);
  chownC(f.vpasswd, cur.uid, cur.gid);
  return 0;
}

/**
 * Parses "name:" + cdb data the way vauth_getpw does: missing fields are empty, the clear
 * password is the rest of the line (it may contain ':').
 * @param {string} name
 * @param {string} data
 * @returns {Omit<Pw, 'flags'>}
 */
function parsePwRecord(name, data) {
  const f = `${name}:${data}`.split(':');
  const field = (/** @type {number} */ i) => f[i] ?? '';
  return {
    name: field(0),
    passwd: field(1),
    uid: atoi(field(2)),
    gid: atoi(field(3)),
    gecos: field(4),
    dir: field(5),
    shell: field(6),
    clear: f.slice(7).join(':'),
  };
}

/**
 * vauth_getpw(): single-user lookups read vpasswd.cdb only (rebuilt only when missing).
 * @param {string} user
 * @param {string} domain
 * @returns {Pw | null}
 */
export function vauthGetpw(user, domain) {
  const u = lower(user);
  const a = vgetAssign(domain);
  if (!a) return null;
  const f = vpasswdFiles(a);
  let buf = readBuf(f.cdb);
  if (buf == null) {
    if (!touchLock(f.lock)) return null;
    makeVpasswdCdb(a);
    buf = readBuf(f.cdb);
    if (buf == null) return null;
  }
  const data = cdbGet(buf, u);
  if (data == null) return null;
  const pw = /** @type {Pw} */ (parsePwRecord(u, data));
  pw.flags = pw.gid;
  vlimitsSetflags(pw, a);
  return pw;
}

/**
 * vgetent() over the vpasswd text: stops at the first line with fewer than six colons.
 * @param {string} domain
 */
export function vauthGetall(domain) {
  const a = vgetAssign(domain);
  if (!a) return [];
  const text = readBin(`${a.dir}/vpasswd`);
  if (text == null) return [];
  /** @type {Pw[]} */
  const res = [];
  for (const line of vpasswdLines(text)) {
    if ((line.match(/:/g) ?? []).length < 6) break;
    let rest = line;
    const upto = (/** @type {string} */ stops) => {
      let i = 0;
      while (i < rest.length && !stops.includes(rest[i])) i++;
      const v = rest.slice(0, i);
      rest = i < rest.length ? rest.slice(i + 1) : '';
      return v;
    };
    const pw = /** @type {Pw} */ ({});
    pw.name = upto(':');
    pw.passwd = upto(':');
    pw.uid = atoi(upto(':'));
    pw.gid = atoi(upto(':'));
    pw.gecos = upto(':');
    pw.dir = upto(':');
    pw.shell = upto(':\n');
    pw.clear = upto('\n');
    pw.flags = pw.gid;
    vlimitsSetflags(pw, a);
    res.push(pw);
  }
  return res;
}

/**
 * vcdb_strip_char(): drops ':' without shortening the string (the last bytes repeat).
 * @param {string} s
 */
function vcdbStripChar(s) {
  const a = [...s.split(''), '\0'];
  let next = 0;
  let i = 0;
  while (i < a.length && a[i] !== '\0') {
    if (a[i] === ':') ++i;
    if (i >= a.length) break;
    if (next !== i) a[next] = a[i];
    ++next;
    ++i;
  }
  return dirString(a);
}

/** @param {Pw} pw */
function vcheckVqpw(pw) {
  if (pw.name.length > 64) return VA.USER_NAME_TOO_LONG;
  if (pw.passwd.length > 128) return VA.PASSWD_TOO_LONG;
  if (pw.gecos.length > 64) return VA.GECOS_TOO_LONG;
  if (pw.dir.length > 160) return VA.DIR_TOO_LONG;
  if (pw.shell.length > 20) return VA.QUOTA_TOO_LONG;
  if (pw.clear.length > 128) return VA.CLEAR_PASSWD_TOO_LONG;
  return 0;
}

/**
 * vauth_setpw(): rewrites every line of that name through vpasswd.bak.<pid>, then the cdb.
 * @param {Pw} pw
 * @param {string} domain
 * @returns {number} 0 or a VA code
 */
export function vauthSetpw(pw, domain) {
  const ret = vcheckVqpw(pw);
  if (ret !== 0) return ret;
  const a = vgetAssign(domain);
  if (!a) return -1;
  const f = vpasswdFiles(a);
  touchLock(f.lock);
  let text = readBin(f.vpasswd);
  if (text == null) {
    writeFileC(f.vpasswd, '');
    text = '';
  }
  const gecos = vcdbStripChar(pw.gecos);
  let res = '';
  for (const line of vpasswdLines(text)) {
    const tok = strtok1(line, ':\n');
    if (tok == null) segv();
    if (pw.name !== tok) res += line;
    else res += `${pw.name}:${pw.passwd}:${pw.uid}:${pw.gid}:${gecos}:${pw.dir}:${pw.shell}:${pw.clear}\n`;
  }
  writeFileC(f.bak, res);
  renameC(f.bak, f.vpasswd);
  makeVpasswdCdb(a);
  return 0;
}

/**
 * vauth_adduser(): the new line goes before the first strcmp-greater name.
 * @param {string} user
 * @param {Assign} a
 * @param {string} pass the clear text, '' for none
 * @param {string} gecos
 * @param {string} hash the user's hash subdirectory, '' for none
 * @param {number} apop
 */
export function vauthAdduser(user, a, pass, gecos, hash, apop) {
  if (user === 'vpasswd') return VA.ILLEGAL_USERNAME;
  const f = vpasswdFiles(a);
  let g = gecos === '' ? user : gecos;
  g = vcdbStripChar(g);
  touchLock(f.lock);
  let text = readBin(f.vpasswd);
  if (text == null) {
    writeFileC(f.vpasswd, '');
    text = '';
  }
  const crypted = pass !== '' ? mkpasswd3(pass) : '';
  const dir = hash !== '' ? `${a.dir}/${hash}/${user}` : `${a.dir}/${user}`;
  const newLine = `${user}:${crypted}:${apop === 0 ? 1 : 2}:0:${g}:${dir}:NOQUOTA:${pass}\n`;
  let res = '';
  let added = false;
  for (const line of vpasswdLines(text)) {
    const tok = strtok1(line, ':');
    if (tok == null) segv();
    if (!added && user < tok) {
      added = true;
      res += newLine;
    }
    res += line;
  }
  if (!added) res += newLine;
  writeFileC(f.bak, res);
  renameC(f.bak, f.vpasswd);
  makeVpasswdCdb(a);
  return 0;
}

/**
 * vauth_deluser(): removes every line of that name.
 * @param {string} user
 * @param {Assign} a
 */
export function vauthDeluser(user, a) {
  const f = vpasswdFiles(a);
  touchLock(f.lock);
  let text = readBin(f.vpasswd);
  if (text == null) {
    writeFileC(f.vpasswd, '');
    text = '';
  }
  let res = '';
  for (const line of vpasswdLines(text)) {
    const tok = strtok1(line, ':');
    if (tok == null) segv();
    if (user !== tok) res += line;
  }
  writeFileC(f.bak, res);
  renameC(f.bak, f.vpasswd);
  makeVpasswdCdb(a);
  return 0;
}
