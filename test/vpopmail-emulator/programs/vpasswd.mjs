// @ts-check
import { parseEmail } from '../lib/addresses.mjs';
import { POLICY_TEXT, VERSION, isPolicyError, verror } from '../lib/messages.mjs';
import { randomPasswordOption, vgetpasswd } from '../lib/passwords.mjs';
import { vpasswdLib } from '../lib/users.mjs';
import { makeGetopt } from '../runtime/getopt.mjs';
import { ARGV } from '../runtime/invocation.mjs';
import { out, vexit } from '../runtime/output.mjs';

const VPASSWD_USAGE =
  'vpasswd: usage: [options] email_address [password]\n' +
  'options: -v (print version number)\n' +
  '         -r[len] (generate a len (default 12) char random password)\n';

export function cmdVpasswd() {
  let email = '';
  let passwd = '';
  let randomPw = false;
  const g = makeGetopt(ARGV, 'vr::');
  let errflag = false;
  while (!errflag) {
    const c = g.next();
    if (c === -1) break;
    switch (c) {
      case 'v':
        out(`version: ${VERSION}\n`);
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
  let optind = g.optind;
  if (optind < g.argv.length) email = g.argv[optind++].slice(0, 299);
  if (optind < g.argv.length) {
    if (!randomPw) passwd = g.argv[optind++].slice(0, 299);
    else {
      out("Error: don't use -r option when giving password on command line\n");
      vexit(-1);
    }
  }
  if (email === '') {
    out(VPASSWD_USAGE);
    vexit(-1);
  }
  const pe = parseEmail(email);
  if (pe.rc !== 0) {
    out(`Error: ${verror(pe.rc)}\n`);
    vexit(pe.rc);
  }
  if (passwd.length <= 0) passwd = vgetpasswd(pe.email);
  const rc = vpasswdLib(pe.user, pe.domain, passwd);
  if (rc !== 0) {
    out(`Error: ${verror(rc)}\n`);
    if (isPolicyError(rc)) out(`A password policy is in place:\n\t${POLICY_TEXT}\n`);
    vexit(rc);
  }
  if (randomPw) out(`Random password: ${passwd}\n`);
  vexit(0);
}
