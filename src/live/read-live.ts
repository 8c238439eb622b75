import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { quoted } from '../model/display.js';
import { domainDirProblem, PATH_SHOWN, userDirProblem } from '../model/live-paths.js';
import { aliasNameProblem, dotQmailFileName, nameFromDotQmailFile, userNameProblem } from '../model/names.js';
import type {
  CdbFreshness,
  LiveAlias,
  LiveDomain,
  LiveRelay,
  LiveState,
  LiveUser,
  UnmanagedObject,
} from '../model/state.js';
import { CdbFormatError, readCdbRecords } from '../cdb/read.js';
import { type AssignEntry, parseAssign } from '../formats/assign.js';
import { vpasswdCdbFreshness } from './cdb-freshness.js';
import { classifyDotQmail, deliveryPaths } from '../formats/dot-qmail.js';
import { type FileRead, isNotRegularFile, mapWithLimit, readErrorDiagnostic, readFileOrMissing } from './fs-read.js';
import { createFsPool, type FsPool } from './fs-pool.js';
import { parseTcpRules } from '../formats/tcp-rules.js';
import { parseVpasswd } from '../formats/vpasswd.js';

/** Where the server keeps its files, and which domains to read. */
export interface ReadLiveOptions {
  /** Home of the vpopmail user, e.g. `/home/vpopmail` (holds `etc/tcp.smtp`). */
  vpopmailHome: string;
  /** qmail's home, e.g. `/var/qmail` (holds `users/assign`). */
  qmailHome: string;
  /** Read only these domains in detail; the others in users/assign are left out of the state. */
  domains?: readonly string[];
  /**
   * Bases given to `vadddomain -d` whose `domains/` directory holds domains too (see
   * model/live-paths.ts); ~vpopmail always counts.
   */
  domainBases?: readonly string[];
}

/** The live state, plus every problem found while reading it (errors and warnings). */
export interface ReadLiveResult {
  state: LiveState;
  diagnostics: Diagnostic[];
}

/** Domains read at once: many small domains overlap their few reads (16 measured best for 1,000 domains). */
const DOMAIN_CONCURRENCY = 16;

/**
 * Reads a live vpopmail server (cdb backend) into the live-state model. This is the only module of
 * the reader that touches the file system, and it only reads. Every problem becomes a diagnostic
 * (an unreadable file is an error, a file vpopmail would misread a warning); nothing is thrown.
 */
