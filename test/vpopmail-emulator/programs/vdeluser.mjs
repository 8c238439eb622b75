// @ts-check
import { parseEmail } from '../lib/addresses.mjs';
import { VERSION, verror } from '../lib/messages.mjs';
import { vdeluserLib } from '../lib/users.mjs';
import { makeGetopt } from '../runtime/getopt.mjs';
import { ARGV } from '../runtime/invocation.mjs';
import { out, vexit } from '../runtime/output.mjs';

const VDELUSER_USAGE = 'vdeluser: usage: [options] email_address\noptions: -v (print version number)\n';

export function cmdVdeluser() {
  let email = '';
  const g = makeGetopt(ARGV, 'v');
  let errflag = false;
  while (!errflag) {
    const c = g.next();
    if (c === -1) break;
    if (c === 'v') out(`version: ${VERSION}\n`);
    else errflag = true;
  }
  if (g.optind < g.argv.length) email = g.argv[g.optind].slice(0, 299);
  if (email === '') {
    out(VDELUSER_USAGE);
    vexit(-1);
  }
  const pe = parseEmail(email);
  if (pe.rc !== 0) {
    out(`Error: ${verror(pe.rc)}\n`);
    vexit(pe.rc);
  }
  const rc = vdeluserLib(pe.user, pe.domain);
  if (rc !== 0) {
    out(`Error: ${verror(rc)}\n`);
    vexit(rc);
  }
  vexit(0);
}
