// @ts-check
import { parseEmail } from '../lib/addresses.mjs';
import { vgetAssign } from '../lib/assign.mjs';
import { VA, VERSION, verror } from '../lib/messages.mjs';
import { vsetuserquotaLib } from '../lib/quota.mjs';
import { vauthGetall } from '../lib/vpasswd.mjs';
import { lower, upper } from '../runtime/cstring.mjs';
import { makeGetopt } from '../runtime/getopt.mjs';
import { ARGV } from '../runtime/invocation.mjs';
import { out, vexit } from '../runtime/output.mjs';

const VSETUSERQUOTA_USAGE =
  'vsetuserquota: [options] email_address|domain_name quota\n' +
  'options:\n' +
  '-v (print version number)\n' +
  '\nIf you specify a domain name rather than an email address,\n' +
  'the quota will be applied to all users in that domain\n';

export function cmdVsetuserquota() {
  let email = '';
  let quota = '';
  const g = makeGetopt(ARGV, 'v');
  let errflag = false;
  while (!errflag) {
    const c = g.next();
    if (c === -1) break;
    if (c === 'v') out(`version: ${VERSION}\n`);
    else errflag = true;
  }
  let optind = g.optind;
  if (optind < g.argv.length) email = g.argv[optind++].slice(0, 299);
  if (optind < g.argv.length) quota = upper(g.argv[optind++].slice(0, 299));
  if (email === '' || quota === '') {
    out(VSETUSERQUOTA_USAGE);
    vexit(-1);
  }
  if (!email.includes('@')) {
    const domain = email;
    if (!vgetAssign(domain)) {
      out(`Error: ${verror(VA.DOMAIN_DOES_NOT_EXIST)}\n`);
      vexit(VA.DOMAIN_DOES_NOT_EXIST);
    }
    for (const pw of vauthGetall(lower(domain))) {
      const rc = vsetuserquotaLib(pw.name, domain, quota);
      if (rc !== 0) {
        out(`Error: ${verror(rc)}\n`);
        vexit(rc);
      }
    }
  } else {
    const pe = parseEmail(email);
    if (pe.rc !== 0) {
      out(`Error: ${verror(pe.rc)}\n`);
      vexit(pe.rc);
    }
    if (!vgetAssign(pe.domain)) {
      out(`Error: ${verror(VA.DOMAIN_DOES_NOT_EXIST)}\n`);
      vexit(VA.DOMAIN_DOES_NOT_EXIST);
    }
    const rc = vsetuserquotaLib(pe.user, pe.domain, quota);
    if (rc !== 0) {
      out(`Error: ${verror(rc)}\n`);
      vexit(rc);
    }
  }
  vexit(0);
}