export async function readLive(options: ReadLiveOptions): Promise<ReadLiveResult> {
  // Each part collects its own diagnostics, merged below in a fixed order (assign, domains in
  // assign order, relay) so the output does not depend on which read finished first.
  const assignDiagnostics: Diagnostic[] = [];
  const relayDiagnostics: Diagnostic[] = [];
  const unmanaged: UnmanagedObject[] = [];
  const domains = new Map<string, LiveDomain>();
  const wanted = options.domains ? new Set(options.domains) : undefined;

  const [entries, usersCdb, relay] = await Promise.all([
    readAssign(options.qmailHome, assignDiagnostics),
    readUsersCdb(options.qmailHome, assignDiagnostics),
    readRelay(options.vpopmailHome, relayDiagnostics),
  ]);
  const assignFile = join(options.qmailHome, 'users', 'assign');
  const realEntries = new Map(entries.filter((e) => e.domain === e.realDomain).map((e) => [e.domain, e]));

  const bases = [options.vpopmailHome, ...(options.domainBases ?? [])];
  const realBases = await Promise.all(bases.map((base) => realpathOrMissing(`${base}/domains`)));
  const toRead = [...realEntries.values()].filter((entry) => !wanted || wanted.has(entry.domain));
  const fs = createFsPool();
  const read = await mapWithLimit(toRead, DOMAIN_CONCURRENCY, async (entry) => {
    const domainDiagnostics: Diagnostic[] = [];
    const place = await placeDomainDir(entry, bases, realBases);
    if ('problem' in place) {
      domainDiagnostics.push({
        // Asked for by name (a declared domain): nothing may be planned for it. Otherwise (import,
        // snapshot) it is one domain left out, with the reason.
        severity: wanted ? 'error' : 'warning',
        code: 'domain-dir-unsafe',
        message: `users/assign line ${entry.line} gives ${entry.domain} the ${place.problem}: mailstate will not read or change this domain (a copy of a server keeps the original's paths; a base made with vadddomain -d is named with --domain-base)`,
        file: assignFile,
        line: entry.line,
      });
      return { refused: entry, diagnostics: domainDiagnostics };
    }
    return { domain: await readDomain(entry, place.realDir, fs, domainDiagnostics), diagnostics: domainDiagnostics };
  }).finally(() => fs.close());
  const diagnostics = [...assignDiagnostics];
  for (const result of read) {
    if (result.domain) domains.set(result.domain.name, result.domain);
    else
      unmanaged.push({
        kind: 'domain',
        name: result.refused.domain,
        file: assignFile,
        reason: `users/assign line ${result.refused.line}: its directory is not one mailstate may act on`,
      });
    for (const d of result.diagnostics) diagnostics.push(d);
  }

  for (const entry of entries) {
    if (entry.domain === entry.realDomain) continue;
    const real = domains.get(entry.realDomain);
    if (real) {
      real.aliasDomains.push(entry.domain);
    } else if (
      !realEntries.has(entry.realDomain) &&
      (!wanted || wanted.has(entry.domain) || wanted.has(entry.realDomain))
    ) {
      unmanaged.push({
        kind: 'alias-domain',
        name: entry.domain,
        file: assignFile,
        reason: `users/assign line ${entry.line} makes it an alias of ${entry.realDomain}, which has no line of its own`,
      });
    }
    if (wanted?.has(entry.domain)) {
      diagnostics.push({
        severity: 'warning',
        code: 'domain-is-alias',
        message: `${entry.domain} is an alias domain of ${entry.realDomain} (vaddaliasdomain), not a domain of its own`,
        file: assignFile,
        line: entry.line,
      });
    }
  }

  for (const d of relayDiagnostics) diagnostics.push(d);
  return {
    state: {
      vpopmailHome: options.vpopmailHome,
      qmailHome: options.qmailHome,
      assignDomains: new Map(entries.map((entry) => [entry.domain, entry.realDomain])),
      domains,
      relay,
      unmanaged,
      usersCdbOutOfDate: entries.filter((entry) => !usersCdbRoutes(usersCdb, entry)).map((entry) => entry.domain),
    },
    diagnostics,
  };
}

async function realpathOrMissing(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    return undefined;
  }
}

/**
 * Where a domain's directory really is, or why mailstate must not act on it: its users/assign
 * path must have vpopmail's shape below one of the bases, and resolving it must not leave that
 * place through a symbolic link (the vpopmail account owns domains/ and could plant one).
 */
async function placeDomainDir(
  entry: AssignEntry,
  bases: readonly string[],
  realBases: ReadonlyArray<string | undefined>,
): Promise<{ realDir: string } | { problem: string }> {
  const problem = domainDirProblem(entry.dir, entry.domain, bases);
  if (problem) return { problem };
  const index = bases.findIndex((base) => entry.dir.startsWith(`${base}/domains/`));
  const realBase = realBases[index];
  const expected = `${realBase ?? `${bases[index]}/domains`}${entry.dir.slice(`${bases[index]}/domains`.length)}`;
  const real = await realpathOrMissing(entry.dir);
  // Missing: reported as such by the reader, and created (as real directories) by an apply.
  if (real === undefined || real === expected) return { realDir: expected };
  return {
    problem: `directory ${quoted(entry.dir, PATH_SHOWN)}, which leads through a symbolic link to ${quoted(real, PATH_SHOWN)}`,
  };
}

