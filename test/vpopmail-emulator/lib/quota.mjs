// @ts-check
// Quotas: vpopmail's quota syntax, Maildir++ usage and maildirsize.

import fs from 'node:fs';
import { vgetAssign } from './assign.mjs';
import { VA } from './messages.mjs';
import { vauthGetpw, vauthSetpw } from './vpasswd.mjs';
import { P, lower, strtoll } from '../runtime/cstring.mjs';
import { chownC, statOrNull, unlinkC, writeFileC } from '../runtime/files.mjs';

/**
 * format_maildirquota() of 5.6: bytes with K/M (no G), counts with an uppercase C.
 * @param {string} q
 */
export function formatMaildirquota(q) {
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

/** @param {string} q a quota as format_maildirquota() writes it */
function parseQuota(q) {
  let size = 0n;
  let count = 0n;
  for (const part of q.split(',')) {
    if (part.endsWith('S')) size = strtoll(part);
    else if (part.endsWith('C')) count = strtoll(part);
  }
  return { size, count };
}

/**
 * Maildir++ usage: sizes (",S=" when present) and count of cur/ and new/ in every folder but Trash.
 * @param {string} maildir
 */
function maildirUsage(maildir) {
  let bytes = 0n;
  let count = 0n;
  const countDir = (/** @type {string} */ d) => {
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
        if (!st?.isFile()) continue;
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
      if (st?.isDirectory()) folders.push(`${maildir}/${n}`);
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

/**
 * update_maildirsize(): removes maildirsize and, unless NOQUOTA/empty, writes it with usage.
 * @param {string} domain
 * @param {string} dir the user's directory
 * @param {string} quota
 */
export function updateMaildirsize(domain, dir, quota) {
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

/**
 * vmaildir_readquota(): how full the Maildir is, in percent of its size or its count limit,
 * whichever is fuller.
 * @param {string} maildir
 * @param {string} quota
 */
export function vmaildirReadquota(maildir, quota) {
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

/**
 * vsetuserquota() of the library.
 * @param {string} username
 * @param {string} domain
 * @param {string} quota
 * @returns {number} 0 or a VA code
 */
export function vsetuserquotaLib(username, domain, quota) {
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
