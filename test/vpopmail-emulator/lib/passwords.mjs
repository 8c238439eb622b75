// @ts-check
// Password hashing (SHA-512 crypt, as vpopmail's mkpasswd3), random passwords, the strength
// policy and the password prompt.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import { VA, verror } from './messages.mjs';
import { atoi } from '../runtime/cstring.mjs';
import { err, out, vexit } from '../runtime/output.mjs';

// node:crypto is loaded only by the programs that hash or draw random characters (startup time).
const require = createRequire(import.meta.url);
/** @type {typeof import('node:crypto') | null} */
let cryptoModule = null;
const crypto = () => (cryptoModule ??= /** @type {typeof import('node:crypto')} */ (require('node:crypto')));

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * @param {string} password a binary string
 * @param {string} salt a binary string
 */
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
  /** @type {(b2: number, b1: number, b0: number, cnt: number) => void} */
  const b64 = (b2, b1, b0, cnt) => {
    let w = (b2 << 16) | (b1 << 8) | b0;
    for (let i = 0; i < cnt; i++) {
      res += ITOA64[w & 0x3f];
      w >>= 6;
    }
  };
  /** @type {Array<[number, number, number]>} */
  const order = [
    [0, 21, 42],
    [22, 43, 1],
    [44, 2, 23],
    [3, 24, 45],
    [25, 46, 4],
    [47, 5, 26],
    [6, 27, 48],
    [28, 49, 7],
    [50, 8, 29],
    [9, 30, 51],
    [31, 52, 10],
    [53, 11, 32],
    [12, 33, 54],
    [34, 55, 13],
    [56, 14, 35],
    [15, 36, 57],
    [37, 58, 16],
    [59, 17, 38],
    [18, 39, 60],
    [40, 61, 19],
    [62, 20, 41],
  ];
  for (const [x, y, z] of order) b64(A[x], A[y], A[z], 4);
  b64(0, 0, A[63], 2);
  return `$6$${s.toString('latin1')}$${res}`;
}

/**
 * @param {string} chars
 * @param {number} len
 */
function randomFrom(chars, len) {
  let r = '';
  const bytes = crypto().randomBytes(Math.max(len, 1) * 2);
  for (let i = 0; i < len; i++) r += chars[bytes.readUInt16LE(i * 2) % chars.length];
  return r;
}
/** mkpasswd3(): $6$ + 8 random salt characters from ./0-9A-Za-z. */
export const mkpasswd3 = (/** @type {string} */ clear) => sha512Crypt(clear, randomFrom(ITOA64, 8));
/** vrandom_pass(): letters, digits and .@!#%* */
const GEN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.@!#%*';
export const vrandomPass = (/** @type {number} */ len) => randomFrom(GEN_CHARS, Math.max(0, len));

/**
 * The password of the `-r[N]` option vadduser, vadddomain and vpasswd share: N random characters
 * (12 without N); more than 128 exits with vpopmail's error, as the three programs do.
 * @param {string | null | undefined} optarg
 */
export function randomPasswordOption(optarg) {
  if (optarg == null) return vrandomPass(12);
  if (atoi(optarg) > 128) {
    out(`Error: ${verror(VA.PASSWD_TOO_LONG)}\n`);
    vexit(VA.PASSWD_TOO_LONG);
  }
  return vrandomPass(atoi(optarg));
}

/** The password_strength.conf shipped with 5.6.13: "Length >= 1". */
/** @param {string} password */
export function pwStrength(password) {
  return password.length >= 1 ? 0 : VA.PASSWD_REQUIRES_MORE_CHARS;
}

// getpass() without a controlling terminal: prompt on stderr, one line from stdin.
/** @returns {string | null} */
function readStdinLine() {
  const one = Buffer.alloc(1);
  let line = '';
  for (;;) {
    let n;
    try {
      n = fs.readSync(0, one, 0, 1, null);
    } catch (e) {
      const code = /** @type {NodeJS.ErrnoException} */ (e).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (code === 'EOF') return line === '' ? null : line;
      return line === '' ? null : line;
    }
    if (n === 0) return line === '' ? null : line;
    const c = one.toString('latin1');
    if (c === '\n') return line;
    line += c;
  }
}
/** @param {string} prompt */
function getpass(prompt) {
  err(prompt);
  const l = readStdinLine();
  return l ?? '';
}
/**
 * vgetpasswd(): asks twice until both answers agree (EOF gives "" twice, which agree).
 * @param {string} who
 * @returns {string}
 */
export function vgetpasswd(who, size = 300) {
  for (;;) {
    const pass = getpass(`Please enter password for ${who}: `).slice(0, size - 1);
    const pass2 = getpass('enter password again: ').slice(0, 127);
    if (pass !== pass2) out('Passwords do not match, try again\n');
    else return pass;
  }
}