/** users/cdb's records (the first of each key, as qmail's lookup finds it); empty when missing or unreadable. */
async function readUsersCdb(qmailHome: string, diagnostics: Diagnostic[]): Promise<Map<string, Buffer>> {
  const file = join(qmailHome, 'users', 'cdb');
  const read = await readFileOrMissing(file);
  const records = new Map<string, Buffer>();
  if (read.kind === 'error') diagnostics.push(readErrorDiagnostic(file, read, 'users/cdb'));
  if (read.kind !== 'ok') return records;
  try {
    for (const record of readCdbRecords(read.data)) {
      const key = record.key.toString('latin1');
      if (!records.has(key)) records.set(key, record.value);
    }
  } catch (error) {
    if (!(error instanceof CdbFormatError)) throw error;
    diagnostics.push({
      severity: 'warning',
      code: 'users-cdb-corrupt',
      message: `users/cdb is not a valid cdb (${error.message}): qmail cannot route any virtual domain`,
      file,
    });
  }
  return records;
}

/** Whether users/cdb holds the record qmail-newu would make of this users/assign line. */
function usersCdbRoutes(usersCdb: ReadonlyMap<string, Buffer>, entry: AssignEntry): boolean {
  const value = usersCdb.get(Buffer.from(`!${entry.domain}-`, 'utf8').toString('latin1'));
  return value?.equals(Buffer.from(entry.usersCdbValue, 'utf8')) === true;
}

async function readAssign(qmailHome: string, diagnostics: Diagnostic[]): Promise<AssignEntry[]> {
  const file = join(qmailHome, 'users', 'assign');
  const read = await readFileOrMissing(file);
  if (read.kind === 'missing') {
    diagnostics.push({
      severity: 'error',
      code: 'assign-missing',
      message: 'users/assign does not exist: qmail knows no virtual domains, so none can be read',
      file,
    });
    return [];
  }
  if (read.kind === 'error') {
    diagnostics.push(readErrorDiagnostic(file, read, 'users/assign'));
    return [];
  }
  const parsed = parseAssign(read.data.toString('utf8'), file);
  for (const d of parsed.diagnostics) diagnostics.push(d);
  return parsed.entries;
}

async function readDomain(
  entry: AssignEntry,
  realDir: string,
  fs: FsPool,
  diagnostics: Diagnostic[],
): Promise<LiveDomain> {
  const dir = entry.dir;
  const vpasswdFile = join(dir, 'vpasswd');
  const cdbFile = join(dir, 'vpasswd.cdb');
  const [reads, listing] = await Promise.all([fs.readFiles([vpasswdFile, cdbFile]), listDomainDir(entry, diagnostics)]);
  const [vpasswdRead, cdbRead] = reads as [FileRead, FileRead];

  const domain: LiveDomain = {
    name: entry.domain,
    dir,
    uid: entry.uid,
    gid: entry.gid,
    users: new Map(),
    aliases: new Map(),
    aliasDomains: [],
    clearPasswords: false,
    vpasswdExists: vpasswdRead.kind !== 'missing',
    cdb: { state: 'missing' },
    unmanaged: [],
  };

  // Every name in vpasswd, managed or not, read or not: a `.qmail-<name>` of any of them is a
  // forward, not an alias.
  const vpasswdNames = new Set<string>();
  if (vpasswdRead.kind === 'error') {
    diagnostics.push(readErrorDiagnostic(vpasswdFile, vpasswdRead, `vpasswd of ${entry.domain}`));
  } else if (vpasswdRead.kind === 'ok') {
    const parsed = parseVpasswd(vpasswdRead.data.toString('utf8'), vpasswdFile);
    for (const d of parsed.diagnostics) diagnostics.push(d);
    domain.clearPasswords = parsed.clearPasswords;
    if (parsed.malformed.length > 0) {
      domain.malformedVpasswdLines = parsed.malformed;
      for (const { name } of parsed.malformed) vpasswdNames.add(name);
    }
    for (const user of parsed.users) {
      vpasswdNames.add(user.name);
      const problem = userNameProblem(user.name);
      const dirProblem = problem ? undefined : userDirProblem(user.dir, user.name, dir);
      if (problem) {
        domain.unmanaged.push({
          domain: entry.domain,
          kind: 'user',
          name: user.name,
          file: vpasswdFile,
          reason: problem,
        });
      } else if (dirProblem) {
        const reason = `vpasswd line ${user.line} gives it the ${dirProblem}: mailstate will not touch this user`;
        domain.unsafeUsers ??= [];
        domain.unsafeUsers.push({ name: user.name, line: user.line, reason });
        domain.unmanaged.push({ domain: entry.domain, kind: 'user', name: user.name, file: vpasswdFile, reason });
      } else {
        domain.users.set(user.name, user);
      }
    }
  }
  domain.cdb = cdbFreshness(vpasswdRead, cdbRead, cdbFile, diagnostics);
  if (domain.cdb.state === 'corrupt' && cdbRead.kind === 'ok') {
    diagnostics.push({
      severity: 'warning',
      code: 'vpasswd-cdb-corrupt',
      message: `vpasswd.cdb of ${entry.domain} is not a valid cdb (${domain.cdb.detail}): logins and delivery fail until it is rebuilt from vpasswd`,
      file: cdbFile,
    });
  }

  const dotQmailFiles = await readDomainDotQmails(entry, listing, fs, diagnostics);
  for (const file of dotQmailFiles) classifyDomainDotQmail(domain, file, vpasswdNames);
  await readUserDotQmails(domain, realDir, new Set(dotQmailFiles.map((f) => f.name)), fs, diagnostics);
  return domain;
}

