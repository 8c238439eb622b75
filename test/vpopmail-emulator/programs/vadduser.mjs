// @ts-check
import { parseEmail } from '../lib/addresses.mjs';
import { vgetAssign } from '../lib/assign.mjs';
import { POLICY_TEXT, VERSION, isPolicyError, verror } from '../lib/messages.mjs';
import { randomPasswordOption, vgetpasswd, vrandomPass } from '../lib/passwords.mjs';
import { vsetuserquotaLib } from '../lib/quota.mjs';
import { vadduserLib } from '../lib/users.mjs';
import { vauthGetpw, vauthSetpw } from '../lib/vpasswd.mjs';
import { makeGetopt } from '../runtime/getopt.mjs';
import { ARGV } from '../runtime/invocation.mjs';
import { err, out, vexit } from '../runtime/output.mjs';

const VADDUSER_USAGE =
  'vadduser: usage: [options] email_address [passwd]\n' +
  'options: -v (print the version)\n' +
  '         -q quota_in_bytes (sets the users quota, use NOQUOTA for unlimited)\n' +
  '         -c comment (sets the gecos comment field)\n' +
  '         -e standard_encrypted_password\n' +
  "            (MD5 '$1$', SHA-512 '$6$', etc.)\n" +
  '            NOTE: Wrap the password in single quotes to prevent shell expansion:\n' +
  "                  vadduser -e '$6$...hashed_password...' user@domain\n" +
  '         -r[len] (generate a len (default 12) char random password)\n' +
  '\nExamples:\n' +
  '  vadduser user@domain                      # prompt for cleartext password\n' +
  "  vadduser -q 100000 -c 'Test user' -e '$1$abcd$XYZ...' user@domain\n" +
  '           (MD5 hashed password, use single quotes)\n' +
  "  vadduser -q 100000 -c 'Test user' -e '$6$56RNlxOG$...' user@domain\n" +
  '           (SHA-512 hashed, use single quotes)\n';

export function cmdVadduser() {
  let email = '';
  let passwd = '';
  let quota = '';
  let gecos = '';
  let crypted = '';
  let randomPw = false;
  const g = makeGetopt(ARGV, 'svc:nq:e:r::');
  let errflag = false;
  while (!errflag) {
    const c = g.next();
    if (c === -1) break;
    switch (c) {
      case 'v':
        out(`version: ${VERSION}\n`);
        break;
      case 'c':
        gecos = /** @type {string} */ (g.optarg).slice(0, 299);
        break;
      case 'q':
        quota = /** @type {string} */ (g.optarg).slice(0, 299);
        break;
      case 'e':
        crypted = /** @type {string} */ (g.optarg).slice(0, 299);
        break;
      case 's':
        err('Warning: The -s option has been disabled.\n');
        break;
      case 'r':
        randomPw = true;
        passwd = randomPasswordOption(g.optarg);
        break;
      default:
        errflag = true;
        break;
    }
  }
  if (crypted !== '') passwd = vrandomPass(12);
  const argv = g.argv;
  let optind = g.optind;
  if (optind < argv.length) email = argv[optind++].slice(0, 299);
  if (optind < argv.length) {
    if (!randomPw) passwd = argv[optind++].slice(0, 299);
    else {
      out("Error: don't use -r option when giving password on command line\n");
      vexit(-1);
    }
  }
  if (email === '') {
    out(VADDUSER_USAGE);
    vexit(-1);
  }
  const pe = parseEmail(email);
  if (pe.rc !== 0) {
    out(`Error: ${verror(pe.rc)}\n`);
    vexit(pe.rc);
  }
  const { user, domain } = pe;
  if (domain === '') {
    out('You did not use a full email address for the user name\nOnly full email addresses should be used\n');
    vexit(-1);
  }
  if (!vgetAssign(domain)) {
    out('Error: Domain does not exist\n');
    vexit(-1);
  }
  if (vauthGetpw(user, domain)) {
    out('Error: User already exists\n');
    vexit(-1);
  }
  if (gecos === '') gecos = user;
  if (crypted === '') {
    if (passwd === '') passwd = vgetpasswd(pe.email);
    if (passwd === '') {
      out('Error: No password entered\n');
      out(VADDUSER_USAGE);
      vexit(-1);
    }
  }
  const rc = vadduserLib(user, domain, passwd, gecos, 0);
  if (rc < 0) {
    out(`Error: ${verror(rc)}\n`);
    if (isPolicyError(rc)) out(`A password policy is in place:\n\t${POLICY_TEXT}\n`);
    vexit(rc);
  }
  if (quota !== '') {
    if (vsetuserquotaLib(user, domain, quota) !== 0) {
      out('Error in vsetuserquota()\n');
      vexit(-1);
    }
  }
  if (crypted !== '') {
    const vpw = vauthGetpw(user, domain);
    if (!vpw) {
      out('Error in vauth_getpw()\n');
      vexit(-1);
    }
    vpw.passwd = crypted;
    vpw.clear = '';
    if (vauthSetpw(vpw, domain) !== 0) {
      out('Error in vauth_setpw()\n');
      vexit(-1);
    }
  }
  if (randomPw) out(`Random password: ${passwd}\n`);
  vexit(0);
}
