// @ts-check
import { vgetAssign } from '../lib/assign.mjs';
import { vaddaliasdomainLib } from '../lib/domains.mjs';
import { VERSION, verror } from '../lib/messages.mjs';
import { lower } from '../runtime/cstring.mjs';
import { makeGetopt } from '../runtime/getopt.mjs';
import { ARGV } from '../runtime/invocation.mjs';
import { out, vexit } from '../runtime/output.mjs';

const VADDALIASDOMAIN_USAGE =
  'vaddaliasdomain: usage: [options] real_domain alias_domain\n' +
  'options: -v (print version number)\n' +
  'note: for backward compatability, you can swap real_domain and alias_domain.\n';

export function cmdVaddaliasdomain() {
  let a = '';
  let b = '';
  const g = makeGetopt(ARGV, 'v');
  let errflag = false;
  while (!errflag) {
    const c = g.next();
    if (c === -1) break;
    if (c === 'v') out(`version: ${VERSION}\n`);
    else errflag = true;
  }
  let optind = g.optind;
  if (optind < g.argv.length) a = g.argv[optind++].slice(0, 299);
  if (optind < g.argv.length) b = g.argv[optind++].slice(0, 299);
  if (a === '' || b === '') {
    out(VADDALIASDOMAIN_USAGE);
    vexit(-1);
  }
  if (a === b) {
    out('Error: real domain and alias domain are the same!\n');
    out(VADDALIASDOMAIN_USAGE);
    vexit(-1);
  }
  // vget_assign() lowercases its argument and rewrites an alias to its real domain
  const da = vgetAssign(a);
  const db = vgetAssign(b);
  if (da) a = da.real;
  else a = lower(a);
  if (db) b = db.real;
  else b = lower(b);
  if (da && db) {
    out('Error: Both domains already exist, unable to create alias.\n');
    vexit(-1);
  }
  if (!da && !db) {
    out(`Error: Neither '${a}' or '${b}'  exist, unable to create alias.\n`);
    vexit(-1);
  }
  const rc = da ? vaddaliasdomainLib(b, a) : vaddaliasdomainLib(a, b);
  if (rc !== 0) {
    out(`Error: ${verror(rc)}\n`);
    vexit(rc);
  }
  vexit(0);
}
