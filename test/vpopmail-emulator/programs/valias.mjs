// @ts-check
import fs from 'node:fs';
import { parseEmail } from '../lib/addresses.mjs';
import { vgetAssign } from '../lib/assign.mjs';
import { VERSION, verror } from '../lib/messages.mjs';
import { P, fgetsChunks } from '../runtime/cstring.mjs';
import { chownC, readBin, unlinkC } from '../runtime/files.mjs';
import { makeGetopt } from '../runtime/getopt.mjs';
import { ARGV } from '../runtime/invocation.mjs';
import { err, out, vexit } from '../runtime/output.mjs';

/** @import { Assign } from '../lib/assign.mjs' */

const VALIAS_USAGE =
  'valias: usage: [options] email_address \n' +
  'options: -v ( display the vpopmail version number )\n' +
  '         -n ( show alias names, use just domain )\n' +
  '         -s ( show aliases, can use just domain )\n' +
  '         -d ( delete alias )\n' +
  '         -i alias_line (insert alias line)\n' +
  '\n' +
  'Example: valias -i fred@inter7.com bob@inter7.com\n' +
  '         (adds alias from bob@inter7.com to fred@inter7.com\n';

/** The .qmail file of a local part: qmail reads a '.' in it as ':'. */
const dotqmailName = (/** @type {string} */ alias) => `.qmail-${alias.replace(/\./g, ':')}`;

/**
 * @param {Assign} a
 * @param {string} alias
 */
function aliasLines(a, alias) {
  const t = readBin(`${a.dir}/${dotqmailName(alias)}`);
  if (t == null) return [];
  return fgetsChunks(t, 300).map((l) => (l.endsWith('\n') ? l.slice(0, -1) : l));
}
/**
 * @param {string} alias
 * @param {string} domain
 */
function valiasSelect(alias, domain) {
  const a = vgetAssign(domain);
  if (!a) {
    out('invalid domain, not in qmail assign file\n');
    return null;
  }
  return aliasLines(a, alias);
}
/** @param {Assign} a */
function aliasNames(a) {
  let names;
  try {
    names = fs.readdirSync(P(a.dir), { encoding: 'buffer' }).map((b) => b.toString('latin1'));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith('.qmail-') && n !== '.qmail-default')
    .sort()
    .map((n) => n.slice(7).replace(/:/g, '.'));
}

export function cmdValias() {
  let action = 'select';
  let aliasLine = '';
  const g = makeGetopt(ARGV, 'vnsdi:');
  for (;;) {
    const c = g.next();
    if (c === -1) break;
    switch (c) {
      case 'v':
        out(`version: ${VERSION}\n`);
        break;
      case 'n':
        action = 'names';
        break;
      case 's':
        action = 'select';
        break;
      case 'd':
        action = 'delete';
        break;
      case 'i':
        action = 'insert';
        aliasLine = /** @type {string} */ (g.optarg).slice(0, 299);
        break;
      default:
        out(VALIAS_USAGE);
        vexit(-2);
    }
  }
  let email = '';
  let alias = '';
  let domain = '';
  if (g.optind < g.argv.length) {
    email = g.argv[g.optind].slice(0, 299);
    const pe = parseEmail(email);
    if (pe.rc !== 0) {
      err(`Error: ${verror(pe.rc)}\n`);
      vexit(pe.rc);
    }
    email = pe.email;
    alias = pe.user;
    domain = pe.domain;
  }
  if (email === '') {
    err('must supply alias email address\n');
    out(VALIAS_USAGE);
    vexit(-1);
  }
  switch (action) {
    case 'select':
      if (!email.includes('@')) {
        const a = vgetAssign(email);
        if (!a) out('invalid domain, not in qmail assign file\n');
        const rows = [];
        if (a) for (const n of aliasNames(a)) for (const l of aliasLines(a, n)) rows.push([n, l]);
        if (rows.length === 0) {
          out(`No aliases found for domain ${email}\n`);
          vexit(-1);
        }
        for (const [n, l] of rows) out(`${n}@${email} -> ${l}\n`);
      } else {
        const lines = valiasSelect(alias, domain);
        if (!lines || lines.length === 0) {
          out(`No aliases ${alias}@${domain} found\n`);
          vexit(-1);
        }
        for (const l of lines) out(`${alias}@${domain} -> ${l}\n`);
      }
      break;
    case 'names':
      if (!email.includes('@')) {
        const a = vgetAssign(email);
        if (!a) {
          out('invalid domain, not in qmail assign file\n');
          vexit(-1);
        }
        const names = aliasNames(a);
        if (names.length === 0) vexit(-1);
        for (const n of names) out(`${n}\n`);
      } else {
        err('Please enter domain name only.\n');
        vexit(-1);
      }
      break;
    case 'insert': {
      const existing = valiasSelect(alias, domain) ?? [];
      if (existing.includes(aliasLine)) {
        err(`Error: alias ${email} -> ${aliasLine} already exists.\n`);
        vexit(-1);
      }
      const a = vgetAssign(domain);
      if (!a) {
        out('invalid domain, not in qmail assign file\n');
        break;
      }
      if (aliasLine.length > 160) break;
      const file = `${a.dir}/${dotqmailName(alias)}`;
      const old = process.umask(0o077);
      try {
        fs.appendFileSync(P(file), Buffer.from(`${aliasLine}\n`, 'latin1'), { mode: 0o600 });
      } catch {
        // ignored
      } finally {
        process.umask(old);
      }
      chownC(file, a.uid, a.gid);
      break;
    }
    case 'delete': {
      const a = vgetAssign(domain);
      if (!a) {
        out('invalid domain, not in qmail assign file\n');
        break;
      }
      unlinkC(`${a.dir}/${dotqmailName(alias)}`);
      break;
    }
    default:
      break;
  }
  vexit(0);
}
