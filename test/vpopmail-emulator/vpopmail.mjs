#!/usr/bin/env node
// Emulator of the vpopmail 5.6.13 command-line programs (cdb backend, clear-text passwords on,
// SHA-512 hashes, users-big-dir hashing on), for tests only. Real vpopmail is not installable
// here; this script reproduces what the golden corpus (test/fixtures/golden, described in
// /work/shared/reference/vpopmail-golden/README.md) shows the real binaries doing: argv handling
// (GNU getopt, including its permutation and vpopmail's "stop at the first unknown option"),
// stdout/stderr text, exit codes, and file effects (vpasswd, vpasswd.cdb, .dir-control,
// .dir_control_free, Maildirs, maildirsize, lastauth, users/assign, users/cdb, control files).
//
// One script, many names: ~vpopmail/bin/<program> are symlinks to this file and it dispatches on
// basename(argv[1]). ~vpopmail is the parent of the bin directory the symlink lives in (the
// symlink is NOT resolved); qmail's home comes from ~vpopmail/etc/emulator.json. Every call appends
// {"argv": [...], "uid": N} to ~vpopmail/etc/emulator-calls.jsonl.
//
// Plain JavaScript, node:* imports only. All strings that hold file contents, argv or paths are
// "binary" strings (one char per byte, latin1) so that bytes round-trip exactly as in C; fs calls
// go through P() which turns them back into Buffers.
//
// Programs: vadduser vmoduser vdeluser vsetuserquota vpasswd vmkpasswd vadddomain vaddaliasdomain
// vdeldomain valias vuserinfo. test/emulator/emulator.test.ts replays the golden sessions against
// them. Like the real ones they find domains in users/cdb (what qmail-newu compiled), not in the
// assign text; the emulator runs qmail-newu's compilation itself when it edits users/assign.
//
// Not reproduced:
// - fcntl locking: the lock files (.vpasswd.lock, *.lock) are created, but no lock is taken;
// - the SIGHUP to qmail-send after domain changes;
// - getpass() always reads stdin, even when there is a controlling terminal;
// - a non-root emulator cannot chown (files stay the caller's), grants vmoduser -S/-E, and skips
//   vuserinfo's setuid to the domain owner (as root that is emulated as an access check);
// - only the shipped password_strength.conf policy (at least one character);
// - of the domain limits, only default_quota, default_maxmsgcount and the disable_* flags;
// - programs outside the list above (vdominfo, vchkpw, vdelivermail, vverifypw, ...).
// Taken from the 5.6 sources rather than from golden captures: morercpthosts (50+ rcpthosts
// lines), vmoduser -q on a whole domain, multi-level user hashing beyond z/, Maildir++ usage of
// subfolders, vadddomain -O.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

// node:crypto is loaded only by the programs that hash or draw random characters (startup time).
const require = createRequire(import.meta.url);
let cryptoModule = null;
const crypto = () => (cryptoModule ??= require('node:crypto'));

const VERSION = '5.6.13';

// ---------------------------------------------------------------------------------------------
// argv, identity, configuration
// ---------------------------------------------------------------------------------------------

const toBin = (s) => Buffer.from(s, 'utf8').toString('latin1');
const P = (p) => Buffer.from(p, 'latin1');

/** The raw argv (script path as given to the interpreter, then the arguments) from /proc. */
function rawArgv() {
  const n = process.argv.length - 1; // script + args
  try {
    const parts = fs.readFileSync('/proc/self/cmdline').toString('latin1').split('\0');
    if (parts.length && parts[parts.length - 1] === '') parts.pop();
    if (parts.length >= n + 1) {
      const tail = parts.slice(parts.length - n);
      // Sanity: the script argument must be the one node is running.
      if (path.resolve(Buffer.from(tail[0], 'latin1').toString('utf8')) === process.argv[1]) return tail;
    }
  } catch {
    // no /proc: fall back to node's decoding
  }
  return [toBin(process.argv[1]), ...process.argv.slice(2).map(toBin)];
}

const SCRIPT_PATH = process.argv[1]; // absolute, symlink not resolved
const PROG = path.basename(SCRIPT_PATH);
const ARGV = rawArgv(); // ARGV[0] is argv[0] as the caller wrote it (used in getopt messages)
const VHOME = toBin(path.dirname(path.dirname(SCRIPT_PATH)));
const IS_ROOT = typeof process.geteuid === 'function' && process.geteuid() === 0;

function loadConfig() {
  try {
    return JSON.parse(fs.readFileSync(P(`${VHOME}/etc/emulator.json`), 'utf8'));
  } catch {
    return {};
  }
}
const CFG = loadConfig();
const QHOME = toBin(CFG.qmailHome ?? '/var/qmail');
const VPOPMAILUID = CFG.vpopmailUid ?? 89;
const VPOPMAILGID = CFG.vpopmailGid ?? 89;
const PASSWD_FILE = CFG.passwdFile ?? '/etc/passwd';

function logCall() {
  try {
    fs.mkdirSync(P(`${VHOME}/etc`), { recursive: true });
    const line = JSON.stringify({ argv: [process.argv[1], ...process.argv.slice(2)], uid: process.getuid() });
    fs.appendFileSync(P(`${VHOME}/etc/emulator-calls.jsonl`), `${line}\n`);
  } catch {
    // logging must never change the program's behaviour
  }
}

// ---------------------------------------------------------------------------------------------
// output, exit, crash
// ---------------------------------------------------------------------------------------------

function writeAll(fd, s) {
  const buf = Buffer.from(s, 'latin1');
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if (e.code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (e.code === 'EPIPE') return;
      throw e;
    }
  }
}
const out = (s) => writeAll(1, s);
const err = (s) => writeAll(2, s);

class Exit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}
/** vpopmail's vexit(): exit(code), so -1 is 255, -10 is 246 and so on. */
function vexit(code) {
  throw new Exit(((code % 256) + 256) % 256);
}
/** Where the real program dereferences garbage (blank/comment vpasswd lines) it dies of SIGSEGV. */
function segv() {
  process.kill(process.pid, 'SIGSEGV');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
  process.exit(139);
}

// ---------------------------------------------------------------------------------------------
// small C-like helpers
// ---------------------------------------------------------------------------------------------

const lower = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const upper = (s) => s.replace(/[a-z]/g, (c) => c.toUpperCase());

/** atoi/atol: leading blanks, sign, digits; saturates like strtol, then truncates to int. */
function strtoll(s) {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(s);
  if (!m || m[2] === '') return 0n;
  let v = BigInt(m[2]);
  if (m[1] === '-') v = -v;
  const max = (1n << 63n) - 1n;
  const min = -(1n << 63n);
  if (v > max) v = max;
  if (v < min) v = min;
  return v;
}
const atoi = (s) => Number(BigInt.asIntN(32, strtoll(s ?? '')));
const atolUnsigned = (s) => BigInt.asUintN(64, strtoll(s ?? ''));

/** strtok(s, delims) first token, or null. */
function strtok1(s, delims) {
  let i = 0;
  while (i < s.length && delims.includes(s[i])) i++;
  if (i >= s.length) return null;
  let j = i;
  while (j < s.length && !delims.includes(s[j])) j++;
  return s.slice(i, j);
}

/** fgets() over a whole file: chunks of at most size-1 bytes, each ending after its '\n' if any. */
function fgetsChunks(text, size) {
  const res = [];
  const max = size - 1;
  let i = 0;
  while (i < text.length) {
    const nl = text.indexOf('\n', i);
    const end = nl < 0 ? text.length : nl + 1;
    const j = end - i > max ? i + max : end;
    res.push(text.slice(i, j));
    i = j;
  }
  return res;
}

function readBin(p) {
  try {
    return fs.readFileSync(P(p)).toString('latin1');
  } catch {
    return null;
  }
}
function readBuf(p) {
  try {
    return fs.readFileSync(P(p));
  } catch {
    return null;
  }
}
function lstatOrNull(p) {
  try {
    return fs.lstatSync(P(p));
  } catch {
    return null;
  }
}
function statOrNull(p) {
  try {
    return fs.statSync(P(p));
  } catch {
    return null;
  }
}
/** fopen(p, "w+"): creates with 0666 & ~umask, truncates an existing file (mode kept). */
function writeFileC(p, content, mode = 0o666) {
  const fd = fs.openSync(P(p), 'w', mode);
  try {
    fs.writeSync(fd, Buffer.from(content, 'latin1'));
  } finally {
    fs.closeSync(fd);
  }
}
/** open(p, O_WRONLY|O_CREAT, 0600), as vpopmail does for its lock files. */
function touchLock(p) {
  try {
    fs.closeSync(fs.openSync(P(p), fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o600));
    return true;
  } catch {
    return false;
  }
}
function renameC(a, b) {
  try {
    fs.renameSync(P(a), P(b));
    return true;
  } catch {
    return false;
  }
}
function unlinkC(p) {
  try {
    fs.unlinkSync(P(p));
    return true;
  } catch {
    return false;
  }
}
/** chown() as root; a non-root emulator cannot give files away and silently skips it. */
function chownC(p, uid, gid) {
  if (!IS_ROOT) return;
  try {
    fs.chownSync(P(p), uid, gid);
  } catch {
    // like the C code, failures are ignored
  }
}
function mkdirC(p, mode = 0o750) {
  try {
    fs.mkdirSync(P(p), mode);
    return 0;
  } catch (e) {
    return e.code || 'EIO';
  }
}
/** r_chown(): recursive chown of a tree. */
function rChown(p, uid, gid) {
  if (!IS_ROOT) return;
  chownC(p, uid, gid);
  let entries;
  try {
    entries = fs.readdirSync(P(p), { withFileTypes: true, encoding: 'buffer' });
  } catch {
    return;
  }
  for (const e of entries) {
    const child = `${p}/${e.name.toString('latin1')}`;
    if (e.isDirectory()) rChown(child, uid, gid);
    else chownC(child, uid, gid);
  }
}
/** r_mkdir(): mkdir -p of a relative hash path under base, chowning what it creates. */
function rMkdir(base, rel, uid, gid) {
  if (rel === '') return 0;
  for (let i = 1; ; i++) {
    if (i === rel.length || rel[i] === '/') {
      const sub = `${base}/${rel.slice(0, i)}`;
      const r = mkdirC(sub);
      if (r === 0) chownC(sub, uid, gid);
      else if (r !== 'EEXIST') {
        err(`${ARGV[0]}: Unable to create directory ${rel.slice(0, i)}: : ${r}\n`);
        return -1;
      }
      if (i === rel.length) break;
    }
  }
  const st = statOrNull(`${base}/${rel}`);
  if (!st || !st.isDirectory()) return -1;
  return 0;
}
/** vdelfiles(): rm -rf, failing when the path cannot be lstat'ed. */
function vdelfiles(p) {
  const st = lstatOrNull(p);
  if (!st) return -1;
  try {
    if (!st.isDirectory()) fs.unlinkSync(P(p));
    else fs.rmSync(P(p), { recursive: true, force: true });
    return 0;
  } catch {
    return -1;
  }
}

// ---------------------------------------------------------------------------------------------
// GNU getopt (permuting, as glibc does without POSIXLY_CORRECT)
// ---------------------------------------------------------------------------------------------

function makeGetopt(args, optstring) {
  const argv = args.slice();
  const argc = argv.length;
  let spec = optstring;
  let posixly = !!process.env.POSIXLY_CORRECT;
  if (spec.startsWith('+')) {
    posixly = true;
    spec = spec.slice(1);
  }
  const kinds = new Map();
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i];
    if (c === ':') continue;
    let k = 0;
    if (spec[i + 1] === ':') {
      k = spec[i + 2] === ':' ? 2 : 1;
    }
    kinds.set(c, k);
  }
  const state = { optind: 1, optarg: null, argv };
  let nextchar = '';
  let first = 1;
  let last = 1;
  const nonoption = (s) => s[0] !== '-' || s.length === 1;
  function exchange() {
    const bottom = first;
    const middle = last;
    const top = state.optind;
    const nonopts = argv.slice(bottom, middle);
    const opts = argv.slice(middle, top);
    argv.splice(bottom, top - bottom, ...opts, ...nonopts);
    first += state.optind - last;
    last = state.optind;
  }
  state.next = function next() {
    state.optarg = null;
    if (nextchar === '') {
      if (last > state.optind) last = state.optind;
      if (first > state.optind) first = state.optind;
      if (!posixly) {
        if (first !== last && last !== state.optind) exchange();
        else if (last !== state.optind) first = state.optind;
        while (state.optind < argc && nonoption(argv[state.optind])) state.optind++;
        last = state.optind;
      }
      if (state.optind !== argc && argv[state.optind] === '--') {
        state.optind++;
        if (first !== last && last !== state.optind) exchange();
        else if (first === last) first = state.optind;
        last = argc;
        state.optind = argc;
      }
      if (state.optind === argc) {
        if (first !== last) state.optind = first;
        return -1;
      }
      if (nonoption(argv[state.optind])) return -1; // POSIXLY_CORRECT
      nextchar = argv[state.optind].slice(1);
    }
    const c = nextchar[0];
    nextchar = nextchar.slice(1);
    if (nextchar === '') state.optind++;
    if (!kinds.has(c)) {
      err(`${ARGV[0]}: invalid option -- '${c}'\n`);
      return '?';
    }
    const k = kinds.get(c);
    if (k === 2) {
      if (nextchar !== '') {
        state.optarg = nextchar;
        state.optind++;
      }
      nextchar = '';
    } else if (k === 1) {
      if (nextchar !== '') {
        state.optarg = nextchar;
        state.optind++;
      } else if (state.optind === argc) {
        err(`${ARGV[0]}: option requires an argument -- '${c}'\n`);
        nextchar = '';
        return '?';
      } else {
        state.optarg = argv[state.optind++];
      }
      nextchar = '';
    }
    return c;
  };
  return state;
}

