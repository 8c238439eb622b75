// @ts-check
// File calls with the C library's contract: failures are return values (null, false, an errno
// name) that the callers ignore or test as vpopmail does, never exceptions.

import fs from 'node:fs';
import { P } from './cstring.mjs';
import { ARGV, IS_ROOT } from './invocation.mjs';
import { err } from './output.mjs';

/**
 * The file as a binary string, or null.
 * @param {string} p
 */
export function readBin(p) {
  try {
    return fs.readFileSync(P(p)).toString('latin1');
  } catch {
    return null;
  }
}
/** @param {string} p */
export function readBuf(p) {
  try {
    return fs.readFileSync(P(p));
  } catch {
    return null;
  }
}
/** @param {string} p */
export function lstatOrNull(p) {
  try {
    return fs.lstatSync(P(p));
  } catch {
    return null;
  }
}
/** @param {string} p */
export function statOrNull(p) {
  try {
    return fs.statSync(P(p));
  } catch {
    return null;
  }
}
/**
 * fopen(p, "w+"): creates with 0666 & ~umask, truncates an existing file (mode kept).
 * @param {string} p
 * @param {string} content a binary string
 */
export function writeFileC(p, content, mode = 0o666) {
  const fd = fs.openSync(P(p), 'w', mode);
  try {
    fs.writeSync(fd, Buffer.from(content, 'latin1'));
  } finally {
    fs.closeSync(fd);
  }
}
/**
 * open(p, O_WRONLY|O_CREAT, 0600), as vpopmail does for its lock files.
 * @param {string} p
 */
export function touchLock(p) {
  try {
    fs.closeSync(fs.openSync(P(p), fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o600));
    return true;
  } catch {
    return false;
  }
}
/**
 * @param {string} a
 * @param {string} b
 */
export function renameC(a, b) {
  try {
    fs.renameSync(P(a), P(b));
    return true;
  } catch {
    return false;
  }
}
/** @param {string} p */
export function unlinkC(p) {
  try {
    fs.unlinkSync(P(p));
    return true;
  } catch {
    return false;
  }
}
/**
 * chown() as root; a non-root emulator cannot give files away and silently skips it.
 * @param {string} p
 * @param {number} uid
 * @param {number} gid
 */
export function chownC(p, uid, gid) {
  if (!IS_ROOT) return;
  try {
    fs.chownSync(P(p), uid, gid);
  } catch {
    // like the C code, failures are ignored
  }
}
/**
 * @param {string} p
 * @returns {0 | string} 0, or the errno name (EEXIST is not always a failure to vpopmail)
 */
export function mkdirC(p, mode = 0o750) {
  try {
    fs.mkdirSync(P(p), mode);
    return 0;
  } catch (e) {
    return /** @type {NodeJS.ErrnoException} */ (e).code || 'EIO';
  }
}
/**
 * r_chown(): recursive chown of a tree.
 * @param {string} p
 * @param {number} uid
 * @param {number} gid
 */
export function rChown(p, uid, gid) {
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
/**
 * r_mkdir(): mkdir -p of a relative hash path under base, chowning what it creates.
 * @param {string} base
 * @param {string} rel
 * @param {number} uid
 * @param {number} gid
 */
export function rMkdir(base, rel, uid, gid) {
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
  if (!st?.isDirectory()) return -1;
  return 0;
}
/**
 * vdelfiles(): rm -rf, failing when the path cannot be lstat'ed.
 * @param {string} p
 */
export function vdelfiles(p) {
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

/**
 * @param {string} p
 * @param {number} mode
 */
export function chmodC(p, mode) {
  try {
    fs.chmodSync(P(p), mode);
  } catch {
    // ignored, as in C
  }
}