function cdbFreshness(vpasswd: FileRead, cdb: FileRead, cdbFile: string, diagnostics: Diagnostic[]): CdbFreshness {
  if (cdb.kind === 'error') {
    diagnostics.push(readErrorDiagnostic(cdbFile, cdb, 'vpasswd.cdb'));
    return { state: 'corrupt', detail: `cannot be read: ${cdb.code}` };
  }
  if (vpasswd.kind === 'error') {
    // Without the text there is nothing to compare with; the read error stops any plan anyway.
    return cdb.kind === 'missing'
      ? { state: 'missing' }
      : { state: 'stale', detail: 'vpasswd cannot be read, so freshness is unknown' };
  }
  // A missing vpasswd compares as an empty one: a cdb with users in it is then stale.
  return vpasswdCdbFreshness(
    vpasswd.kind === 'ok' ? vpasswd.data : Buffer.alloc(0),
    cdb.kind === 'ok' ? cdb.data : undefined,
  );
}

/** One readdir of the domain directory: the only way to find `.qmail-*` files without guessing names. */
async function listDomainDir(entry: AssignEntry, diagnostics: Diagnostic[]): Promise<Dirent[]> {
  try {
    return await readdir(entry.dir, { withFileTypes: true });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    if (failure.code === 'ENOENT' || failure.code === 'ENOTDIR') {
      diagnostics.push({
        severity: 'warning',
        code: 'domain-dir-missing',
        message: `the directory of ${entry.domain} given in users/assign line ${entry.line} does not exist`,
        file: entry.dir,
      });
    } else {
      diagnostics.push(
        readErrorDiagnostic(
          entry.dir,
          { code: failure.code ?? 'EIO', message: failure.message },
          `the directory of ${entry.domain}`,
        ),
      );
    }
    return [];
  }
}

type DotQmailFile =
  /** The file name, `.qmail-<ext>`. */
  | { name: string; path: string; text: string }
  /** An entry that is not a regular file (a directory, a FIFO, a dangling symlink): why not. */
  | { name: string; path: string; notFile: string };

