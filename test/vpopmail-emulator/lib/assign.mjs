// @ts-check
// users/assign and users/cdb: how a domain is found (always in the compiled cdb, as vpopmail does)
// and the qmail-newu compilation the emulator runs after each assign edit.

import { cdbGet, cdbMake } from './cdb.mjs';
import { atoi, fgetsChunks, lower } from '../runtime/cstring.mjs';
import { readBin, readBuf, renameC, writeFileC } from '../runtime/files.mjs';
import { QHOME } from '../runtime/invocation.mjs';
import { err } from '../runtime/output.mjs';

/**
 * A domain as users/cdb has it.
 * @typedef {object} Assign
 * @property {string} domain the name looked up, lowercased: an alias domain keeps its own
 * @property {string} real the domain an alias stands for (its own name for a real domain)
 * @property {number} uid
 * @property {number} gid
 * @property {string} dir the domain's directory
 */

/**
 * vget_assign(): looks the domain up in users/cdb (never in the assign text).
 * @param {string | null | undefined} domain
 * @returns {Assign | null}
 */
export function vgetAssign(domain) {
  if (domain == null) return null;
  const d = lower(domain);
  if (d === '' || d.length > 156) return null;
  const buf = readBuf(`${QHOME}/users/cdb`);
  const v = cdbGet(buf, `!${d}-`);
  if (v == null) return null;
  const f = v.split('\0');
  return { domain: d, real: f[0] ?? '', uid: atoi(f[1]), gid: atoi(f[2]), dir: f[3] ?? '' };
}

/**
 * qmail-newu: compiles users/assign into users/cdb.
 * @returns {number} its exit code
 */
export function qmailNewu() {
  const text = readBin(`${QHOME}/users/assign`);
  if (text == null) {
    err('qmail-newu: fatal: unable to read users/assign: file does not exist\n');
    return 111;
  }
  /** @type {Array<[Buffer, Buffer]>} */
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

/**
 * An alias or real domain line of users/assign.
 * @typedef {object} DomainEntry
 * @property {string} domain
 * @property {string} realdomain
 * @property {number} uid
 * @property {number} gid
 * @property {string} path the domain's directory
 */

/**
 * get_domain_entries(match): assign lines (alias and real) whose real domain is match.
 * @param {string} match
 * @returns {DomainEntry[] | null} null when users/assign cannot be read
 */
export function getDomainEntries(match) {
  const text = readBin(`${QHOME}/users/assign`);
  if (text == null) return null;
  let m = match;
  const a = vgetAssign(m);
  m = a ? a.real : lower(m);
  /** @type {DomainEntry[]} */
  const res = [];
  for (const chunk of fgetsChunks(text, 300)) {
    if (chunk[0] !== '+') continue;
    const fields = chunk
      .slice(1)
      .split(':')
      .filter((f) => f !== '');
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
