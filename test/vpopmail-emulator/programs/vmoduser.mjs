// @ts-check
import { parseEmail } from '../lib/addresses.mjs';
import { FLAG } from '../lib/limits.mjs';
import { VERSION, verror } from '../lib/messages.mjs';
import { mkpasswd3 } from '../lib/passwords.mjs';
import { formatMaildirquota, updateMaildirsize } from '../lib/quota.mjs';
import { setNoMakeIndex, vauthGetall, vauthGetpw, vauthSetpw } from '../lib/vpasswd.mjs';
import { lower } from '../runtime/cstring.mjs';
import { makeGetopt } from '../runtime/getopt.mjs';
import { ARGV } from '../runtime/invocation.mjs';
import { out, vexit } from '../runtime/output.mjs';

/** @import { Pw } from '../lib/vpasswd.mjs' */

const VMODUSER_USAGE =
  'vmoduser: usage: [options] email_addr or domain (for each user in domain)\n' +
  'options: -v ( display the vpopmail version number )\n' +
  "         -n ( don't rebuild the vpasswd.cdb file )\n" +
  '         -q quota ( set quota )\n' +
  '         -c comment (set the comment/gecos field )\n' +
  '         -e encrypted_passwd (set the password field )\n' +
  '         -C clear_text_passwd (set the password field )\n' +
  'the following options are bit flags in the gid int field\n' +
  '         -x ( clear all flags )\n' +
  "         -d ( don't allow user to change password )\n" +
  '         -p ( disable POP access )\n' +
  '         -s ( disable SMTP AUTH access )\n' +
  '         -w ( disable webmail [IMAP from localhost*] access )\n' +
  '            ( * full list of webmail server IPs in vchkpw.c )\n' +
  '         -i ( disable non-webmail IMAP access )\n' +
  '         -b ( bounce all mail )\n' +
  '         -o ( user is not subject to domain limits )\n' +
  '         -r ( disable roaming user/pop-before-smtp )\n' +
  '         -a ( grant qmailadmin administrator privileges )\n' +
  '         -S ( grant system administrator privileges - access all domains )\n' +
  '         -E ( grant expert privileges - edit .qmail files )\n' +
  '         -f ( disable spamassassin)\n' +
  '         -F ( delete spam)\n' +
  '         -m ( disable maildrop)\n' +
  "  [The following flags aren't used directly by vpopmail but are]\n" +
  '  [included for other programs that share the user database.]\n' +
  '         -u ( set no dialup flag )\n' +
  '         -0 ( set V_USER0 flag )\n' +
  '         -1 ( set V_USER1 flag )\n' +
  '         -2 ( set V_USER2 flag )\n' +
  '         -3 ( set V_USER3 flag )\n';

export function cmdVmoduser() {
  let email = '';
  let gecos = '';
  let dir = '';
  let passwd = '';
  let quota = '';
  let crypted = '';
  let gidFlag = 0;
  let quotaFlag = false;
  let clearFlags = false;
  /** @type {Record<string, number>} the options that only set a flag */
  const bits = {
    d: FLAG.NO_PASSWD_CHNG,
    p: FLAG.NO_POP,
    s: FLAG.NO_SMTP,
    w: FLAG.NO_WEBMAIL,
    i: FLAG.NO_IMAP,
    b: FLAG.BOUNCE_MAIL,
    o: FLAG.V_OVERRIDE,
    r: FLAG.NO_RELAY,
    u: FLAG.NO_DIALUP,
    0: FLAG.V_USER0,
    1: FLAG.V_USER1,
    2: FLAG.V_USER2,
    3: FLAG.V_USER3,
    a: FLAG.QA_ADMIN,
    f: FLAG.NO_SPAMASSASSIN,
    F: FLAG.DELETE_SPAM,
    m: FLAG.NO_MAILDROP,
  };
  const g = makeGetopt(ARGV, 'D:avunxc:q:dpswibro0123he:C:fFSEm');
  for (;;) {
    const c = g.next();
    if (c === -1) break;
    switch (c) {
      case 'v':
        out(`version: ${VERSION}\n`);
        break;
      case 'n':
        setNoMakeIndex();
        break;
      case 'x':
        clearFlags = true;
        break;
      case 'e':
        crypted = /** @type {string} */ (g.optarg).slice(0, 299);
        break;
      case 'C':
        passwd = /** @type {string} */ (g.optarg).slice(0, 299);
        break;
      case 'D':
        dir = /** @type {string} */ (g.optarg).slice(0, 299);
        break;
      case 'c':
        gecos = /** @type {string} */ (g.optarg).slice(0, 299);
        break;
      case 'q':
        quotaFlag = true;
        quota = formatMaildirquota(/** @type {string} */ (g.optarg));
        break;
      // Only root may grant these. A non-root emulator plays root (it only cannot chown).
      case 'S':
        gidFlag |= FLAG.SA_ADMIN;
        break;
      case 'E':
        gidFlag |= FLAG.SA_EXPERT;
        break;
      case 'h':
        out(VMODUSER_USAGE);
        vexit(0);
        break;
      default:
        if (c in bits) gidFlag |= bits[c];
        break;
    }
  }
  const argv = g.argv;
  if (g.optind < argv.length) email = argv[g.optind].slice(0, 299);
  if (email === '') {
    out(VMODUSER_USAGE);
    vexit(-1);
  }
  /** @type {(mypw: Pw, domain: string) => void} */
  const apply = (mypw, domain) => {
    if (gecos !== '') mypw.gecos = gecos;
    if (dir !== '') mypw.dir = dir;
    if (passwd !== '') {
      mypw.passwd = mkpasswd3(passwd);
      mypw.clear = passwd;
    } else if (crypted !== '') {
      mypw.passwd = crypted;
    }
    if (clearFlags) mypw.gid = 0;
    if (gidFlag !== 0) mypw.gid |= gidFlag;
    if (quotaFlag) {
      mypw.shell = quota;
      updateMaildirsize(domain, mypw.dir, quota);
    }
    const rc = vauthSetpw(mypw, domain);
    if (rc !== 0) {
      out(`Error: ${verror(rc)}\n`);
      vexit(rc);
    }
  };
  if (email.includes('@')) {
    const pe = parseEmail(email);
    if (pe.rc !== 0) {
      out(`Error: ${verror(pe.rc)}\n`);
      vexit(pe.rc);
    }
    const mypw = vauthGetpw(pe.user, pe.domain);
    if (!mypw) {
      out(`no such user ${pe.user}@${pe.domain}\n`);
      vexit(-1);
    }
    apply(mypw, lower(pe.domain));
  } else {
    const domain = lower(email);
    for (const mypw of vauthGetall(domain)) apply(mypw, domain);
  }
  vexit(0);
}
