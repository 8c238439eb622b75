// @ts-check
// Adding and deleting domains and alias domains as libvpopmail does: directory, assign,
// control files.

import path from 'node:path';
import { isDomainValid } from './addresses.mjs';
import { getDomainEntries, vgetAssign } from './assign.mjs';
import { addDomainAssign, delControl, delDomainAssign } from './control.mjs';
import { decDirControl, nextBigDir } from './dir-hashing.mjs';
import { VA, verror } from './messages.mjs';
import { lower } from '../runtime/cstring.mjs';
import {
  chownC,
  lstatOrNull,
  mkdirC,
  rChown,
  rMkdir,
  statOrNull,
  unlinkC,
  vdelfiles,
  writeFileC,
} from '../runtime/files.mjs';
import { VHOME } from '../runtime/invocation.mjs';
import { err, out } from '../runtime/output.mjs';

/**
 * vadddomain() of the library.
 * @param {string} domainIn
 * @param {string} dir the directory that gets domains/ (the owner's home)
 * @param {number} uid
 * @param {number} gid
 * @returns {{ rc: number, domain?: string }} rc 0 or a VA code; domain, lowercased, when added
 */
export function vadddomainLib(domainIn, dir, uid, gid) {
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

/**
 * vdeldomain() of the library.
 * @param {string} domainIn
 * @returns {number} 0 or a VA code
 */
export function vdeldomainLib(domainIn) {
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
    if (lst?.isSymbolicLink()) {
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

/**
 * vaddaliasdomain() of the library.
 * @param {string} aliasIn
 * @param {string} realIn
 * @returns {number} 0 or a VA code
 */
export function vaddaliasdomainLib(aliasIn, realIn) {
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
