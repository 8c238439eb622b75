// @ts-check
// parse_email() and the user/domain character sets vpopmail accepts.

import { lower, toBin } from '../runtime/cstring.mjs';
import { readBin } from '../runtime/files.mjs';
import { VHOME } from '../runtime/invocation.mjs';
import { err } from '../runtime/output.mjs';

const USER_CHARS = /^[!#$&'*+\-./0-9=?A-Z^_`a-z{|}~]*$/;
const DOMAIN_CHARS = /^[A-Za-z0-9.-]*$/;
export const isUsernameValid = (/** @type {string} */ u) => USER_CHARS.test(u);
export const isDomainValid = (/** @type {string} */ d) => DOMAIN_CHARS.test(d);

/** @returns {string} */
function defaultDomain() {
  const env = process.env.VPOPMAIL_DOMAIN;
  if (env !== undefined)
    return toBin(env)
      .replace(/[^a-zA-Z0-9_\-.@]/g, '_')
      .slice(0, 96);
  const t = readBin(`${VHOME}/etc/defaultdomain`);
  if (t == null) return '';
  const line = t.slice(0, 96);
  return line.endsWith('\n') ? line.slice(0, -1) : line.split('\n')[0];
}

/**
 * @typedef {object} ParsedEmail
 * @property {number} rc 0, or -1 when a half has a character vpopmail refuses (already reported)
 * @property {string} email the address lowercased
 * @property {string} user
 * @property {string} domain the default domain when the address has none
 */

/**
 * parse_email(): lowercases, splits at '@' (else '%', else '/'), validates both halves.
 * @param {string} email
 * @returns {ParsedEmail}
 */
export function parseEmail(email) {
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
