// @ts-check
// The user flags and the domain limits (vlimits.c, file backend) that add to them.

import { strtoll } from '../runtime/cstring.mjs';
import { readBin } from '../runtime/files.mjs';
import { VHOME } from '../runtime/invocation.mjs';

/** @import { Assign } from './assign.mjs' */
/** @import { Pw } from './vpasswd.mjs' */

export const FLAG = {
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
/** @type {Record<string, number>} */
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

/**
 * @typedef {object} Limits the few domain limits the emulator reproduces
 * @property {bigint} defaultQuota bytes, 0 for none
 * @property {bigint} defaultMaxMsgCount
 * @property {number} flags FLAG bits every user of the domain gets
 */

/**
 * vget_limits(): the domain's .qmailadmin-limits, else ~vpopmail/etc/vlimits.default.
 * @param {Assign} a
 * @returns {Limits | null}
 */
export function vgetLimits(a) {
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
/**
 * @param {Pw} pw
 * @param {Assign} a
 */
export function vlimitsSetflags(pw, a) {
  if (pw.gid & FLAG.V_OVERRIDE) return;
  const lim = vgetLimits(a);
  if (lim) pw.flags = pw.gid | lim.flags;
}
