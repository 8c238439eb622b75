/** One domain of users/assign: where its directory really is, its vpasswd and vpasswd.cdb, and its entries. */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { quoted } from '../model/display.js';
import { domainDirProblem, PATH_SHOWN, userDirProblem } from '../model/live-paths.js';
import { userNameProblem } from '../model/names.js';
import type { CdbFreshness, LiveDomain } from '../model/state.js';
import type { AssignEntry } from '../formats/assign.js';
import { vpasswdCdbFreshness } from './cdb-freshness.js';
import { type FileRead, readErrorDiagnostic, realpathOrMissing } from './fs-read.js';
import type { FsPool } from './fs-pool.js';
import { parseVpasswd } from '../formats/vpasswd.js';
import { classifyDomainDotQmail, readDomainDotQmails, readUserDotQmails } from './dot-qmails.js';

/**
 * Where a domain's directory really is, or why mailstate must not act on it: its users/assign
 * path must have vpopmail's shape below one of the bases, and resolving it must not leave that
 * place through a symbolic link (the vpopmail account owns domains/ and could plant one).
 */
export async function placeDomainDir(
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

export async function readDomain(
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
        const { hash, clear, ...fields } = user;
        domain.users.set(user.name, {
          ...fields,
          password: { kind: 'vpasswd', hash, ...(clear === undefined ? {} : { clear }) },
        });
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
