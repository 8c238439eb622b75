/**
 * Writes a Site as the files of a real vpopmail 5.6 / qmail server: hashed domain and user
 * directories placed by vpopmail's own `.dir-control` sequence (src/apply/dir-control.ts),
 * vpasswd in sorted order with 8-field lines, vpasswd.cdb from our writer, `.qmail-*` files,
 * users/assign with users/cdb, the control files and tcp.smtp compiled by the real tcprules.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCdbFromRanges } from '../src/cdb/write.js';
import {
  EMPTY_DOMAIN_DIR_CONTROL,
  NEW_DOMAIN_DIR_CONTROL,
  formatDirControl,
  nextUserDir,
  parseDirControl,
} from '../src/formats/dir-control.js';
import type { DirControl } from '../src/formats/dir-control.js';
import { usersCdbFromAssign } from '../src/formats/assign.js';
import { dotQmailContent } from '../src/apply/dot-qmail-write.js';
import { formatVpasswdLine } from '../src/formats/vpasswd.js';
import { cdbRangesFromVpasswd } from '../src/formats/vpasswd-cdb.js';
import { dotQmailFileName } from '../src/model/names.js';
import { NOQUOTA } from '../src/model/quota.js';
import type { Site, SiteDomain } from './site.js';

/** vpopmail:vchkpw as the golden oracle has them. */
const UID = 89;
const GID = 89;

export interface TreePaths {
  root: string;
  vpopmailHome: string;
  qmailHome: string;
}

export function treePaths(root: string): TreePaths {
  return { root, vpopmailHome: join(root, 'home', 'vpopmail'), qmailHome: join(root, 'var', 'qmail') };
}

function control(text: string): DirControl {
  const parsed = parseDirControl(text);
  if (!parsed) throw new Error('bad .dir-control template');
  return parsed;
}

function file(path: string, data: string | Uint8Array): void {
  writeFileSync(path, data, { mode: 0o600 });
}

/** mkdir for a directory whose parent exists; hashed parents are made once by `ensureHashDir`. */
function dir(path: string): void {
  mkdirSync(path, { mode: 0o700 });
}

/** Writes the site below `root`; returns the directory of each domain. */
export function writeTree(site: Site, root: string): Map<string, string> {
  const paths = treePaths(root);
  const domainsDir = join(paths.vpopmailHome, 'domains');
  mkdirSync(domainsDir, { recursive: true, mode: 0o700 });
  const domainControl = control(EMPTY_DOMAIN_DIR_CONTROL);
  const hashDirs = new Set<string>();
  const domainDirs = new Map<string, string>();
  for (const domain of site.domains) {
    const hash = nextUserDir(domainControl);
    const parent = ensureHashDir(domainsDir, hash, hashDirs);
    const domainDir = join(parent, domain.name);
    writeDomain(domain, domainDir, paths.vpopmailHome);
    domainDirs.set(domain.name, domainDir);
  }
  file(join(domainsDir, '.dir-control'), formatDirControl(domainControl));
  writeQmail(paths.qmailHome, domainDirs);
  writeRelay(paths.vpopmailHome, site.relay);
  return domainDirs;
}

function ensureHashDir(base: string, hash: string, made: Set<string>): string {
  if (hash === '') return base;
  const full = join(base, hash);
  if (!made.has(full)) {
    mkdirSync(full, { recursive: true, mode: 0o700 });
    made.add(full);
  }
  return full;
}

function writeDomain(domain: SiteDomain, domainDir: string, vpopmailHome: string): void {
  dir(domainDir);
  const userControl = control(NEW_DOMAIN_DIR_CONTROL);
  const hashDirs = new Set<string>();
  const lines: Array<[string, string]> = [];
  for (const user of domain.users) {
    // postmaster is account #1, made by vadddomain in the domain root; vadduser continues the count.
    const hash = user.name === 'postmaster' ? '' : nextUserDir(userControl);
    const userDir = join(ensureHashDir(domainDir, hash, hashDirs), user.name);
    writeUserDir(userDir, user.quota);
    lines.push([user.name, formatVpasswdLine({ ...user, apop: '1', dir: userDir }, true)]);
    const keepCopy = user.forward?.keepCopy ? { userDir, user: user.name, domainDir } : undefined;
    if (user.forward?.style === 'user') file(join(userDir, '.qmail'), dotQmailContent(user.forward.to, keepCopy));
    if (user.forward?.style === 'domain')
      file(join(domainDir, dotQmailFileName(user.name)), dotQmailContent(user.forward.to, keepCopy));
  }
  for (const alias of domain.aliases) file(join(domainDir, dotQmailFileName(alias.name)), dotQmailContent(alias.to));
  // vadduser keeps vpasswd sorted by name (strcmp order).
  lines.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const vpasswd = lines.map(([, line]) => `${line}\n`).join('');
  file(join(domainDir, 'vpasswd'), vpasswd);
  file(join(domainDir, 'vpasswd.cdb'), buildCdbFromRanges(cdbRangesFromVpasswd(Buffer.from(vpasswd, 'utf8'))));
  file(join(domainDir, '.dir-control'), formatDirControl(userControl));
  file(join(domainDir, '.qmail-default'), `| ${vpopmailHome}/bin/vdelivermail '' delete\n`);
  file(join(domainDir, '.vpasswd.lock'), '');
}

/** What vadduser makes: Maildir/{cur,new,tmp}, lastauth, and maildirsize when there is a quota. */
function writeUserDir(userDir: string, quota: string): void {
  dir(userDir);
  dir(join(userDir, 'Maildir'));
  for (const part of ['cur', 'new', 'tmp']) dir(join(userDir, 'Maildir', part));
  file(join(userDir, 'lastauth'), '0.0.0.0');
  if (quota !== NOQUOTA && quota !== '') file(join(userDir, 'Maildir', 'maildirsize'), `${quota}\n0 0\n`);
}

function writeQmail(qmailHome: string, domainDirs: ReadonlyMap<string, string>): void {
  mkdirSync(join(qmailHome, 'users'), { recursive: true });
  mkdirSync(join(qmailHome, 'control'), { recursive: true });
  const names = [...domainDirs.keys()].sort();
  const assign = `${names.map((name) => `+${name}-:${name}:${UID}:${GID}:${domainDirs.get(name)}:-::\n`).join('')}.\n`;
  writeFileSync(join(qmailHome, 'users', 'assign'), assign, { mode: 0o644 });
  writeFileSync(join(qmailHome, 'users', 'cdb'), usersCdbFromAssign(assign), { mode: 0o644 });
  writeFileSync(join(qmailHome, 'control', 'rcpthosts'), names.map((name) => `${name}\n`).join(''), { mode: 0o644 });
  writeFileSync(join(qmailHome, 'control', 'virtualdomains'), names.map((name) => `${name}:${name}\n`).join(''), {
    mode: 0o644,
  });
}

function writeRelay(vpopmailHome: string, relay: readonly string[]): void {
  const etc = join(vpopmailHome, 'etc');
  mkdirSync(etc, { recursive: true, mode: 0o755 });
  const text = `${relay.map((address) => `${address}:allow,RELAYCLIENT=""\n`).join('')}:allow\n`;
  writeFileSync(join(etc, 'tcp.smtp'), text, { mode: 0o644 });
  execFileSync('tcprules', [join(etc, 'tcp.smtp.cdb'), join(etc, 'tcp.smtp.tmp')], { input: text });
}