async function readDomainDotQmails(
  entry: AssignEntry,
  listing: Dirent[],
  fs: FsPool,
  diagnostics: Diagnostic[],
): Promise<DotQmailFile[]> {
  const names = listing
    .filter((d) => d.name.startsWith('.qmail-'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const toRead = names.filter((dirent) => !dirent.isDirectory());
  const reads = await fs.readFiles(toRead.map((dirent) => join(entry.dir, dirent.name)));
  const readOf = new Map(toRead.map((dirent, index) => [dirent, reads[index]!]));
  // Read errors are reported in file-name order.
  const files: DotQmailFile[] = [];
  for (const dirent of names) {
    const path = join(entry.dir, dirent.name);
    const read = readOf.get(dirent);
    if (read === undefined) files.push({ name: dirent.name, path, notFile: `${dirent.name} is not a regular file` });
    else if (read.kind === 'ok') files.push({ name: dirent.name, path, text: read.data.toString('utf8') });
    else if (read.kind === 'error') {
      if (isNotRegularFile(read)) {
        files.push({
          name: dirent.name,
          path,
          notFile:
            read.code === 'EISDIR' ? `${dirent.name} is not a regular file` : `${dirent.name} is ${read.message}`,
        });
      } else diagnostics.push(readErrorDiagnostic(path, read, dirent.name));
    } else if (dirent.isSymbolicLink()) {
      // qmail-local finds no file there, but the name is taken: writing it would replace the link.
      files.push({
        name: dirent.name,
        path,
        notFile: `${dirent.name} is a symbolic link to a file that does not exist`,
      });
    }
    // Otherwise missing: gone between readdir and read (a concurrent vdeluser or valias -d): nothing to report.
  }
  return files;
}

/** Sorts one domain-level `.qmail-<ext>` into a user's forward, an alias or an unmanaged object. */
function classifyDomainDotQmail(domain: LiveDomain, file: DotQmailFile, vpasswdNames: ReadonlySet<string>): void {
  const report = (kind: UnmanagedObject['kind'], name: string, reason: string): void => {
    // Only files left alone need it (for the warning when a deleted mailbox is among the paths).
    const deliversInto = 'text' in file ? deliveryPaths(file.text, domain.dir) : [];
    domain.unmanaged.push({
      domain: domain.name,
      kind,
      name,
      file: file.path,
      reason,
      ...(deliversInto.length > 0 ? { deliversInto } : {}),
    });
  };
  const name = nameFromDotQmailFile(file.name)!;
  if ('notFile' in file) {
    report('dot-qmail', name, file.notFile);
    return;
  }
  if (file.name === '.qmail-default') {
    const lines = file.text.split('\n').filter((line) => line !== '');
    report(
      'catch-all',
      'default',
      `catch-all for addresses without a mailbox: ${lines.map((l) => JSON.stringify(l)).join(', ') || '(empty file)'}`,
    );
    return;
  }

  if (vpasswdNames.has(name)) {
    const user = domain.users.get(name);
    if (!user) {
      const malformed = domain.malformedVpasswdLines?.find((m) => m.name === name);
      const unsafe = domain.unsafeUsers?.find((u) => u.name === name);
      report(
        'dot-qmail',
        name,
        malformed
          ? `forward of user "${name}", whose vpasswd line ${malformed.line} cannot be read`
          : unsafe
            ? `forward of user "${name}", whose vpasswd line ${unsafe.line} gives a directory mailstate will not touch`
            : `forward of user "${name}", whose name mailstate cannot manage`,
      );
      return;
    }
    // qmail-local reads this file before vdelivermail ever runs, so it decides the user's delivery.
    const result = classifyDotQmail(file.text, { userDir: user.dir });
    if (result.kind === 'forward') {
      user.forward = { to: result.to, keepCopy: result.keepCopy, style: 'domain', file: file.path };
    } else {
      report('dot-qmail', name, `${file.name} decides delivery for user ${name}: ${result.reason}`);
    }
    return;
  }

  const result = classifyDotQmail(file.text);
  const problem = aliasNameProblem(name);
  if (problem) {
    report(result.kind === 'unmanaged' && result.program ? 'program-delivery' : 'dot-qmail', name, problem);
    return;
  }
  if (result.kind === 'unmanaged') {
    report(result.program ? 'program-delivery' : 'dot-qmail', name, result.reason);
    return;
  }
  // Without a user there is no own Maildir, so classifyDotQmail never returns keepCopy here.
  const alias: LiveAlias = { name, to: result.to, file: file.path };
  domain.aliases.set(name, alias);
}

/**
 * qmailadmin's per-user forwards live in `<user dir>/.qmail`, read by vdelivermail. Each user's
 * is probed first (see fs-pool.ts); the few that may exist are read.
 */
async function readUserDotQmails(
  domain: LiveDomain,
  realDomainDir: string,
  domainFiles: ReadonlySet<string>,
  fs: FsPool,
  diagnostics: Diagnostic[],
): Promise<void> {
  // Every user here has a directory of vpopmail's shape inside the domain (unsafe ones are not in `users`).
  const users = [...domain.users.values()];
  // A template string, not path.join: join's normalising is a measurable share at 100k users.
  const mayExist = await fs.mayExist(users.map((user) => `${user.dir}/.qmail`));
  const probed = users.filter((_, index) => mayExist[index]);
  // The few that may exist: a user directory that is a link (the vpopmail account owns it) must
  // not let root read a file elsewhere. Resolving each is affordable for these few only.
  const candidates: LiveUser[] = [];
  for (const user of probed) {
    const real = await realpathOrMissing(user.dir);
    if (real === undefined || real === `${realDomainDir}${user.dir.slice(domain.dir.length)}`) candidates.push(user);
    else
      domain.unmanaged.push({
        domain: domain.name,
        kind: 'user-dot-qmail',
        name: user.name,
        file: join(user.dir, '.qmail'),
        reason: `the user directory leads through a symbolic link out of its place; not read`,
      });
  }
  const reads = await fs.readFiles(candidates.map((user) => `${user.dir}/.qmail`));
  for (const [index, read] of reads.entries()) {
    if (read.kind === 'missing') continue;
    const user = candidates[index]!;
    const path = join(user.dir, '.qmail');
    const report = (reason: string): void => {
      domain.unmanaged.push({ domain: domain.name, kind: 'user-dot-qmail', name: user.name, file: path, reason });
    };
    if (read.kind === 'error') {
      if (read.code === 'EISDIR') report('.qmail is a directory');
      else if (isNotRegularFile(read)) report(`.qmail is ${read.message}`);
      else diagnostics.push(readErrorDiagnostic(path, read, `the .qmail of ${user.name}@${domain.name}`));
      continue;
    }
    const domainFile = dotQmailFileName(user.name);
    if (domainFiles.has(domainFile)) {
      report(
        `${domainFile} in the domain directory takes precedence: qmail-local reads it first, so vdelivermail never reads this file`,
      );
      continue;
    }
    const result = classifyDotQmail(read.data.toString('utf8'), { userDir: user.dir, perUser: true });
    if (result.kind === 'forward') {
      user.forward = { to: result.to, keepCopy: result.keepCopy, style: 'user', file: path };
    } else {
      report(result.reason);
    }
  }
}

async function readRelay(vpopmailHome: string, diagnostics: Diagnostic[]): Promise<LiveRelay> {
  const file = join(vpopmailHome, 'etc', 'tcp.smtp');
  const cdbFile = `${file}.cdb`;
  const [read, textStat, cdbStat] = await Promise.all([
    readFileOrMissing(file),
    statOrMissing(file),
    statOrMissing(cdbFile),
  ]);
  if (read.kind === 'error') diagnostics.push(readErrorDiagnostic(file, read, 'tcp.smtp'));
  if (cdbStat === 'error') {
    diagnostics.push({
      severity: 'error',
      code: 'read-error',
      message: 'cannot stat tcp.smtp.cdb, so whether it is stale is unknown',
      file: cdbFile,
    });
  }
  if (read.kind !== 'ok') {
    // Without tcp.smtp there is nothing to compile, so an existing or missing cdb cannot be stale.
    return { file, exists: read.kind === 'error', lines: [], cdbStale: false };
  }
  const parsed = parseTcpRules(read.data.toString('utf8'), file);
  for (const d of parsed.diagnostics) diagnostics.push(d);
  const cdbStale =
    cdbStat === undefined || (typeof cdbStat === 'bigint' && typeof textStat === 'bigint' && cdbStat < textStat);
  return { file, exists: true, lines: parsed.lines, cdbStale };
}

/** The mtime in nanoseconds, undefined when the file is missing, 'error' when stat fails otherwise. */
async function statOrMissing(path: string): Promise<bigint | undefined | 'error'> {
  try {
    return (await stat(path, { bigint: true })).mtimeNs;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? undefined : 'error';
  }
}
