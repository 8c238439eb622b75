// @ts-check
// Where a new user's or domain's directory goes (users-big-dir): the .dir-control counter of
// bigdir.c picks the next hash subdirectory, and .dir_control_free (backfill.c) hands out the
// slots deleted users left before that.

import fs from 'node:fs';
import { vgetAssign } from './assign.mjs';
import { P, atoi, atolUnsigned, dirString, fgetsChunks, toBin } from '../runtime/cstring.mjs';
import { getpwuid } from '../runtime/etc-passwd.mjs';
import {
  chmodC,
  chownC,
  rMkdir,
  readBin,
  renameC,
  statOrNull,
  touchLock,
  unlinkC,
  writeFileC,
} from '../runtime/files.mjs';
import { IS_ROOT, VHOME, VPOPMAILUID } from '../runtime/invocation.mjs';
import { err } from '../runtime/output.mjs';

const DIRLIST = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MAX_DIR_NAME = 300;

/**
 * dc_filename(): the .dir-control for a domain, or for "dom_<uid>" (the domains' own counter).
 * @param {string} domainKey
 * @param {number} uid
 * @returns {string} '' when there is none, which the reader takes as all defaults
 */
function dcFilename(domainKey, uid) {
  const a = vgetAssign(domainKey);
  if (a) return `${a.dir}/.dir-control`;
  if (uid === VPOPMAILUID) return `${VHOME}/domains/.dir-control`;
  const pw = getpwuid(uid);
  if (pw) return `${toBin(pw.dir)}/domains/.dir-control`;
  return '';
}

/**
 * vdir_type, what .dir-control holds: a counter and, per hash level, its range of DIRLIST
 * characters, its position in the_dir and its current character.
 * @typedef {object} Vdir
 * @property {bigint} cur entries made so far; the hash moves on every 100
 * @property {number} levelCur
 * @property {number} levelMax
 * @property {number[]} start
 * @property {number[]} end
 * @property {number[]} mod
 * @property {number[]} index
 * @property {Array<string | undefined>} dir
 */

/** @returns {Vdir} */
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

/**
 * vread_dir_control(), including its bug: the third number of each line repeats the second.
 * @param {string} file
 */
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
  const three = (/** @type {string} */ line) => {
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

/** @param {Vdir} v */
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

/**
 * vwrite_dir_control(): "<file>.<pid>", renamed over the file, chowned.
 * @param {Vdir} v
 * @param {string} file
 * @param {number} uid
 * @param {number} gid
 * @param {string} cwd where the temporary file goes when there is no .dir-control to replace
 */
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

/**
 * @param {string} c
 * @param {number} start
 * @param {number} end
 */
function nextChar(c, start, end) {
  let i;
  for (i = start; i < end + 1 && DIRLIST[i] !== c; ++i);
  ++i;
  if (i >= end + 1) i = start;
  return DIRLIST[i];
}
/**
 * @param {Vdir} v
 * @param {number} level
 */
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
/** @param {Vdir} v */
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

/**
 * open_big_dir + next_big_dir + close_big_dir: the hash subdirectory for the next entry.
 * @param {string} domainKey the domain, or "dom_<uid>" for a new domain's directory
 * @param {number} uid
 * @param {number} gid
 * @param {string} baseDir
 */
export function nextBigDir(domainKey, uid, gid, baseDir) {
  const file = dcFilename(domainKey, uid);
  const v = readDirControl(file);
  incDirControl(v);
  const hash = dirString(v.dir);
  if (hash !== '') rMkdir(baseDir, hash, uid, gid);
  writeDirControl(v, file, uid, gid, baseDir);
  return hash;
}

/**
 * Gives back the count of an entry that was not made or was deleted (the hash does not move back).
 * @param {string} domainKey
 * @param {number} uid
 * @param {number} gid
 * @param {string} cwd
 */
export function decDirControl(domainKey, uid, gid, cwd) {
  const file = dcFilename(domainKey, uid);
  const v = readDirControl(file);
  v.cur = BigInt.asUintN(64, v.cur - 1n);
  writeDirControl(v, file, uid, gid, cwd);
}

/**
 * backfill(..., 1): takes the oldest freed slot from .dir_control_free, or null.
 * @param {string} domain
 * @returns {string | null}
 */
export function backfillTake(domain) {
  const a = vgetAssign(domain);
  if (!a) {
    err(`${domain}: No such domain\n`);
    return null;
  }
  const file = `${a.dir}/.dir_control_free`;
  const text = readBin(file);
  if (text == null) return null;
  /** @type {string | null} */
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

/**
 * backfill(..., 2): records the hashed slot a deleted user leaves free.
 * @param {string} username
 * @param {string} domain
 * @param {string} userPath
 */
export function backfillRecord(username, domain, userPath) {
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
