// @ts-check
import { getDomainEntries } from '../lib/assign.mjs';
import { vdeldomainLib } from '../lib/domains.mjs';
import { VA, VERSION, verror } from '../lib/messages.mjs';
import { makeGetopt } from '../runtime/getopt.mjs';
import { ARGV } from '../runtime/invocation.mjs';
import { out, vexit } from '../runtime/output.mjs';

const VDELDOMAIN_USAGE =
  'vdeldomain: usage: [options] domain_name\n' +
  'options: -v (print version number)\n' +
  'options: -f (force delete of virtual domains)\n';

export function cmdVdeldomain() {
  let force = false;
  const g = makeGetopt(ARGV, 'vf');
  let errflag = false;
  while (!errflag) {
    const c = g.next();
    if (c === -1) break;
    if (c === 'v') out(`version: ${VERSION}\n`);
    else if (c === 'f') force = true;
    else errflag = true;
  }
  if (g.optind >= g.argv.length) {
    out(VDELDOMAIN_USAGE);
    vexit(0);
  }
  const domain = g.argv[g.optind].slice(0, 299);
  const entries = getDomainEntries(domain);
  if (entries == null) {
    out(`Error: Can't get domain entries - ${verror(VA.CANNOT_READ_ASSIGN)}\n`);
    vexit(VA.CANNOT_READ_ASSIGN);
  }
  if (entries.length === 0) {
    out('Error: Domain does not exist\n');
    vexit(VA.DOMAIN_DOES_NOT_EXIST);
  }
  const aliases = [];
  let parent = '';
  for (const e of entries) {
    if (e.domain !== e.realdomain) aliases.push(e.domain);
    else parent = e.domain;
  }
  let doit = true;
  if (aliases.length > 0 && domain === parent) {
    if (force) out('Warning: Alias domains deleted:\n');
    else {
      out('Warning: Alias domains exist:\n');
      doit = false;
    }
    for (const al of aliases) out(`   ${al}\n`);
  }
  let rc = 0;
  if (doit) {
    rc = vdeldomainLib(domain);
    if (rc !== 0) out(`Error: ${verror(rc)}\n`);
  } else {
    out('   use -f to force delete of domain and all aliases\n');
  }
  vexit(rc);
}
