// @ts-check
import { parseEmail } from '../lib/addresses.mjs';
import { vgetAssign } from '../lib/assign.mjs';
import { FLAG } from '../lib/limits.mjs';
import { VERSION, verror } from '../lib/messages.mjs';
import { formatMaildirquota, vmaildirReadquota } from '../lib/quota.mjs';
import { vauthGetall, vauthGetpw } from '../lib/vpasswd.mjs';
import { fgetsChunks, lower } from '../runtime/cstring.mjs';
import { readBin, statOrNull } from '../runtime/files.mjs';
import { makeGetopt } from '../runtime/getopt.mjs';
import { ARGV, IS_ROOT } from '../runtime/invocation.mjs';
import { out, vexit } from '../runtime/output.mjs';

/** @import { Stats } from 'node:fs' */
/** @import { Pw } from '../lib/vpasswd.mjs' */

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

/**
 * asctime(localtime(t)), its newline included.
 * @param {number} t seconds since the epoch
 */
function asctime(t) {
  const d = new Date(t * 1000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${days[d.getDay()]} ${months[d.getMonth()]}${String(d.getDate()).padStart(3, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}\n`;
}

/**
 * vuserinfo setuid()s to the domain's owner before reading (as root). Reproduced as an access
 * check: that uid/gid must be able to reach and read the file, or the lookup finds nobody (a
 * domain owned by another uid than ~vpopmail/domains' owner is invisible to vuserinfo).
 * @param {string} file
 * @param {number} uid
 * @param {number} gid
 */
function readableAs(file, uid, gid) {
  if (!IS_ROOT || uid === 0) return true;
  const allows = (/** @type {Stats} */ st, /** @type {number} */ bit) => {
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

export function cmdVuserinfo() {
  /** @type {Record<string, number>} */
  const show = { name: 0, passwd: 0, clear: 0, uid: 0, gid: 0, comment: 0, dir: 0, quota: 0, usage: 0, last: 0 };
  let all = true;
  let email = '';
  let domainOpt = '';
  const g = makeGetopt(ARGV, 'anpugcdqQvlD:C');
  let errflag = false;
  /** @type {Record<string, string>} the option letter of each field of show */
  const map = {
    n: 'name',
    p: 'passwd',
    u: 'uid',
    g: 'gid',
    c: 'comment',
    C: 'clear',
    d: 'dir',
    q: 'quota',
    Q: 'usage',
    l: 'last',
  };
  while (!errflag) {
    const c = g.next();
    if (c === -1) break;
    if (c === 'D') domainOpt = /** @type {string} */ (g.optarg).slice(0, 299);
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
  const lastLogin = (/** @type {Pw} */ pw) => {
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
  const usage = (/** @type {Pw} */ pw) =>
    pw.shell !== 'NOQUOTA' ? `${vmaildirReadquota(`${pw.dir}/Maildir`, formatMaildirquota(pw.shell))}%` : pw.shell;
  const display = (/** @type {Pw} */ pw) => {
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
        const lim = (/** @type {number} */ flag, /** @type {string} */ msg) => {
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