// ---------------------------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------------------------

const VA = {
  ILLEGAL_USERNAME: -1,
  USERNAME_EXISTS: -2,
  BAD_DIR: -3,
  BAD_U_DIR: -4,
  BAD_D_DIR: -5,
  BAD_V_DIR: -6,
  EXIST_U_DIR: -7,
  USER_DOES_NOT_EXIST: -10,
  DOMAIN_DOES_NOT_EXIST: -11,
  INVALID_DOMAIN_NAME: -12,
  DOMAIN_ALREADY_EXISTS: -13,
  COULD_NOT_MAKE_DOMAIN_DIR: -14,
  COULD_NOT_OPEN_QMAIL_DEFAULT: -15,
  CAN_NOT_MAKE_DOMAINS_DIR: -16,
  COULD_NOT_UPDATE_FILE: -17,
  BAD_CHAR: -20,
  BAD_UID: -22,
  NO_AUTH_CONNECTION: -23,
  USER_NAME_TOO_LONG: -25,
  DOMAIN_NAME_TOO_LONG: -26,
  PASSWD_TOO_LONG: -27,
  GECOS_TOO_LONG: -28,
  QUOTA_TOO_LONG: -29,
  DIR_TOO_LONG: -30,
  CLEAR_PASSWD_TOO_LONG: -31,
  ALIAS_LINE_TOO_LONG: -32,
  CANNOT_READ_LIMITS: -36,
  CANNOT_READ_ASSIGN: -37,
  CANNOT_DELETE_CATCHALL: -55,
  PASSWD_REQUIRES_MORE_CHARS: -70,
};
const POLICY_TEXT = 'Passwords must be at least one character long';

function verror(code) {
  switch (code) {
    case 0: return 'Success';
    case VA.ILLEGAL_USERNAME: return 'Illegal username';
    case VA.USERNAME_EXISTS: return 'Username exists';
    case VA.BAD_DIR: return 'Unable to chdir to vpopmail directory';
    case VA.BAD_U_DIR: return 'Unable to chdir to vpopmail/users directory';
    case VA.BAD_D_DIR: return 'Unable to chdir to vpopmail/domains directory';
    case VA.BAD_V_DIR: return 'Unable to chdir to vpopmail/domains/domain directory';
    case VA.EXIST_U_DIR: return "User's directory already exists";
    case VA.USER_DOES_NOT_EXIST: return 'User does not exist';
    case VA.DOMAIN_DOES_NOT_EXIST: return 'Domain does not exist';
    case VA.INVALID_DOMAIN_NAME: return 'Invalid domain name';
    case VA.DOMAIN_ALREADY_EXISTS: return 'Domain already exists';
    case VA.COULD_NOT_MAKE_DOMAIN_DIR: return 'Could not make domain dir';
    case VA.COULD_NOT_OPEN_QMAIL_DEFAULT: return 'Could not open qmail default';
    case VA.CAN_NOT_MAKE_DOMAINS_DIR: return 'Can not make domains directory';
    case VA.COULD_NOT_UPDATE_FILE: return 'Could not update file';
    case VA.BAD_CHAR: return 'bad character';
    case VA.BAD_UID: return 'running as invalid uid';
    case VA.NO_AUTH_CONNECTION: return 'no authentication database connection';
    case VA.USER_NAME_TOO_LONG: return 'user name too long (max=64)';
    case VA.DOMAIN_NAME_TOO_LONG: return 'domain name too long (max=96)';
    case VA.PASSWD_TOO_LONG: return 'password too long (max=128)';
    case VA.GECOS_TOO_LONG: return 'gecos too long (max=64)';
    case VA.QUOTA_TOO_LONG: return 'quota too long (max=20)';
    case VA.DIR_TOO_LONG: return 'dir too long (max=160)';
    case VA.CLEAR_PASSWD_TOO_LONG: return 'clear password too long (max=128)';
    case VA.ALIAS_LINE_TOO_LONG: return 'alias line too long (max=160)';
    case VA.CANNOT_READ_LIMITS: return "can't read domain limits";
    case VA.CANNOT_READ_ASSIGN: return "can't read users/assign file";
    case VA.CANNOT_DELETE_CATCHALL: return "can't delete catchall account";
    case VA.PASSWD_REQUIRES_MORE_CHARS: return 'password requires more characters ';
    default: return 'Unknown error';
  }
}
const isPolicyError = (code) => code <= -69 && code >= -74;

// ---------------------------------------------------------------------------------------------
// cdb (djb layout; byte-identical to qmail's cdbmake and to tinycdb for these sizes)
// ---------------------------------------------------------------------------------------------

function cdbHash(buf) {
  let h = 5381;
  for (let i = 0; i < buf.length; i++) h = ((h * 33) ^ buf[i]) >>> 0;
  return h >>> 0;
}

/** records: Array<[Buffer key, Buffer data]> in insertion order. */
function cdbMake(records) {
  const parts = [Buffer.alloc(2048)];
  const entries = [];
  let pos = 2048;
  for (const [k, d] of records) {
    const head = Buffer.alloc(8);
    head.writeUInt32LE(k.length, 0);
    head.writeUInt32LE(d.length, 4);
    parts.push(head, k, d);
    entries.push({ h: cdbHash(k), p: pos });
    pos += 8 + k.length + d.length;
  }
  const buckets = Array.from({ length: 256 }, () => []);
  for (const e of entries) buckets[e.h & 255].push(e);
  const header = parts[0];
  for (let b = 0; b < 256; b++) {
    const list = buckets[b];
    const len = list.length * 2;
    header.writeUInt32LE(pos, b * 8);
    header.writeUInt32LE(len, b * 8 + 4);
    if (len === 0) continue;
    const slots = Array.from({ length: len }, () => null);
    for (const e of list) {
      let where = (e.h >>> 8) % len;
      while (slots[where]) if (++where === len) where = 0;
      slots[where] = e;
    }
    const table = Buffer.alloc(len * 8);
    slots.forEach((s, i) => {
      if (!s) return;
      table.writeUInt32LE(s.h, i * 8);
      table.writeUInt32LE(s.p, i * 8 + 4);
    });
    parts.push(table);
    pos += len * 8;
  }
  return Buffer.concat(parts);
}

