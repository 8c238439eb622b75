// @ts-check
// qmail's sorted control files (rcpthosts, morercpthosts, virtualdomains, locals) and the domain
// lines of users/assign, as vadddomain, vaddaliasdomain and vdeldomain change them.

import { qmailNewu } from './assign.mjs';
import { cdbMake } from './cdb.mjs';
import { fgetsChunks, lower } from '../runtime/cstring.mjs';
import { chmodC, readBin, renameC, statOrNull, touchLock, unlinkC, writeFileC } from '../runtime/files.mjs';
import { QHOME } from '../runtime/invocation.mjs';
import { err } from '../runtime/output.mjs';

/**
 * vpopmail's file types: 1 users/assign (lines "+domain-:...", ended by "."), 2 rcpthosts and
 * morercpthosts (a domain per line), 3 virtualdomains ("domain:prefix").
 * @typedef {1 | 2 | 3} FileType
 */

/**
 * extract_domain(): the sort key of an assign/rcpthosts/virtualdomains line (rotated labels).
 * @param {string} line
 * @param {FileType} fileType
 */
function extractDomain(line, fileType) {
  let j = fileType === 1 ? 1 : 0;
  let d = '';
  while (j < line.length && line[j] !== ':') d += line[j++];
  if (fileType === 1 && d.length > 0) d = d.slice(0, -1);
  const parts = d
    .split('.')
    .filter((p) => p !== '')
    .slice(0, 10);
  if (parts.length > 1) {
    const t = parts.pop();
    const u = parts.pop();
    return [u, t, ...parts].join('.');
  }
  return d;
}

/** @param {string} file */
function lockFile(file) {
  touchLock(`${file}.lock`);
}

/**
 * update_file(): inserts a line before the first greater key, re-sorting an unsorted file.
 * @param {string} file
 * @param {string} newLine
 * @param {FileType} fileType
 */
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
  for (const chunk of fgetsChunks(text, 300)) {
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
  if (needsort) {
    err(`NOTICE: Out of order entries found in ${file}\n   Sorting...\n\n`);
    sortFile(file, fileType);
  }
  return 0;
}

/**
 * @param {string} file
 * @param {FileType} fileType
 */
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

/**
 * remove_lines(): drops every line equal to one of the given strings; returns how many.
 * @param {string} file
 * @param {string[]} lines
 */
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

/** @param {string} file */
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
    .map((l) => /** @type {[Buffer, Buffer]} */ ([Buffer.from(lower(l), 'latin1'), Buffer.alloc(0)]));
  const tmp = `${QHOME}/control/morercpthosts.tmp`;
  writeFileC(tmp, cdbMake(recs).toString('latin1'), 0o644);
  renameC(tmp, `${QHOME}/control/morercpthosts.cdb`);
}

// libvpopmail's OptimizeAddDomain: vadddomain -O defers the morercpthosts.cdb rebuild to a later
// vadddomain of a bulk add.
let OPTIMIZE_ADD_DOMAIN = false;
export function setOptimizeAddDomain() {
  OPTIMIZE_ADD_DOMAIN = true;
}

/**
 * A domain's assign line, its rcpthosts (or morercpthosts) and virtualdomains lines, and no
 * locals line.
 * @param {string} aliasDomain the domain added, alias or real
 * @param {string} realDomain
 * @param {string} dir
 * @param {number} uid
 * @param {number} gid
 */
export function addDomainAssign(aliasDomain, realDomain, dir, uid, gid) {
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

/** @param {string[]} aliases the domains whose rcpthosts and virtualdomains lines go */
export function delControl(aliases) {
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
  removeLines(
    vd,
    aliases.map((a) => `${a}:${a}`),
  );
  chmodC(vd, 0o644);
}

/**
 * @param {string[]} aliases the domains whose assign lines go
 * @param {string} realDomain
 * @param {string} dir
 * @param {number} uid
 * @param {number} gid
 */
export function delDomainAssign(aliases, realDomain, dir, uid, gid) {
  const assign = `${QHOME}/users/assign`;
  removeLines(
    assign,
    aliases.map((a) => `+${a}-:${realDomain}:${uid >>> 0}:${gid >>> 0}:${dir}:-::`),
  );
  chmodC(assign, 0o644);
  qmailNewu();
}
