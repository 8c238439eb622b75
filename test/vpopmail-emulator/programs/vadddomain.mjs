// @ts-check
import { vgetAssign } from '../lib/assign.mjs';
import { setOptimizeAddDomain } from '../lib/control.mjs';
import { vadddomainLib, vdeldomainLib } from '../lib/domains.mjs';
import { VA, VERSION, verror } from '../lib/messages.mjs';
import { randomPasswordOption, vgetpasswd } from '../lib/passwords.mjs';
import { vsetuserquotaLib } from '../lib/quota.mjs';
import { vadduserLib } from '../lib/users.mjs';
import { atoi, toBin } from '../runtime/cstring.mjs';
import { getpwnam } from '../runtime/etc-passwd.mjs';
import { chownC, writeFileC } from '../runtime/files.mjs';
import { makeGetopt } from '../runtime/getopt.mjs';
import { ARGV, VHOME, VPOPMAILGID, VPOPMAILUID } from '../runtime/invocation.mjs';
import { out, vexit } from '../runtime/output.mjs';

/** @import { Assign } from '../lib/assign.mjs' */

const VADDDOMAIN_USAGE =
  'vadddomain: usage: vadddomain [options] virtual_domain [postmaster password]\n' +
  'options: -v prints the version\n' +
  '         -q quota_in_bytes (sets the quota for postmaster account)\n' +
  "         -b (bounces all mail that doesn't match a user, default)\n" +
  '         -e email_address (forwards all non matching user to this address [*])\n' +
  '         -u user (sets the uid/gid based on a user in /etc/passwd)\n' +
  '         -d dir (sets the dir to use for this domain)\n' +
  '         -i uid (sets the uid to use for this domain)\n' +
  '         -g gid (sets the gid to use for this domain)\n' +
  '         -O optimize adding, for bulk adds set this for all\n' +
  '            except the last one\n' +
  '         -r[len] (generate a len (default 12) char random postmaster password)\n' +
  '\n' +
  " [*] omit @-sign to deliver directly into user's Maildir: '-e postmaster'\n" +
  '\n' +
  'Special bounce messages supported by vdeliver mail:\n' +
  '   vadddomain -b delete example.com [password]  -  delete all mail to non-existant accounts\n' +
  '   vadddomain -b bounce-no-mailbox example.com [password] - bounce them \n' +
  '   vadddimain -b someone@somewhere.com example.com [password] - sent to another address\n' +
  '   vadddomain -b /path/to/Maildir example.com [password] - sent to a Maildir\n';

export function cmdVadddomain() {
  let domain = '';
  let passwd = '';
  let user = '';
  let dir = '';
  let quota = '';
  let bounceEmail = '';
  let randomPw = false;
  let uid = VPOPMAILUID;
  let gid = VPOPMAILGID;
  const g = makeGetopt(ARGV, 'q:be:u:vi:g:d:Or::');
  let errflag = false;
  while (!errflag) {
    const c = g.next();
    if (c === -1) break;
    switch (c) {
      case 'v':
        out(`version: ${VERSION}\n`);
        break;
      case 'd':
        dir = /** @type {string} */ (g.optarg).slice(0, 299);
        break;
      case 'u':
        user = /** @type {string} */ (g.optarg).slice(0, 299);
        break;
      case 'q':
        quota = /** @type {string} */ (g.optarg).slice(0, 299);
        break;
      case 'e':
        bounceEmail = /** @type {string} */ (g.optarg).slice(0, 299);
        break;
      case 'i':
        uid = atoi(/** @type {string} */ (g.optarg)) >>> 0;
        break;
      case 'g':
        gid = atoi(/** @type {string} */ (g.optarg)) >>> 0;
        break;
      case 'b':
        break;
      case 'O':
        setOptimizeAddDomain();
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
  if (user !== '') {
    const pw = getpwnam(user);
    if (pw) {
      if (dir === '') dir = toBin(pw.dir);
      uid = pw.uid;
      gid = pw.gid;
    } else {
      out(`Error: user ${user} not found in /etc/passwd\n`);
      vexit(-1);
    }
  }
  if (dir === '') dir = VHOME;
  let optind = g.optind;
  if (optind < g.argv.length) domain = g.argv[optind++].slice(0, 299);
  else {
    out(VADDDOMAIN_USAGE);
    vexit(0);
  }
  if (vgetAssign(domain)) {
    out(`Error: ${verror(VA.DOMAIN_ALREADY_EXISTS)}\n`);
    vexit(VA.DOMAIN_ALREADY_EXISTS);
  }
  if (optind < g.argv.length) {
    if (!randomPw) passwd = g.argv[optind++].slice(0, 299);
    else {
      out("Error: don't use -r option when giving password on command line\n");
      vexit(-1);
    }
  } else if (!randomPw) {
    passwd = vgetpasswd('postmaster');
  }
  const added = vadddomainLib(domain, dir, uid, gid);
  if (added.rc !== 0) {
    out(`Error: ${verror(added.rc)}\n`);
    vexit(added.rc);
  }
  domain = /** @type {string} */ (added.domain); // set whenever rc is 0
  let rc = vadduserLib('postmaster', domain, passwd, 'Postmaster', 0);
  if (rc !== 0) {
    out(`Error: (vadduser) ${verror(rc)}\n`);
    rc = vdeldomainLib(domain);
    if (rc !== 0) out(`Error: ${verror(rc)}\n`);
    vexit(rc);
  }
  if (quota !== '') {
    rc = vsetuserquotaLib('postmaster', domain, quota);
    if (rc !== 0) {
      out(`Error: ${verror(rc)}\n`);
      vexit(rc);
    }
  }
  if (bounceEmail !== '') {
    const a = /** @type {Assign} */ (vgetAssign(domain)); // added above
    const file = `${a.dir}/.qmail-default`;
    try {
      if (bounceEmail.includes('@')) writeFileC(file, `| ${VHOME}/bin/vdelivermail '' ${bounceEmail}\n`);
      else writeFileC(file, `| ${VHOME}/bin/vdelivermail '' ${a.dir}/${bounceEmail}\n`);
      chownC(file, a.uid, a.gid);
    } catch {
      out(`Error: could not open ${file}\n`);
      vexit(-1);
    }
  }
  if (randomPw) out(`Random password: ${passwd}\n`);
  vexit(0);
}