/** Looks key up in a cdb file's bytes: the data of the first matching record, or null. */
function cdbGet(buf, keyStr) {
  if (!buf || buf.length < 2048) return null;
  const key = Buffer.from(keyStr, 'latin1');
  const h = cdbHash(key);
  const b = h & 255;
  const tpos = buf.readUInt32LE(b * 8);
  const tlen = buf.readUInt32LE(b * 8 + 4);
  if (tlen === 0) return null;
  let slot = (h >>> 8) % tlen;
  for (let n = 0; n < tlen; n++) {
    const off = tpos + slot * 8;
    if (off + 8 > buf.length) return null;
    const sh = buf.readUInt32LE(off);
    const sp = buf.readUInt32LE(off + 4);
    if (sp === 0) return null;
    if (sh === h && sp + 8 <= buf.length) {
      const klen = buf.readUInt32LE(sp);
      const dlen = buf.readUInt32LE(sp + 4);
      if (klen === key.length && buf.subarray(sp + 8, sp + 8 + klen).equals(key)) {
        return buf.subarray(sp + 8 + klen, sp + 8 + klen + dlen).toString('latin1');
      }
    }
    if (++slot === tlen) slot = 0;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// passwords
// ---------------------------------------------------------------------------------------------

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function sha512Crypt(password, salt) {
  const pw = Buffer.from(password, 'latin1');
  const s = Buffer.from(salt, 'latin1').subarray(0, 16);
  const H = () => crypto().createHash('sha512');
  const B = H().update(pw).update(s).update(pw).digest();
  const a = H().update(pw).update(s);
  let n;
  for (n = pw.length; n > 64; n -= 64) a.update(B);
  a.update(B.subarray(0, n));
  for (n = pw.length; n > 0; n >>= 1) a.update(n & 1 ? B : pw);
  let A = a.digest();
  const dp = H();
  for (let i = 0; i < pw.length; i++) dp.update(pw);
  const DP = dp.digest();
  const Pseq = Buffer.alloc(pw.length);
  for (let i = 0; i < pw.length; i++) Pseq[i] = DP[i % 64];
  const ds = H();
  for (let i = 0; i < 16 + A[0]; i++) ds.update(s);
  const Sseq = ds.digest().subarray(0, s.length);
  for (let i = 0; i < 5000; i++) {
    const c = H();
    c.update(i & 1 ? Pseq : A);
    if (i % 3) c.update(Sseq);
    if (i % 7) c.update(Pseq);
    c.update(i & 1 ? A : Pseq);
    A = c.digest();
  }
  let res = '';
  const b64 = (b2, b1, b0, cnt) => {
    let w = (b2 << 16) | (b1 << 8) | b0;
    for (let i = 0; i < cnt; i++) {
      res += ITOA64[w & 0x3f];
      w >>= 6;
    }
  };
  const order = [
    [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48],
    [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13],
    [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
  ];
  for (const [x, y, z] of order) b64(A[x], A[y], A[z], 4);
  b64(0, 0, A[63], 2);
  return `$6$${s.toString('latin1')}$${res}`;
}

function randomFrom(chars, len) {
  let r = '';
  const bytes = crypto().randomBytes(Math.max(len, 1) * 2);
  for (let i = 0; i < len; i++) r += chars[bytes.readUInt16LE(i * 2) % chars.length];
  return r;
}
/** mkpasswd3(): $6$ + 8 random salt characters from ./0-9A-Za-z. */
const mkpasswd3 = (clear) => sha512Crypt(clear, randomFrom(ITOA64, 8));
/** vrandom_pass(): letters, digits and .@!#%* */
const GEN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.@!#%*';
const vrandomPass = (len) => randomFrom(GEN_CHARS, Math.max(0, len));

/** The password_strength.conf shipped with 5.6.13: "Length >= 1". */
function pwStrength(password) {
  return password.length >= 1 ? 0 : VA.PASSWD_REQUIRES_MORE_CHARS;
}

// getpass() without a controlling terminal: prompt on stderr, one line from stdin.
function readStdinLine() {
  const one = Buffer.alloc(1);
  let line = '';
  for (;;) {
    let n;
    try {
      n = fs.readSync(0, one, 0, 1, null);
    } catch (e) {
      if (e.code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (e.code === 'EOF') return line === '' ? null : line;
      return line === '' ? null : line;
    }
    if (n === 0) return line === '' ? null : line;
    const c = one.toString('latin1');
    if (c === '\n') return line;
    line += c;
  }
}
function getpass(prompt) {
  err(prompt);
  const l = readStdinLine();
  return l ?? '';
}
/** vgetpasswd(): asks twice until both answers agree (EOF gives "" twice, which agree). */
function vgetpasswd(who, size = 300) {
  for (;;) {
    const pass = getpass(`Please enter password for ${who}: `).slice(0, size - 1);
    const pass2 = getpass('enter password again: ').slice(0, 127);
    if (pass !== pass2) out('Passwords do not match, try again\n');
    else return pass;
  }
}

// ---------------------------------------------------------------------------------------------
// names and e-mail addresses
// ---------------------------------------------------------------------------------------------

const USER_CHARS = /^[!#$&'*+\-./0-9=?A-Z^_`a-z{|}~]*$/;
const DOMAIN_CHARS = /^[A-Za-z0-9.-]*$/;
const isUsernameValid = (u) => USER_CHARS.test(u);
const isDomainValid = (d) => DOMAIN_CHARS.test(d);

function defaultDomain() {
  const env = process.env.VPOPMAIL_DOMAIN;
  if (env !== undefined) return toBin(env).replace(/[^a-zA-Z0-9_\-.@]/g, '_').slice(0, 96);
  const t = readBin(`${VHOME}/etc/defaultdomain`);
  if (t == null) return '';
  const line = t.slice(0, 96);
  return line.endsWith('\n') ? line.slice(0, -1) : line.split('\n')[0];
}

/** parse_email(): lowercases, splits at '@' (else '%', else '/'), validates both halves. */
function parseEmail(email) {
  const e = lower(email);
  let at = -1;
  for (const c of ['@', '%', '/']) {
    at = e.indexOf(c);
    if (at >= 0) break;
  }
  let user;
  let domain;
  if (at >= 0) {
    user = e.slice(0, at);
    domain = e.slice(at + 1);
  } else {
    user = e;
    domain = '';
  }
  if (!isUsernameValid(user)) {
    err(`user invalid ${user}\n`);
    return { rc: -1, email: e, user, domain };
  }
  if (!isDomainValid(domain)) {
    err(`domain invalid ${domain}\n`);
    return { rc: -1, email: e, user, domain };
  }
  if (domain === '') domain = defaultDomain();
  return { rc: 0, email: e, user, domain };
}

// ---------------------------------------------------------------------------------------------
// users/assign, users/cdb (what qmail-newu makes), control files
// ---------------------------------------------------------------------------------------------

/** vget_assign(): looks the domain up in users/cdb (never in the assign text). */
function vgetAssign(domain) {
  if (domain == null) return null;
  const d = lower(domain);
  if (d === '' || d.length > 156) return null;
  const buf = readBuf(`${QHOME}/users/cdb`);
  const v = cdbGet(buf, `!${d}-`);
  if (v == null) return null;
  const f = v.split('\0');
  return { domain: d, real: f[0] ?? '', uid: atoi(f[1]), gid: atoi(f[2]), dir: f[3] ?? '' };
}

/** qmail-newu: compiles users/assign into users/cdb. */
function qmailNewu() {
  const text = readBin(`${QHOME}/users/assign`);
  if (text == null) {
    err('qmail-newu: fatal: unable to read users/assign: file does not exist\n');
    return 111;
  }
  const records = [];
  let wild = '';
  let i = 0;
  for (;;) {
    if (i >= text.length) {
      err('qmail-newu: fatal: bad format in users/assign\n');
      return 111;
    }
    const nl = text.indexOf('\n', i);
    const match = nl >= 0;
    const line = match ? text.slice(i, nl) : text.slice(i);
    i = match ? nl + 1 : text.length;
    if (line.length && line[0] === '.') break;
    const bad = () => {
      err('qmail-newu: fatal: bad format in users/assign\n');
      return 111;
    };
    if (!match) return bad();
    if (line.includes('\0')) return bad();
    const c = line.indexOf(':');
    if (c < 0 || c === 0) return bad();
    let key;
    if (line[0] === '+') {
      key = lower(`!${line.slice(1, c)}`);
      if (c >= 2 && !wild.includes(line[c - 1])) wild += line[c - 1];
    } else {
      key = lower(`!${line.slice(1, c)}\0`);
    }
    const data = line.slice(c + 1).split('');
    let colons = 0;
    let j;
    for (j = 0; j < data.length; j++) {
      if (data[j] === ':') {
        data[j] = '\0';
        if (++colons === 6) break;
      }
    }
    if (colons < 6) return bad();
    records.push([Buffer.from(key, 'latin1'), Buffer.from(data.slice(0, j).join(''), 'latin1')]);
  }
  records.push([Buffer.alloc(0), Buffer.from(wild, 'latin1')]);
  const tmp = `${QHOME}/users/cdb.tmp`;
  const old = process.umask(0o022);
  try {
    writeFileC(tmp, cdbMake(records).toString('latin1'), 0o644);
  } finally {
    process.umask(old);
  }
  renameC(tmp, `${QHOME}/users/cdb`);
  return 0;
}

/** extract_domain(): the sort key of an assign/rcpthosts/virtualdomains line (rotated labels). */
function extractDomain(line, fileType) {
  let j = fileType === 1 ? 1 : 0;
  let d = '';
  while (j < line.length && line[j] !== ':') d += line[j++];
  if (fileType === 1 && d.length > 0) d = d.slice(0, -1);
  const parts = d.split('.').filter((p) => p !== '').slice(0, 10);
  if (parts.length > 1) {
    const t = parts.pop();
    const u = parts.pop();
    return [u, t, ...parts].join('.');
  }
  return d;
}

function lockFile(file) {
  touchLock(`${file}.lock`);
}

/** update_file(): inserts a line before the first greater key, re-sorting an unsorted file. */
function updateFile(file, newLine, fileType) {
  lockFile(file);
  const newKey = extractDomain(newLine, fileType);
  let text = readBin(file);
  if (text == null) {
    writeFileC(file, '');
    text = '';
  }
  let res = '';
  let hit = false;
  let prv = '';
  let needsort = false;
  let count = 0;
  for (const chunk of fgetsChunks(text, 300)) {
    count++;
    const nl = chunk.indexOf('\n');
    const l = nl >= 0 ? chunk.slice(0, nl) : chunk;
    if (fileType === 1 && l === '.') continue;
    const cur = extractDomain(l, fileType);
    if (!hit && cur > newKey) {
      hit = true;
      res += `${newLine}\n`;
    }
    if (prv > cur) needsort = true;
    prv = cur;
    res += `${l}\n`;
  }
  if (!hit) res += `${newLine}\n`;
  if (fileType === 1) res += '.\n';
  const tmp = `${file}.${process.pid}`;
  writeFileC(tmp, res);
  renameC(tmp, file);
  count++;
  if (needsort) {
    err(`NOTICE: Out of order entries found in ${file}\n   Sorting...\n\n`);
    sortFile(file, fileType);
  }
  return 0;
}

function sortFile(file, fileType) {
  lockFile(file);
  const text = readBin(file) ?? '';
  const rows = [];
  for (const chunk of fgetsChunks(text, 300)) {
    const nl = chunk.indexOf('\n');
    const l = nl >= 0 ? chunk.slice(0, nl) : chunk;
    if (fileType === 1 && l === '.') continue;
    rows.push({ key: extractDomain(l, fileType), value: l });
  }
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let res = rows.map((r) => `${r.value}\n`).join('');
  if (fileType === 1) res += '.\n';
  const tmp = `${file}.${process.pid}`;
  writeFileC(tmp, res);
  renameC(tmp, file);
}

/** remove_lines(): drops every line equal to one of the given strings; returns how many. */
function removeLines(file, lines) {
  lockFile(file);
  let text = readBin(file);
  if (text == null) {
    writeFileC(file, '');
    text = '';
  }
  let res = '';
  let removed = 0;
  for (const chunk of fgetsChunks(text, 300)) {
    const nl = chunk.indexOf('\n');
    const l = nl >= 0 ? chunk.slice(0, nl) : chunk;
    if (lines.includes(l)) removed++;
    else res += `${l}\n`;
  }
  const tmp = `${file}.${process.pid}`;
  writeFileC(tmp, res);
  renameC(tmp, file);
  return removed;
}

function chmodC(p, mode) {
  try {
    fs.chmodSync(P(p), mode);
  } catch {
    // ignored, as in C
  }
}

function countLines(file) {
  const t = readBin(file);
  if (t == null) return 0;
  return fgetsChunks(t, 300).length;
}

/** qmail-newmrh: control/morercpthosts -> control/morercpthosts.cdb */
function qmailNewmrh() {
  const t = readBin(`${QHOME}/control/morercpthosts`) ?? '';
  const recs = t
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => [Buffer.from(lower(l), 'latin1'), Buffer.alloc(0)]);
  const tmp = `${QHOME}/control/morercpthosts.tmp`;
  writeFileC(tmp, cdbMake(recs).toString('latin1'), 0o644);
  renameC(tmp, `${QHOME}/control/morercpthosts.cdb`);
}

function addDomainAssign(aliasDomain, realDomain, dir, uid, gid) {
  const assign = `${QHOME}/users/assign`;
  if (!statOrNull(assign)) writeFileC(assign, '.\n');
  const line = `+${aliasDomain}-:${realDomain}:${uid >>> 0}:${gid >>> 0}:${dir}:-::`.slice(0, 299);
  updateFile(assign, line, 1);
  chmodC(assign, 0o644);
  qmailNewu();
  if (countLines(`${QHOME}/control/rcpthosts`) >= 50) {
    const f = `${QHOME}/control/morercpthosts`;
    updateFile(f, aliasDomain, 2);
    chmodC(f, 0o644);
    if (!OPTIMIZE_ADD_DOMAIN) qmailNewmrh();
  } else {
    const f = `${QHOME}/control/rcpthosts`;
    updateFile(f, aliasDomain, 2);
    chmodC(f, 0o644);
  }
  const vd = `${QHOME}/control/virtualdomains`;
  updateFile(vd, `${aliasDomain}:${aliasDomain}`, 3);
  chmodC(vd, 0o644);
  const locals = `${QHOME}/control/locals`;
  removeLines(locals, [aliasDomain]);
  chmodC(locals, 0o644);
  return 0;
}
let OPTIMIZE_ADD_DOMAIN = false;

function delControl(aliases) {
  const rcpt = `${QHOME}/control/rcpthosts`;
  const r = removeLines(rcpt, aliases);
  if (r === 0) {
    const more = `${QHOME}/control/morercpthosts`;
    if (statOrNull(more)) {
      const m = removeLines(more, aliases);
      if (m > 0) {
        const st = statOrNull(more);
        if (st && st.size === 0) {
          unlinkC(more);
          unlinkC(`${more}.cdb`);
        } else {
          qmailNewmrh();
          chmodC(more, 0o644);
        }
      }
    }
  } else {
    chmodC(rcpt, 0o644);
  }
  const vd = `${QHOME}/control/virtualdomains`;
  removeLines(vd, aliases.map((a) => `${a}:${a}`));
  chmodC(vd, 0o644);
}

function delDomainAssign(aliases, realDomain, dir, uid, gid) {
  const assign = `${QHOME}/users/assign`;
  removeLines(assign, aliases.map((a) => `+${a}-:${realDomain}:${uid >>> 0}:${gid >>> 0}:${dir}:-::`));
  chmodC(assign, 0o644);
  qmailNewu();
}

/** get_domain_entries(match): assign lines (alias and real) whose real domain is match. */
function getDomainEntries(match) {
  const text = readBin(`${QHOME}/users/assign`);
  if (text == null) return null;
  let m = match;
  const a = vgetAssign(m);
  m = a ? a.real : lower(m);
  const res = [];
  for (const chunk of fgetsChunks(text, 300)) {
    if (chunk[0] !== '+') continue;
    const fields = chunk.slice(1).split(':').filter((f) => f !== '');
    const domainField = fields[0];
    if (domainField == null || !domainField.includes('.')) continue;
    const realdomain = fields[1];
    if (realdomain == null) continue;
    if (!domainField.endsWith('-') || domainField.length < 2) continue;
    const entryDomain = domainField.slice(0, -1);
    if (fields[2] == null || fields[3] == null || fields[4] == null) continue;
    if (m === '' || m === realdomain) {
      res.push({ domain: entryDomain, realdomain, uid: atoi(fields[2]), gid: atoi(fields[3]), path: fields[4] });
    }
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// getpwnam/getpwuid from /etc/passwd
// ---------------------------------------------------------------------------------------------

function passwdEntries() {
  const t = readBin(PASSWD_FILE) ?? '';
  return t
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7)
    .map((f) => ({ name: f[0], uid: atoi(f[2]), gid: atoi(f[3]), dir: f[5] }));
}
const getpwnam = (name) => passwdEntries().find((e) => e.name === name) ?? null;
const getpwuid = (uid) => passwdEntries().find((e) => e.uid === uid) ?? null;

// ---------------------------------------------------------------------------------------------
// .dir-control (bigdir.c) and .dir_control_free (backfill.c)
// ---------------------------------------------------------------------------------------------

const DIRLIST = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MAX_DIR_NAME = 300;

/** dc_filename(): the .dir-control for a domain, or for "dom_<uid>" (the domains' own counter). */
function dcFilename(domainKey, uid) {
  const a = vgetAssign(domainKey);
  if (a) return `${a.dir}/.dir-control`;
  if (uid === VPOPMAILUID) return `${VHOME}/domains/.dir-control`;
  const pw = getpwuid(uid);
  if (pw) return `${toBin(pw.dir)}/domains/.dir-control`;
  return '';
}

function initVdir() {
  return {
    cur: 0n,
    levelCur: 0,
    levelMax: 3,
    start: [0, 0, 0],
    end: [61, 61, 61],
    mod: [0, 2, 4],
    index: [0, 0, 0],
    dir: [], // the_dir as a C buffer: characters up to the first '\0'
  };
}
const dirString = (arr) => {
  let s = '';
  for (const c of arr) {
    if (c === undefined || c === '\0') break;
    s += c;
  }
  return s;
};

/** vread_dir_control(), including its bug: the third number of each line repeats the second. */
function readDirControl(file) {
  const v = initVdir();
  const text = file === '' ? null : readBin(file);
  if (text == null) return v;
  const lines = fgetsChunks(text, MAX_DIR_NAME);
  let buf = '';
  let k = 0;
  const fgets = () => {
    if (k < lines.length) buf = lines[k++];
    return buf;
  };
  const three = (line) => {
    const first = atoi(line);
    const sp = line.indexOf(' ');
    const second = sp >= 0 ? atoi(line.slice(sp + 1)) : 0;
    return [first, second, second];
  };
  v.cur = atolUnsigned(fgets());
  v.levelCur = atoi(fgets());
  v.levelMax = atoi(fgets());
  v.start = three(fgets());
  v.end = three(fgets());
  v.mod = three(fgets());
  v.index = three(fgets());
  buf = fgets().replace(/\n/g, '\0');
  buf = fgets().replace(/\n/g, '\0');
  v.dir = dirString(buf.split('')).split('');
  return v;
}

function dirControlText(v) {
  return (
    `${v.cur}\n${v.levelCur}\n${v.levelMax}\n` +
    `${v.start[0]} ${v.start[1]} ${v.start[2]}\n` +
    `${v.end[0]} ${v.end[1]} ${v.end[2]}\n` +
    `${v.mod[0]} ${v.mod[1]} ${v.mod[2]}\n` +
    `${v.index[0]} ${v.index[1]} ${v.index[2]}\n` +
    `${dirString(v.dir)}\n`
  );
}

/** vwrite_dir_control(): "<file>.<pid>", renamed over the file, chowned. */
function writeDirControl(v, file, uid, gid, cwd) {
  const tmp = file === '' ? `${cwd}/.${process.pid}` : `${file}.${process.pid}`;
  try {
    writeFileC(tmp, dirControlText(v));
  } catch {
    return -1;
  }
  if (file !== '') {
    renameC(tmp, file);
    chownC(file, uid, gid);
  }
  return 0;
}

function nextChar(c, start, end) {
  let i;
  for (i = start; i < end + 1 && DIRLIST[i] !== c; ++i);
  ++i;
  if (i >= end + 1) i = start;
  return DIRLIST[i];
}
function incDir(v, level) {
  const pos = v.mod[level];
  const at = v.dir[pos] ?? '\0';
  if (at === DIRLIST[v.end[level]]) {
    v.dir[pos] = DIRLIST[v.start[level]];
    v.index[level] = v.start[level];
    if (level > 0) incDir(v, level - 1);
  } else {
    while (v.dir.length < pos) v.dir.push('\0');
    v.dir[pos] = nextChar(at, v.start[level], v.end[level]);
    ++v.index[level];
  }
}
function incDirControl(v) {
  v.cur = BigInt.asUintN(64, v.cur + 1n);
  if (v.cur % 100n === 0n) {
    if (dirString(v.dir).length === 0) {
      v.dir = [DIRLIST[v.start[0]]];
      return;
    }
    if (v.index[v.levelCur] === v.end[v.levelCur]) {
      switch (v.levelCur) {
        case 0:
          incDir(v, v.levelCur);
          ++v.levelCur;
          v.dir = [...dirString(v.dir).split(''), '/'];
          break;
        case 1:
          if (v.index[0] === v.end[0] && v.index[1] === v.end[1]) {
            incDir(v, v.levelCur);
            ++v.levelCur;
            v.dir = [...dirString(v.dir).split(''), '/'];
          }
          break;
        default:
          break;
      }
    }
    incDir(v, v.levelCur);
  }
}

/** open_big_dir + next_big_dir + close_big_dir: the hash subdirectory for the next entry. */
function nextBigDir(domainKey, uid, gid, baseDir) {
  const file = dcFilename(domainKey, uid);
  const v = readDirControl(file);
  incDirControl(v);
  const hash = dirString(v.dir);
  if (hash !== '') rMkdir(baseDir, hash, uid, gid);
  writeDirControl(v, file, uid, gid, baseDir);
  return hash;
}

function decDirControl(domainKey, uid, gid, cwd) {
  const file = dcFilename(domainKey, uid);
  const v = readDirControl(file);
  v.cur = BigInt.asUintN(64, v.cur - 1n);
  writeDirControl(v, file, uid, gid, cwd);
}

/** backfill(..., 1): takes the oldest freed slot from .dir_control_free, or null. */
function backfillTake(domain) {
  const a = vgetAssign(domain);
  if (!a) {
    err(`${domain}: No such domain\n`);
    return null;
  }
  const file = `${a.dir}/.dir_control_free`;
  const text = readBin(file);
  if (text == null) return null;
  let slot = null;
  let lineNo = 0;
  for (const chunk of fgetsChunks(text, 298)) {
    lineNo++;
    if (!chunk.endsWith('\n')) {
      err(`Line No ${lineNo} in ${file} Exceeds 298 chars\n`);
      return null;
    }
    let l = chunk;
    const hashPos = l.indexOf('#');
    if (hashPos >= 0) l = l.slice(0, hashPos);
    const trimmed = l.replace(/^[ \t\n\v\f\r]+/, '');
    if (trimmed === '') continue;
    slot = hashPos >= 0 ? trimmed : trimmed.slice(0, -1);
    break;
  }
  if (slot == null) return null;
  // remove_line(slot, file, 0644, once_only)
  const st = statOrNull(file);
  if (!st) return null;
  touchLock(`${file}.lock`);
  const bak = `${file}.bak`;
  if (!renameC(file, bak)) return null;
  let found = 0;
  let res = '';
  for (const chunk of fgetsChunks(readBin(bak) ?? '', 300)) {
    const nl = chunk.indexOf('\n');
    const l = nl >= 0 ? chunk.slice(0, nl) : chunk;
    if (found) {
      res += `${l}\n`;
      continue;
    }
    if (l.startsWith(slot)) found++;
    else res += `${l}\n`;
  }
  writeFileC(file, res);
  chmodC(file, 0o644);
  if (IS_ROOT) chownC(file, st.uid, st.gid);
  unlinkC(bak);
  if (found !== 1) return null;
  const dc = `${a.dir}/.dir-control`;
  const v = readDirControl(dc);
  if (v.cur) v.cur = BigInt.asUintN(64, v.cur + 1n);
  writeDirControl(v, dc, a.uid, a.gid, a.dir);
  return slot;
}

/** backfill(..., 2): records the hashed slot a deleted user leaves free. */
function backfillRecord(username, domain, userPath) {
  const a = vgetAssign(domain);
  if (!a) {
    err(`${domain}: No such domain\n`);
    return;
  }
  let t = userPath;
  const u = t.indexOf(username);
  if (u >= 0) {
    const p = u !== 0 ? u - 1 : 0;
    if (t[p] === '/') t = t.slice(0, p);
  }
  const d = t.indexOf(domain);
  if (d < 0) return;
  let rest = t.slice(d + domain.length);
  if (rest[0] === '/') rest = rest.slice(1);
  if (rest === '') return;
  const file = `${a.dir}/.dir_control_free`;
  touchLock(`${file}.lock`);
  try {
    fs.appendFileSync(P(file), Buffer.from(`${rest}\n`, 'latin1'), { mode: 0o666 });
  } catch {
    // ignored
  }
}

// ---------------------------------------------------------------------------------------------
// vpasswd / vpasswd.cdb (vcdb.c)
// ---------------------------------------------------------------------------------------------

let NO_MAKE_INDEX = false;

function vpasswdFiles(a) {
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
const vpasswdLines = (text) => fgetsChunks(text, text.length + 2);

/** make_vpasswd_cdb(): one record per complete line, in file order; crashes on lines without ':'. */
function makeVpasswdCdb(a) {
  if (NO_MAKE_INDEX) return 0;
  const f = vpasswdFiles(a);
  const text = readBin(f.vpasswd);
  if (text == null) return -1;
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

/** Parses "name:" + cdb data the way vauth_getpw does: missing fields are empty, the clear
 *  password is the rest of the line (it may contain ':'). */
function parsePwRecord(name, data) {
  const f = `${name}:${data}`.split(':');
  const field = (i) => f[i] ?? '';
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

/** vauth_getpw(): single-user lookups read vpasswd.cdb only (rebuilt only when missing). */
function vauthGetpw(user, domain) {
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
  const pw = parsePwRecord(u, data);
  pw.flags = pw.gid;
  vlimitsSetflags(pw, a);
  return pw;
}

/** vgetent() over the vpasswd text: stops at the first line with fewer than six colons. */
function vauthGetall(domain) {
  const a = vgetAssign(domain);
  if (!a) return [];
  const text = readBin(`${a.dir}/vpasswd`);
  if (text == null) return [];
  const res = [];
  for (const line of vpasswdLines(text)) {
    if ((line.match(/:/g) ?? []).length < 6) break;
    let rest = line;
    const upto = (stops) => {
      let i = 0;
      while (i < rest.length && !stops.includes(rest[i])) i++;
      const v = rest.slice(0, i);
      rest = i < rest.length ? rest.slice(i + 1) : '';
      return v;
    };
    const pw = {};
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

/** vcdb_strip_char(): drops ':' without shortening the string (the last bytes repeat). */
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

function vcheckVqpw(pw) {
  if (pw.name.length > 64) return VA.USER_NAME_TOO_LONG;
  if (pw.passwd.length > 128) return VA.PASSWD_TOO_LONG;
  if (pw.gecos.length > 64) return VA.GECOS_TOO_LONG;
  if (pw.dir.length > 160) return VA.DIR_TOO_LONG;
  if (pw.shell.length > 20) return VA.QUOTA_TOO_LONG;
  if (pw.clear.length > 128) return VA.CLEAR_PASSWD_TOO_LONG;
  return 0;
}

/** vauth_setpw(): rewrites every line of that name through vpasswd.bak.<pid>, then the cdb. */
function vauthSetpw(pw, domain) {
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

/** vauth_adduser(): the new line goes before the first strcmp-greater name. */
function vauthAdduser(user, a, pass, gecos, hash, apop) {
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

/** vauth_deluser(): removes every line of that name. */
function vauthDeluser(user, a) {
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

// ---------------------------------------------------------------------------------------------
// limits (vlimits.c, file backend) and quotas
// ---------------------------------------------------------------------------------------------

const FLAG = {
  NO_PASSWD_CHNG: 0x01,
  NO_POP: 0x02,
  NO_WEBMAIL: 0x04,
  NO_IMAP: 0x08,
  BOUNCE_MAIL: 0x10,
  NO_RELAY: 0x20,
  NO_DIALUP: 0x40,
  V_USER0: 0x80,
  V_USER1: 0x100,
  V_USER2: 0x200,
  V_USER3: 0x400,
  NO_SMTP: 0x800,
  QA_ADMIN: 0x1000,
  V_OVERRIDE: 0x2000,
  NO_SPAMASSASSIN: 0x4000,
  DELETE_SPAM: 0x8000,
  SA_ADMIN: 0x10000,
  SA_EXPERT: 0x20000,
  NO_MAILDROP: 0x40000,
};
const LIMIT_FLAGS = {
  disable_pop: FLAG.NO_POP,
  disable_imap: FLAG.NO_IMAP,
  disable_dialup: FLAG.NO_DIALUP,
  disable_password_changing: FLAG.NO_PASSWD_CHNG,
  disable_webmail: FLAG.NO_WEBMAIL,
  disable_external_relay: FLAG.NO_RELAY,
  disable_smtp: FLAG.NO_SMTP,
  disable_spamassassin: FLAG.NO_SPAMASSASSIN,
  delete_spam: FLAG.DELETE_SPAM,
  disable_maildrop: FLAG.NO_MAILDROP,
};

/** vget_limits(): the domain's .qmailadmin-limits, else ~vpopmail/etc/vlimits.default. */
function vgetLimits(a) {
  let text = readBin(`${a.dir}/.qmailadmin-limits`);
  if (text == null) text = readBin(`${VHOME}/etc/vlimits.default`);
  if (text == null) return null;
  const lim = { defaultQuota: 0n, defaultMaxMsgCount: 0n, flags: 0 };
  for (const raw of text.split('\n')) {
    const l = raw.replace(/#.*/, '').trim();
    if (!l) continue;
    const m = /^([^\s:]+)\s*:?\s*(.*)$/.exec(l);
    if (!m) continue;
    const key = m[1];
    const val = m[2];
    if (key === 'default_quota') lim.defaultQuota = strtoll(val);
    else if (key === 'default_maxmsgcount') lim.defaultMaxMsgCount = strtoll(val);
    else if (key in LIMIT_FLAGS && (val === '' || strtoll(val) !== 0n)) lim.flags |= LIMIT_FLAGS[key];
  }
  return lim;
}
function vlimitsSetflags(pw, a) {
  if (pw.gid & FLAG.V_OVERRIDE) return;
  const lim = vgetLimits(a);
  if (lim) pw.flags = pw.gid | lim.flags;
}

/** format_maildirquota() of 5.6: bytes with K/M (no G), counts with an uppercase C. */
function formatMaildirquota(q) {
  if (q === 'NOQUOTA') return 'NOQUOTA';
  let size = 0n;
  let count = 0n;
  for (const part of q.split(',')) {
    if (part.endsWith('C')) {
      count = strtoll(part);
      continue;
    }
    let p = part;
    if (/[Ss]$/.test(p)) p = p.slice(0, -1);
    if (/[Bb]$/.test(p)) p = p.slice(0, -1);
    let v = strtoll(p);
    const unit = /[kKmM]/.exec(p);
    if (unit) v = BigInt.asIntN(64, v * (/[kK]/.test(unit[0]) ? 1024n : 1048576n));
    size = v;
  }
  const res = [];
  if (size !== 0n) res.push(`${size}S`);
  if (count !== 0n) res.push(`${count}C`);
  return res.join(',');
}

function parseQuota(q) {
  let size = 0n;
  let count = 0n;
  for (const part of q.split(',')) {
    if (part.endsWith('S')) size = strtoll(part);
    else if (part.endsWith('C')) count = strtoll(part);
  }
  return { size, count };
}

/** Maildir++ usage: sizes (",S=" when present) and count of cur/ and new/ in every folder but Trash. */
function maildirUsage(maildir) {
  let bytes = 0n;
  let count = 0n;
  const countDir = (d) => {
    let names;
    try {
      names = fs.readdirSync(P(d), { encoding: 'buffer' }).map((b) => b.toString('latin1'));
    } catch {
      return;
    }
    for (const n of names) {
      if (n.startsWith('.')) continue;
      const m = /,S=(\d+)/.exec(n);
      if (m) bytes += BigInt(m[1]);
      else {
        const st = statOrNull(`${d}/${n}`);
        if (!st || !st.isFile()) continue;
        bytes += BigInt(st.size);
      }
      count++;
    }
  };
  const folders = [maildir];
  try {
    for (const b of fs.readdirSync(P(maildir), { encoding: 'buffer' })) {
      const n = b.toString('latin1');
      if (!n.startsWith('.') || n === '.' || n === '..' || n === '.Trash') continue;
      const st = statOrNull(`${maildir}/${n}`);
      if (st && st.isDirectory()) folders.push(`${maildir}/${n}`);
    }
  } catch {
    // no Maildir
  }
  for (const f of folders) {
    countDir(`${f}/cur`);
    countDir(`${f}/new`);
  }
  return { bytes, count };
}

/** update_maildirsize(): removes maildirsize and, unless NOQUOTA/empty, writes it with usage. */
function updateMaildirsize(domain, dir, quota) {
  const file = `${dir}/Maildir/maildirsize`;
  unlinkC(file);
  if (quota === 'NOQUOTA' || quota === '') return;
  const a = vgetAssign(domain);
  if (!a) return;
  if (!statOrNull(`${dir}/Maildir`)) return;
  const u = maildirUsage(`${dir}/Maildir`);
  const old = process.umask(0o077);
  try {
    writeFileC(file, `${quota}\n${u.bytes} ${u.count}\n`, 0o600);
  } catch {
    return;
  } finally {
    process.umask(old);
  }
  chownC(file, a.uid, a.gid);
}

function vmaildirReadquota(maildir, quota) {
  const q = parseQuota(quota);
  const u = maildirUsage(maildir);
  let pct = 0n;
  if (q.size > 0n) pct = (u.bytes * 100n) / q.size;
  if (q.count > 0n) {
    const c = (u.count * 100n) / q.count;
    if (c > pct) pct = c;
  }
  return pct;
}

/** vsetuserquota() of the library. */
function vsetuserquotaLib(username, domain, quota) {
  if (username.length > 64) return VA.USER_NAME_TOO_LONG;
  if (username.length === 1) return VA.ILLEGAL_USERNAME;
  if (domain.length > 96) return VA.DOMAIN_NAME_TOO_LONG;
  if (quota.length > 20) return VA.QUOTA_TOO_LONG;
  const user = lower(username);
  const dom = lower(domain);
  const mypw = vauthGetpw(user, dom);
  if (!mypw) return VA.USER_DOES_NOT_EXIST;
  const formatted = formatMaildirquota(quota);
  // vauth_setquota()
  if (formatted.length > 20) return VA.QUOTA_TOO_LONG;
  const vpw = vauthGetpw(user, dom);
  if (!vpw) return VA.USER_DOES_NOT_EXIST;
  vpw.shell = formatted;
  const ret = vauthSetpw(vpw, dom);
  if (ret !== 0) return ret;
  updateMaildirsize(dom, mypw.dir, formatted);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// users
// ---------------------------------------------------------------------------------------------

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

/** make_user_dir(): the user's directory, hashed as users-big-dir does, with its Maildir. */
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

/** vadduser() of the library. */
function vadduserLib(username, domain, password, gecos, apop) {
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
    quota = limits.defaultMaxMsgCount > 0n ? `${limits.defaultQuota}S,${limits.defaultMaxMsgCount}C` : `${limits.defaultQuota}S`;
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

/** isCatchall(): is the account the target of the domain's .qmail-default? */
function isCatchall(user, domain, dir) {
  const text = readBin(`${dir}/.qmail-default`);
  if (text == null) return false;
  const first = text.split('\n')[0];
  if (!first.includes('vdelivermail')) return false;
  const q = first.indexOf("''");
  if (q < 0) return false;
  const sp = first.indexOf(' ', q);
  if (sp < 0) return false;
  const action = first.slice(sp).replace(/^[ \t]+/, '').replace(/[ \t]+$/, '');
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

/** vdeluser() of the library. */
function vdeluserLib(username, domain) {
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

/** vpasswd() of the library. */
function vpasswdLib(username, domain, password) {
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

// ---------------------------------------------------------------------------------------------
// domains
// ---------------------------------------------------------------------------------------------

/** vadddomain() of the library. */
function vadddomainLib(domainIn, dir, uid, gid) {
  const domain = lower(domainIn);
  if (domain.length < 3) return { rc: VA.INVALID_DOMAIN_NAME };
  if (domain.length > 96) return { rc: VA.DOMAIN_NAME_TOO_LONG };
  for (let i = 0; i < domain.length; i++) {
    if (i === 0 && domain[i] === '-') return { rc: VA.INVALID_DOMAIN_NAME };
    if (!/[A-Za-z0-9.-]/.test(domain[i])) return { rc: VA.INVALID_DOMAIN_NAME };
  }
  if (domain[domain.length - 1] === '-') return { rc: VA.INVALID_DOMAIN_NAME };
  // 5.6: a dot, no empty label, a TLD of 2 to 63 characters
  if (!domain.includes('.') || domain.includes('..')) return { rc: VA.INVALID_DOMAIN_NAME };
  const tld = domain.slice(domain.lastIndexOf('.') + 1);
  if (tld.length < 2 || tld.length > 63) return { rc: VA.INVALID_DOMAIN_NAME };
  if (vgetAssign(domain)) return { rc: VA.DOMAIN_ALREADY_EXISTS };
  process.umask(0o077);
  if (!statOrNull(dir)?.isDirectory()) return { rc: VA.BAD_V_DIR };
  const domainsDir = `${dir}/domains`;
  if (!statOrNull(domainsDir)?.isDirectory()) {
    if (mkdirC(domainsDir) !== 0) return { rc: VA.CAN_NOT_MAKE_DOMAINS_DIR };
    chownC(domainsDir, uid, gid);
    if (!statOrNull(domainsDir)?.isDirectory()) return { rc: VA.BAD_D_DIR };
  }
  const key = `dom_${uid >>> 0}`;
  const hash = nextBigDir(key, uid, gid, domainsDir);
  const sub = hash !== '' ? `${hash}/${domain}` : domain;
  if (dir.length + 'domains'.length + sub.length > 160) {
    decDirControl(key, uid, gid, domainsDir);
    return { rc: VA.DIR_TOO_LONG };
  }
  if (rMkdir(domainsDir, sub, uid, gid) !== 0) {
    decDirControl(key, uid, gid, domainsDir);
    return { rc: VA.COULD_NOT_MAKE_DOMAIN_DIR };
  }
  const full = `${dir}/domains/${sub}`;
  try {
    writeFileC(`${full}/.qmail-default`, `| ${VHOME}/bin/vdelivermail '' delete\n`);
  } catch {
    vdelfiles(full);
    decDirControl(key, uid, gid, domainsDir);
    return { rc: VA.COULD_NOT_OPEN_QMAIL_DEFAULT };
  }
  addDomainAssign(domain, domain, full, uid, gid);
  rChown(full, uid, gid);
  return { rc: 0, domain };
}

/** vdeldomain() of the library. */
function vdeldomainLib(domainIn) {
  const domain = lower(domainIn);
  if (domain.length > 96) return VA.DOMAIN_NAME_TOO_LONG;
  const a = vgetAssign(domain);
  if (!a) return VA.DOMAIN_DOES_NOT_EXIST;
  let aliases;
  if (a.real !== domain) {
    aliases = [domain];
  } else {
    if (!statOrNull(a.dir)) err(`Warning: Could not access (${a.dir})\n`);
    const entries = getDomainEntries(domain);
    if (entries == null) err(`${verror(VA.CANNOT_READ_ASSIGN)}\n`);
    else if (entries.length === 0) err(`${verror(VA.DOMAIN_DOES_NOT_EXIST)}\n`);
    aliases = (entries ?? []).map((e) => e.domain);
    unlinkC(`${a.dir}/.qmailadmin-limits`);
    if (!unlinkC(`${a.dir}/.dir-control`)) err(`Warning: Failed to delete dir_control for ${domain}\n`);
    const lst = lstatOrNull(a.dir);
    if (lst && lst.isSymbolicLink()) {
      if (!unlinkC(a.dir)) err(`Warning: Failed to remove symlink for ${domain}\n`);
    } else if (vdelfiles(a.dir) !== 0) {
      err(`Warning: Failed to delete directory tree: ${domain}\n`);
    }
    const parent = path.posix.dirname(a.dir);
    decDirControl(`dom_${a.uid >>> 0}`, a.uid, a.gid, parent);
  }
  delControl(aliases);
  delDomainAssign(aliases, a.real, a.dir, a.uid, a.gid);
  return 0;
}

/** vaddaliasdomain() of the library. */
function vaddaliasdomainLib(aliasIn, realIn) {
  const alias = lower(aliasIn);
  const real = lower(realIn);
  if (!isDomainValid(real)) return VA.INVALID_DOMAIN_NAME;
  if (!isDomainValid(alias)) return VA.INVALID_DOMAIN_NAME;
  if (alias.length >= 96) return VA.DOMAIN_NAME_TOO_LONG;
  if (vgetAssign(alias)) return VA.DOMAIN_ALREADY_EXISTS;
  const a = vgetAssign(real);
  if (!a) return VA.DOMAIN_DOES_NOT_EXIST;
  if (alias === a.real) {
    out('Error. alias and real domain are the same\n');
    return VA.DOMAIN_ALREADY_EXISTS;
  }
  addDomainAssign(alias, a.real, a.dir, a.uid, a.gid);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// the programs
// ---------------------------------------------------------------------------------------------

const VADDUSER_USAGE =
  'vadduser: usage: [options] email_address [passwd]\n' +
  'options: -v (print the version)\n' +
  '         -q quota_in_bytes (sets the users quota, use NOQUOTA for unlimited)\n' +
  '         -c comment (sets the gecos comment field)\n' +
  '         -e standard_encrypted_password\n' +
  "            (MD5 '$1$', SHA-512 '$6$', etc.)\n" +
  '            NOTE: Wrap the password in single quotes to prevent shell expansion:\n' +
  "                  vadduser -e '$6$...hashed_password...' user@domain\n" +
  '         -r[len] (generate a len (default 12) char random password)\n' +
  '\nExamples:\n' +
  '  vadduser user@domain                      # prompt for cleartext password\n' +
  "  vadduser -q 100000 -c 'Test user' -e '$1$abcd$XYZ...' user@domain\n" +
  '           (MD5 hashed password, use single quotes)\n' +
  "  vadduser -q 100000 -c 'Test user' -e '$6$56RNlxOG$...' user@domain\n" +
  '           (SHA-512 hashed, use single quotes)\n';

function cmdVadduser() {
  let email = '';
  let passwd = '';
  let quota = '';
  let gecos = '';
  let crypted = '';
  let randomPw = false;
  const g = makeGetopt(ARGV, 'svc:nq:e:r::');
  let errflag = false;
  let c;
  while (!errflag && (c = g.next()) !== -1) {
    switch (c) {
      case 'v':
        out(`version: ${VERSION}\n`);
        break;
      case 'c':
        gecos = g.optarg.slice(0, 299);
        break;
      case 'q':
        quota = g.optarg.slice(0, 299);
        break;
      case 'e':
        crypted = g.optarg.slice(0, 299);
        break;
      case 's':
        err('Warning: The -s option has been disabled.\n');
        break;
      case 'r':
        randomPw = true;
        if (g.optarg != null) {
          if (atoi(g.optarg) > 128) {
            out(`Error: ${verror(VA.PASSWD_TOO_LONG)}\n`);
            vexit(VA.PASSWD_TOO_LONG);
          }
          passwd = vrandomPass(atoi(g.optarg));
        } else passwd = vrandomPass(12);
        break;
      default:
        errflag = true;
        break;
    }
  }
  if (crypted !== '') passwd = vrandomPass(12);
  const argv = g.argv;
  let optind = g.optind;
  if (optind < argv.length) email = argv[optind++].slice(0, 299);
  if (optind < argv.length) {
    if (!randomPw) passwd = argv[optind++].slice(0, 299);
    else {
      out("Error: don't use -r option when giving password on command line\n");
      vexit(-1);
    }
  }
  if (email === '') {
    out(VADDUSER_USAGE);
    vexit(-1);
  }
  const pe = parseEmail(email);
  if (pe.rc !== 0) {
    out(`Error: ${verror(pe.rc)}\n`);
    vexit(pe.rc);
  }
  const { user, domain } = pe;
  if (domain === '') {
    out('You did not use a full email address for the user name\nOnly full email addresses should be used\n');
    vexit(-1);
  }
  if (!vgetAssign(domain)) {
    out('Error: Domain does not exist\n');
    vexit(-1);
  }
  if (vauthGetpw(user, domain)) {
    out('Error: User already exists\n');
    vexit(-1);
  }
  if (gecos === '') gecos = user;
  if (crypted === '') {
    if (passwd === '') passwd = vgetpasswd(pe.email);
    if (passwd === '') {
      out('Error: No password entered\n');
      out(VADDUSER_USAGE);
      vexit(-1);
    }
  }
  const rc = vadduserLib(user, domain, passwd, gecos, 0);
  if (rc < 0) {
    out(`Error: ${verror(rc)}\n`);
    if (isPolicyError(rc)) out(`A password policy is in place:\n\t${POLICY_TEXT}\n`);
    vexit(rc);
  }
  if (quota !== '') {
    if (vsetuserquotaLib(user, domain, quota) !== 0) {
      out('Error in vsetuserquota()\n');
      vexit(-1);
    }
  }
  if (crypted !== '') {
    const vpw = vauthGetpw(user, domain);
    if (!vpw) {
      out('Error in vauth_getpw()\n');
      vexit(-1);
    }
    vpw.passwd = crypted;
    vpw.clear = '';
    if (vauthSetpw(vpw, domain) !== 0) {
      out('Error in vauth_setpw()\n');
      vexit(-1);
    }
  }
  if (randomPw) out(`Random password: ${passwd}\n`);
  vexit(0);
}

const VMODUSER_USAGE =
  'vmoduser: usage: [options] email_addr or domain (for each user in domain)\n' +
  'options: -v ( display the vpopmail version number )\n' +
  "         -n ( don't rebuild the vpasswd.cdb file )\n" +
  '         -q quota ( set quota )\n' +
  '         -c comment (set the comment/gecos field )\n' +
  '         -e encrypted_passwd (set the password field )\n' +
  '         -C clear_text_passwd (set the password field )\n' +
  'the following options are bit flags in the gid int field\n' +
  '         -x ( clear all flags )\n' +
  "         -d ( don't allow user to change password )\n" +
  '         -p ( disable POP access )\n' +
  '         -s ( disable SMTP AUTH access )\n' +
  '         -w ( disable webmail [IMAP from localhost*] access )\n' +
  '            ( * full list of webmail server IPs in vchkpw.c )\n' +
  '         -i ( disable non-webmail IMAP access )\n' +
  '         -b ( bounce all mail )\n' +
  '         -o ( user is not subject to domain limits )\n' +
  '         -r ( disable roaming user/pop-before-smtp )\n' +
  '         -a ( grant qmailadmin administrator privileges )\n' +
  '         -S ( grant system administrator privileges - access all domains )\n' +
  '         -E ( grant expert privileges - edit .qmail files )\n' +
  '         -f ( disable spamassassin)\n' +
  '         -F ( delete spam)\n' +
  '         -m ( disable maildrop)\n' +
  "  [The following flags aren't used directly by vpopmail but are]\n" +
  '  [included for other programs that share the user database.]\n' +
  '         -u ( set no dialup flag )\n' +
  '         -0 ( set V_USER0 flag )\n' +
  '         -1 ( set V_USER1 flag )\n' +
  '         -2 ( set V_USER2 flag )\n' +
  '         -3 ( set V_USER3 flag )\n';

function cmdVmoduser() {
  let email = '';
  let gecos = '';
  let dir = '';
  let passwd = '';
  let quota = '';
  let crypted = '';
  let gidFlag = 0;
  let quotaFlag = false;
  let clearFlags = false;
  const bits = {
    d: FLAG.NO_PASSWD_CHNG, p: FLAG.NO_POP, s: FLAG.NO_SMTP, w: FLAG.NO_WEBMAIL, i: FLAG.NO_IMAP,
    b: FLAG.BOUNCE_MAIL, o: FLAG.V_OVERRIDE, r: FLAG.NO_RELAY, u: FLAG.NO_DIALUP, 0: FLAG.V_USER0,
    1: FLAG.V_USER1, 2: FLAG.V_USER2, 3: FLAG.V_USER3, a: FLAG.QA_ADMIN, f: FLAG.NO_SPAMASSASSIN,
    F: FLAG.DELETE_SPAM, m: FLAG.NO_MAILDROP,
  };
  const g = makeGetopt(ARGV, 'D:avunxc:q:dpswibro0123he:C:fFSEm');
  let c;
  while ((c = g.next()) !== -1) {
    switch (c) {
      case 'v':
        out(`version: ${VERSION}\n`);
        break;
      case 'n':
        NO_MAKE_INDEX = true;
        break;
      case 'x':
        clearFlags = true;
        break;
      case 'e':
        crypted = g.optarg.slice(0, 299);
        break;
      case 'C':
        passwd = g.optarg.slice(0, 299);
        break;
      case 'D':
        dir = g.optarg.slice(0, 299);
        break;
      case 'c':
        gecos = g.optarg.slice(0, 299);
        break;
      case 'q':
        quotaFlag = true;
        quota = formatMaildirquota(g.optarg);
        break;
      // Only root may grant these. A non-root emulator plays root (it only cannot chown).
      case 'S':
        gidFlag |= FLAG.SA_ADMIN;
        break;
      case 'E':
        gidFlag |= FLAG.SA_EXPERT;
        break;
      case 'h':
        out(VMODUSER_USAGE);
        vexit(0);
        break;
      default:
        if (c in bits) gidFlag |= bits[c];
        break;
    }
  }
  const argv = g.argv;
  if (g.optind < argv.length) email = argv[g.optind].slice(0, 299);
  if (email === '') {
    out(VMODUSER_USAGE);
    vexit(-1);
  }
  const apply = (mypw, domain) => {
    if (gecos !== '') mypw.gecos = gecos;
    if (dir !== '') mypw.dir = dir;
    if (passwd !== '') {
      mypw.passwd = mkpasswd3(passwd);
      mypw.clear = passwd;
    } else if (crypted !== '') {
      mypw.passwd = crypted;
    }
    if (clearFlags) mypw.gid = 0;
    if (gidFlag !== 0) mypw.gid |= gidFlag;
    if (quotaFlag) {
      mypw.shell = quota;
      updateMaildirsize(domain, mypw.dir, quota);
    }
    const rc = vauthSetpw(mypw, domain);
    if (rc !== 0) {
      out(`Error: ${verror(rc)}\n`);
      vexit(rc);
    }
  };
  if (email.includes('@')) {
    const pe = parseEmail(email);
    if (pe.rc !== 0) {
      out(`Error: ${verror(pe.rc)}\n`);
      vexit(pe.rc);
    }
    const mypw = vauthGetpw(pe.user, pe.domain);
    if (!mypw) {
      out(`no such user ${pe.user}@${pe.domain}\n`);
      vexit(-1);
    }
    apply(mypw, lower(pe.domain));
  } else {
    const domain = lower(email);
    for (const mypw of vauthGetall(domain)) apply(mypw, domain);
  }
  vexit(0);
}

const VDELUSER_USAGE = 'vdeluser: usage: [options] email_address\noptions: -v (print version number)\n';

function cmdVdeluser() {
  let email = '';
  const g = makeGetopt(ARGV, 'v');
  let errflag = false;
  let c;
  while (!errflag && (c = g.next()) !== -1) {
    if (c === 'v') out(`version: ${VERSION}\n`);
    else errflag = true;
  }
  if (g.optind < g.argv.length) email = g.argv[g.optind].slice(0, 299);
  if (email === '') {
    out(VDELUSER_USAGE);
    vexit(-1);
  }
  const pe = parseEmail(email);
  if (pe.rc !== 0) {
    out(`Error: ${verror(pe.rc)}\n`);
    vexit(pe.rc);
  }
  const rc = vdeluserLib(pe.user, pe.domain);
  if (rc !== 0) {
    out(`Error: ${verror(rc)}\n`);
    vexit(rc);
  }
  vexit(0);
}

const VSETUSERQUOTA_USAGE =
  'vsetuserquota: [options] email_address|domain_name quota\n' +
  'options:\n' +
  '-v (print version number)\n' +
  '\nIf you specify a domain name rather than an email address,\n' +
  'the quota will be applied to all users in that domain\n';

function cmdVsetuserquota() {
  let email = '';
  let quota = '';
  const g = makeGetopt(ARGV, 'v');
  let errflag = false;
  let c;
  while (!errflag && (c = g.next()) !== -1) {
    if (c === 'v') out(`version: ${VERSION}\n`);
    else errflag = true;
  }
  let optind = g.optind;
  if (optind < g.argv.length) email = g.argv[optind++].slice(0, 299);
  if (optind < g.argv.length) quota = upper(g.argv[optind++].slice(0, 299));
  if (email === '' || quota === '') {
    out(VSETUSERQUOTA_USAGE);
    vexit(-1);
  }
  if (!email.includes('@')) {
    const domain = email;
    if (!vgetAssign(domain)) {
      out(`Error: ${verror(VA.DOMAIN_DOES_NOT_EXIST)}\n`);
      vexit(VA.DOMAIN_DOES_NOT_EXIST);
    }
    for (const pw of vauthGetall(lower(domain))) {
      const rc = vsetuserquotaLib(pw.name, domain, quota);
      if (rc !== 0) {
        out(`Error: ${verror(rc)}\n`);
        vexit(rc);
      }
    }
  } else {
    const pe = parseEmail(email);
    if (pe.rc !== 0) {
      out(`Error: ${verror(pe.rc)}\n`);
      vexit(pe.rc);
    }
    if (!vgetAssign(pe.domain)) {
      out(`Error: ${verror(VA.DOMAIN_DOES_NOT_EXIST)}\n`);
      vexit(VA.DOMAIN_DOES_NOT_EXIST);
    }
    const rc = vsetuserquotaLib(pe.user, pe.domain, quota);
    if (rc !== 0) {
      out(`Error: ${verror(rc)}\n`);
      vexit(rc);
    }
  }
  vexit(0);
}

const VPASSWD_USAGE =
  'vpasswd: usage: [options] email_address [password]\n' +
  'options: -v (print version number)\n' +
  '         -r[len] (generate a len (default 12) char random password)\n';

function cmdVpasswd() {
  let email = '';
  let passwd = '';
  let randomPw = false;
  const g = makeGetopt(ARGV, 'vr::');
  let errflag = false;
  let c;
  while (!errflag && (c = g.next()) !== -1) {
    switch (c) {
      case 'v':
        out(`version: ${VERSION}\n`);
        break;
      case 'r':
        randomPw = true;
        if (g.optarg != null) {
          if (atoi(g.optarg) > 128) {
            out(`Error: ${verror(VA.PASSWD_TOO_LONG)}\n`);
            vexit(VA.PASSWD_TOO_LONG);
          }
          passwd = vrandomPass(atoi(g.optarg));
        } else passwd = vrandomPass(12);
        break;
      default:
        errflag = true;
        break;
    }
  }
  let optind = g.optind;
  if (optind < g.argv.length) email = g.argv[optind++].slice(0, 299);
  if (optind < g.argv.length) {
    if (!randomPw) passwd = g.argv[optind++].slice(0, 299);
    else {
      out("Error: don't use -r option when giving password on command line\n");
      vexit(-1);
    }
  }
  if (email === '') {
    out(VPASSWD_USAGE);
    vexit(-1);
  }
  const pe = parseEmail(email);
  if (pe.rc !== 0) {
    out(`Error: ${verror(pe.rc)}\n`);
    vexit(pe.rc);
  }
  if (passwd.length <= 0) passwd = vgetpasswd(pe.email);
  const rc = vpasswdLib(pe.user, pe.domain, passwd);
  if (rc !== 0) {
    out(`Error: ${verror(rc)}\n`);
    if (isPolicyError(rc)) out(`A password policy is in place:\n\t${POLICY_TEXT}\n`);
    vexit(rc);
  }
  if (randomPw) out(`Random password: ${passwd}\n`);
  vexit(0);
}

function cmdVmkpasswd() {
  if (ARGV.length !== 2) {
    out('vmkpasswd: usage: domain \n');
    vexit(-1);
  }
  const domain = lower(ARGV[1]);
  const a = vgetAssign(domain);
  if (!a || !statOrNull(a.dir)?.isDirectory()) vexit(VA.BAD_DIR);
  const f = vpasswdFiles(a);
  touchLock(f.lock);
  makeVpasswdCdb({ ...a, domain });
  vexit(0);
}

const VADDDOMAIN_USAGE =
  'vadddomain: usage: vadddomain [options] virtual_domain [postmaster password]\n' +
  'options: -v prints the version\n' +
  '         -q quota_in_bytes (sets the quota for postmaster account)\n' +
  "         -b (bounces all mail that doesn't match a user, default)\n" +
  '         -e email_address (forwards all non matching user to this address [*])\n' +
  '         -u user (sets the uid/gid based on a user in /etc/passwd)\n' +
  '         -d dir (sets the dir to use for this domain)\n' +
  '         -i uid (sets the uid to use for this domain)\n' +
  '         -g gid (sets the gid to use for this domain)\n' +
  '         -O optimize adding, for bulk adds set this for all\n' +
  '            except the last one\n' +
  '         -r[len] (generate a len (default 12) char random postmaster password)\n' +
  '\n' +
  " [*] omit @-sign to deliver directly into user's Maildir: '-e postmaster'\n" +
  '\n' +
  'Special bounce messages supported by vdeliver mail:\n' +
  '   vadddomain -b delete example.com [password]  -  delete all mail to non-existant accounts\n' +
  '   vadddomain -b bounce-no-mailbox example.com [password] - bounce them \n' +
  '   vadddimain -b someone@somewhere.com example.com [password] - sent to another address\n' +
  '   vadddomain -b /path/to/Maildir example.com [password] - sent to a Maildir\n';

function cmdVadddomain() {
  let domain = '';
  let passwd = '';
  let user = '';
  let dir = '';
  let quota = '';
  let bounceEmail = '';
  let randomPw = false;
  let uid = VPOPMAILUID;
  let gid = VPOPMAILGID;
  const g = makeGetopt(ARGV, 'q:be:u:vi:g:d:Or::');
  let errflag = false;
  let c;
  while (!errflag && (c = g.next()) !== -1) {
    switch (c) {
      case 'v':
        out(`version: ${VERSION}\n`);
        break;
      case 'd':
        dir = g.optarg.slice(0, 299);
        break;
      case 'u':
        user = g.optarg.slice(0, 299);
        break;
      case 'q':
        quota = g.optarg.slice(0, 299);
        break;
      case 'e':
        bounceEmail = g.optarg.slice(0, 299);
        break;
      case 'i':
        uid = atoi(g.optarg) >>> 0;
        break;
      case 'g':
        gid = atoi(g.optarg) >>> 0;
        break;
      case 'b':
        break;
      case 'O':
        OPTIMIZE_ADD_DOMAIN = true;
        break;
      case 'r':
        randomPw = true;
        if (g.optarg != null) {
          if (atoi(g.optarg) > 128) {
            out(`Error: ${verror(VA.PASSWD_TOO_LONG)}\n`);
            vexit(VA.PASSWD_TOO_LONG);
          }
          passwd = vrandomPass(atoi(g.optarg));
        } else passwd = vrandomPass(12);
        break;
      default:
        errflag = true;
        break;
    }
  }
  if (user !== '') {
    const pw = getpwnam(user);
    if (pw) {
      if (dir === '') dir = toBin(pw.dir);
      uid = pw.uid;
      gid = pw.gid;
    } else {
      out(`Error: user ${user} not found in /etc/passwd\n`);
      vexit(-1);
    }
  }
  if (dir === '') dir = VHOME;
  let optind = g.optind;
  if (optind < g.argv.length) domain = g.argv[optind++].slice(0, 299);
  else {
    out(VADDDOMAIN_USAGE);
    vexit(0);
  }
  if (vgetAssign(domain)) {
    out(`Error: ${verror(VA.DOMAIN_ALREADY_EXISTS)}\n`);
    vexit(VA.DOMAIN_ALREADY_EXISTS);
  }
  if (optind < g.argv.length) {
    if (!randomPw) passwd = g.argv[optind++].slice(0, 299);
    else {
      out("Error: don't use -r option when giving password on command line\n");
      vexit(-1);
    }
  } else if (!randomPw) {
    passwd = vgetpasswd('postmaster');
  }
  const added = vadddomainLib(domain, dir, uid, gid);
  if (added.rc !== 0) {
    out(`Error: ${verror(added.rc)}\n`);
    vexit(added.rc);
  }
  domain = added.domain;
  let rc = vadduserLib('postmaster', domain, passwd, 'Postmaster', 0);
  if (rc !== 0) {
    out(`Error: (vadduser) ${verror(rc)}\n`);
    rc = vdeldomainLib(domain);
    if (rc !== 0) out(`Error: ${verror(rc)}\n`);
    vexit(rc);
  }
  if (quota !== '') {
    rc = vsetuserquotaLib('postmaster', domain, quota);
    if (rc !== 0) {
      out(`Error: ${verror(rc)}\n`);
      vexit(rc);
    }
  }
  if (bounceEmail !== '') {
    const a = vgetAssign(domain);
    const file = `${a.dir}/.qmail-default`;
    try {
      if (bounceEmail.includes('@')) writeFileC(file, `| ${VHOME}/bin/vdelivermail '' ${bounceEmail}\n`);
      else writeFileC(file, `| ${VHOME}/bin/vdelivermail '' ${a.dir}/${bounceEmail}\n`);
      chownC(file, a.uid, a.gid);
    } catch {
      out(`Error: could not open ${file}\n`);
      vexit(-1);
    }
  }
  if (randomPw) out(`Random password: ${passwd}\n`);
  vexit(0);
}

const VDELDOMAIN_USAGE =
  'vdeldomain: usage: [options] domain_name\n' +
  'options: -v (print version number)\n' +
  'options: -f (force delete of virtual domains)\n';

function cmdVdeldomain() {
  let force = false;
  const g = makeGetopt(ARGV, 'vf');
  let errflag = false;
  let c;
  while (!errflag && (c = g.next()) !== -1) {
    if (c === 'v') out(`version: ${VERSION}\n`);
    else if (c === 'f') force = true;
    else errflag = true;
  }
  if (g.optind >= g.argv.length) {
    out(VDELDOMAIN_USAGE);
    vexit(0);
  }
  const domain = g.argv[g.optind].slice(0, 299);
  const entries = getDomainEntries(domain);
  if (entries == null) {
    out(`Error: Can't get domain entries - ${verror(VA.CANNOT_READ_ASSIGN)}\n`);
    vexit(VA.CANNOT_READ_ASSIGN);
  }
  if (entries.length === 0) {
    out('Error: Domain does not exist\n');
    vexit(VA.DOMAIN_DOES_NOT_EXIST);
  }
  const aliases = [];
  let parent = '';
  for (const e of entries) {
    if (e.domain !== e.realdomain) aliases.push(e.domain);
    else parent = e.domain;
  }
  let doit = true;
  if (aliases.length > 0 && domain === parent) {
    if (force) out('Warning: Alias domains deleted:\n');
    else {
      out('Warning: Alias domains exist:\n');
      doit = false;
    }
    for (const al of aliases) out(`   ${al}\n`);
  }
  let rc = 0;
  if (doit) {
    rc = vdeldomainLib(domain);
    if (rc !== 0) out(`Error: ${verror(rc)}\n`);
  } else {
    out('   use -f to force delete of domain and all aliases\n');
  }
  vexit(rc);
}

const VADDALIASDOMAIN_USAGE =
  'vaddaliasdomain: usage: [options] real_domain alias_domain\n' +
  'options: -v (print version number)\n' +
  'note: for backward compatability, you can swap real_domain and alias_domain.\n';

function cmdVaddaliasdomain() {
  let a = '';
  let b = '';
  const g = makeGetopt(ARGV, 'v');
  let errflag = false;
  let c;
  while (!errflag && (c = g.next()) !== -1) {
    if (c === 'v') out(`version: ${VERSION}\n`);
    else errflag = true;
  }
  let optind = g.optind;
  if (optind < g.argv.length) a = g.argv[optind++].slice(0, 299);
  if (optind < g.argv.length) b = g.argv[optind++].slice(0, 299);
  if (a === '' || b === '') {
    out(VADDALIASDOMAIN_USAGE);
    vexit(-1);
  }
  if (a === b) {
    out('Error: real domain and alias domain are the same!\n');
    out(VADDALIASDOMAIN_USAGE);
    vexit(-1);
  }
  // vget_assign() lowercases its argument and rewrites an alias to its real domain
  const da = vgetAssign(a);
  const db = vgetAssign(b);
  if (da) a = da.real;
  else a = lower(a);
  if (db) b = db.real;
  else b = lower(b);
  if (da && db) {
    out('Error: Both domains already exist, unable to create alias.\n');
    vexit(-1);
  }
  if (!da && !db) {
    out(`Error: Neither '${a}' or '${b}'  exist, unable to create alias.\n`);
    vexit(-1);
  }
  const rc = da ? vaddaliasdomainLib(b, a) : vaddaliasdomainLib(a, b);
  if (rc !== 0) {
    out(`Error: ${verror(rc)}\n`);
    vexit(rc);
  }
  vexit(0);
}

const VALIAS_USAGE =
  'valias: usage: [options] email_address \n' +
  'options: -v ( display the vpopmail version number )\n' +
  '         -n ( show alias names, use just domain )\n' +
  '         -s ( show aliases, can use just domain )\n' +
  '         -d ( delete alias )\n' +
  '         -i alias_line (insert alias line)\n' +
  '\n' +
  'Example: valias -i fred@inter7.com bob@inter7.com\n' +
  '         (adds alias from bob@inter7.com to fred@inter7.com\n';

const dotqmailName = (alias) => `.qmail-${alias.replace(/\./g, ':')}`;

function aliasLines(a, alias) {
  const t = readBin(`${a.dir}/${dotqmailName(alias)}`);
  if (t == null) return [];
  return fgetsChunks(t, 300).map((l) => (l.endsWith('\n') ? l.slice(0, -1) : l));
}
function valiasSelect(alias, domain) {
  const a = vgetAssign(domain);
  if (!a) {
    out('invalid domain, not in qmail assign file\n');
    return null;
  }
  return aliasLines(a, alias);
}
function aliasNames(a) {
  let names;
  try {
    names = fs.readdirSync(P(a.dir), { encoding: 'buffer' }).map((b) => b.toString('latin1'));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith('.qmail-') && n !== '.qmail-default')
    .sort()
    .map((n) => n.slice(7).replace(/:/g, '.'));
}

function cmdValias() {
  let action = 'select';
  let aliasLine = '';
  const g = makeGetopt(ARGV, 'vnsdi:');
  let c;
  while ((c = g.next()) !== -1) {
    switch (c) {
      case 'v':
        out(`version: ${VERSION}\n`);
        break;
      case 'n':
        action = 'names';
        break;
      case 's':
        action = 'select';
        break;
      case 'd':
        action = 'delete';
        break;
      case 'i':
        action = 'insert';
        aliasLine = g.optarg.slice(0, 299);
        break;
      default:
        out(VALIAS_USAGE);
        vexit(-2);
    }
  }
  let email = '';
  let alias = '';
  let domain = '';
  if (g.optind < g.argv.length) {
    email = g.argv[g.optind].slice(0, 299);
    const pe = parseEmail(email);
    if (pe.rc !== 0) {
      err(`Error: ${verror(pe.rc)}\n`);
      vexit(pe.rc);
    }
    email = pe.email;
    alias = pe.user;
    domain = pe.domain;
  }
  if (email === '') {
    err('must supply alias email address\n');
    out(VALIAS_USAGE);
    vexit(-1);
  }
  switch (action) {
    case 'select':
      if (!email.includes('@')) {
        const a = vgetAssign(email);
        if (!a) out('invalid domain, not in qmail assign file\n');
        const rows = [];
        if (a) for (const n of aliasNames(a)) for (const l of aliasLines(a, n)) rows.push([n, l]);
        if (rows.length === 0) {
          out(`No aliases found for domain ${email}\n`);
          vexit(-1);
        }
        for (const [n, l] of rows) out(`${n}@${email} -> ${l}\n`);
      } else {
        const lines = valiasSelect(alias, domain);
        if (!lines || lines.length === 0) {
          out(`No aliases ${alias}@${domain} found\n`);
          vexit(-1);
        }
        for (const l of lines) out(`${alias}@${domain} -> ${l}\n`);
      }
      break;
    case 'names':
      if (!email.includes('@')) {
        const a = vgetAssign(email);
        if (!a) {
          out('invalid domain, not in qmail assign file\n');
          vexit(-1);
        }
        const names = aliasNames(a);
        if (names.length === 0) vexit(-1);
        for (const n of names) out(`${n}\n`);
      } else {
        err('Please enter domain name only.\n');
        vexit(-1);
      }
      break;
    case 'insert': {
      const existing = valiasSelect(alias, domain) ?? [];
      if (existing.includes(aliasLine)) {
        err(`Error: alias ${email} -> ${aliasLine} already exists.\n`);
        vexit(-1);
      }
      const a = vgetAssign(domain);
      if (!a) {
        out('invalid domain, not in qmail assign file\n');
        break;
      }
      if (aliasLine.length > 160) break;
      const file = `${a.dir}/${dotqmailName(alias)}`;
      const old = process.umask(0o077);
      try {
        fs.appendFileSync(P(file), Buffer.from(`${aliasLine}\n`, 'latin1'), { mode: 0o600 });
      } catch {
        // ignored
      } finally {
        process.umask(old);
      }
      chownC(file, a.uid, a.gid);
      break;
    }
    case 'delete': {
      const a = vgetAssign(domain);
      if (!a) {
        out('invalid domain, not in qmail assign file\n');
        break;
      }
      unlinkC(`${a.dir}/${dotqmailName(alias)}`);
      break;
    }
    default:
      break;
  }
  vexit(0);
}

const VUSERINFO_USAGE =
  'vuserinfo: usage: [options] email_address\n' +
  'options: -v (print version number)\n' +
  '         -a (display all fields, this is the default)\n' +
  '         -n (display name field)\n' +
  '         -p (display crypted password)\n' +
  '         -u (display uid field)\n' +
  '         -g (display gid field)\n' +
  '         -c (display comment field)\n' +
  '         -d (display directory)\n' +
  '         -q (display quota field)\n' +
  '         -Q (display quota usage)\n' +
  '         -C (display clear text password)\n' +
  '         -l (display last authentication time)\n' +
  '         -D domainname (show all users on this domain)\n';

function asctime(t) {
  const d = new Date(t * 1000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n) => String(n).padStart(2, '0');
  return `${days[d.getDay()]} ${months[d.getMonth()]}${String(d.getDate()).padStart(3, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}\n`;
}

/**
 * vuserinfo setuid()s to the domain's owner before reading (as root). Reproduced as an access
 * check: that uid/gid must be able to reach and read the file, or the lookup finds nobody (a
 * domain owned by another uid than ~vpopmail/domains' owner is invisible to vuserinfo).
 */
function readableAs(file, uid, gid) {
  if (!IS_ROOT || uid === 0) return true;
  const allows = (st, bit) => {
    const shift = st.uid === uid ? 6 : st.gid === gid ? 3 : 0;
    return ((st.mode >> shift) & bit) !== 0;
  };
  const parts = file.split('/').filter((x) => x !== '');
  let cur = '';
  for (let i = 0; i < parts.length - 1; i++) {
    cur += `/${parts[i]}`;
    const st = statOrNull(cur);
    if (!st || !allows(st, 1)) return false;
  }
  const st = statOrNull(file);
  return !st || allows(st, 4);
}

function cmdVuserinfo() {
  const show = { name: 0, passwd: 0, clear: 0, uid: 0, gid: 0, comment: 0, dir: 0, quota: 0, usage: 0, last: 0 };
  let all = true;
  let email = '';
  let domainOpt = '';
  const g = makeGetopt(ARGV, 'anpugcdqQvlD:C');
  let errflag = false;
  let c;
  const map = { n: 'name', p: 'passwd', u: 'uid', g: 'gid', c: 'comment', C: 'clear', d: 'dir', q: 'quota', Q: 'usage', l: 'last' };
  while (!errflag && (c = g.next()) !== -1) {
    if (c === 'D') domainOpt = g.optarg.slice(0, 299);
    else if (c === 'v') out(`version: ${VERSION}\n`);
    else if (c === 'a') all = true;
    else if (c in map) {
      show[map[c]] = 1;
      all = false;
    } else errflag = true;
  }
  if (errflag) {
    out(VUSERINFO_USAGE);
    vexit(-1);
  }
  if (g.optind < g.argv.length) email = g.argv[g.optind].slice(0, 299);
  if (email === '' && domainOpt === '') {
    out(VUSERINFO_USAGE);
    vexit(-1);
  }
  const lastLogin = (pw) => {
    const st = statOrNull(`${pw.dir}/lastauth`);
    const mytime = st ? Math.floor(st.mtimeMs / 1000) : 0;
    let ip = readBin(`${pw.dir}/lastauth`);
    if (ip != null) ip = fgetsChunks(ip, 300)[0] ?? '';
    if (mytime === 0 || ip == null || ip === '0.0.0.0') {
      if (mytime !== 0) out(`account created: ${asctime(mytime)}`);
      out('last auth: Never logged in\n');
    } else {
      out(`last auth: ${asctime(mytime)}`);
      out(`last auth ip: ${ip}\n`);
    }
  };
  const usage = (pw) => (pw.shell !== 'NOQUOTA' ? `${vmaildirReadquota(`${pw.dir}/Maildir`, formatMaildirquota(pw.shell))}%` : pw.shell);
  const display = (pw) => {
    if (all) {
      out(`name:   ${pw.name}\n`);
      out(`passwd: ${pw.passwd}\n`);
      out(`clear passwd: ${pw.clear}\n`);
      out(`comment/gecos: ${pw.gecos}\n`);
      out(`uid:    ${pw.uid >>> 0}\n`);
      out(`gid:    ${pw.gid >>> 0}\n`);
      out(`flags:  ${pw.flags >>> 0}\n`);
      out(`gecos: ${pw.gecos}\n`);
      if (pw.flags === 0) out('limits: No user limits set.\n');
      else {
        out('limits:\n');
        const lim = (flag, msg) => {
          if (pw.flags & flag) out(pw.gid & flag ? `        ${msg}\n` : `        ${msg} (*)\n`);
        };
        lim(FLAG.NO_PASSWD_CHNG, 'password can not be changed by user');
        lim(FLAG.NO_POP, 'pop access closed');
        lim(FLAG.NO_WEBMAIL, 'webmail access closed');
        lim(FLAG.NO_IMAP, 'imap access closed');
        lim(FLAG.NO_SMTP, 'smtp access is closed');
        lim(FLAG.NO_RELAY, 'user not allowed to relay mail');
        lim(FLAG.NO_SPAMASSASSIN, 'spamassassin processing disabled');
        lim(FLAG.DELETE_SPAM, 'delete spam');
        lim(FLAG.NO_MAILDROP, 'maildrop processing disabled');
        lim(FLAG.NO_DIALUP, 'no dialup flag has been set');
        lim(FLAG.BOUNCE_MAIL, 'mail will be bounced back to sender');
        lim(FLAG.QA_ADMIN, 'has qmailadmin administrator access');
        lim(FLAG.SA_ADMIN, 'has system administrator access');
        lim(FLAG.SA_EXPERT, 'has expert access');
        lim(FLAG.V_USER0, 'user flag 0 is set');
        lim(FLAG.V_USER1, 'user flag 1 is set');
        lim(FLAG.V_USER2, 'user flag 2 is set');
        lim(FLAG.V_USER3, 'user flag 3 is set');
        lim(FLAG.V_OVERRIDE, 'user is not subject to domain limits');
        if (pw.gid !== pw.flags) out('        * = set by domain-wide limits\n');
      }
      out(`dir:       ${pw.dir}\n`);
      out(`quota:     ${pw.shell}\n`);
      out(`usage:     ${usage(pw)}\n`);
      lastLogin(pw);
    } else {
      if (show.name) out(`${pw.name}\n`);
      if (show.passwd) out(`${pw.passwd}\n`);
      if (show.clear) out(`${pw.clear}\n`);
      if (show.uid) out(`${pw.uid >>> 0}\n`);
      if (show.gid) out(`${pw.gid >>> 0}\n`);
      if (show.comment) out(`${pw.gecos}\n`);
      if (show.dir) out(`${pw.dir}\n`);
      if (show.quota) out(`${pw.shell}\n`);
      if (show.usage) out(`${usage(pw)}\n`);
      if (show.last) lastLogin(pw);
    }
  };
  if (domainOpt === '') {
    const pe = parseEmail(email);
    if (pe.rc !== 0) {
      out(`Error: ${verror(pe.rc)}\n`);
      vexit(pe.rc);
    }
    const owner = vgetAssign(pe.domain);
    const visible = !owner || readableAs(`${owner.dir}/vpasswd.cdb`, owner.uid, owner.gid);
    const pw = visible ? vauthGetpw(pe.user, pe.domain) : null;
    if (!pw) {
      out(pe.domain === '' ? `no such user ${pe.user}\n` : `no such user ${pe.user}@${pe.domain}\n`);
      vexit(-1);
    }
    display(pw);
  } else {
    const owner = vgetAssign(domainOpt);
    const visible = !owner || readableAs(`${owner.dir}/vpasswd`, owner.uid, owner.gid);
    for (const pw of visible ? vauthGetall(lower(domainOpt)) : []) {
      out('------------------------------------------\n');
      display(pw);
    }
  }
  vexit(0);
}

const PROGRAMS = {
  vadduser: cmdVadduser,
  vmoduser: cmdVmoduser,
  vdeluser: cmdVdeluser,
  vsetuserquota: cmdVsetuserquota,
  vpasswd: cmdVpasswd,
  vmkpasswd: cmdVmkpasswd,
  vadddomain: cmdVadddomain,
  vaddaliasdomain: cmdVaddaliasdomain,
  vdeldomain: cmdVdeldomain,
  valias: cmdValias,
  vuserinfo: cmdVuserinfo,
};

function main() {
  const program = PROGRAMS[PROG];
  logCall();
  if (!program) {
    err(`vpopmail emulator: unknown program name ${PROG}\n`);
    process.exitCode = 127;
    return;
  }
  try {
    program();
  } catch (e) {
    if (e instanceof Exit) {
      process.exitCode = e.code;
      return;
    }
    throw e;
  }
}

main();
