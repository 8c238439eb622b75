/**
 * Puts a domain back as it was before an apply, so every timed apply starts from the same tree.
 * Copying a tree instead is no option: on this disk `cp -a` of a 100k-user tree takes half a
 * minute. The files driver changes only what a plan names, so the undo is as targeted: the
 * domain-root files (vpasswd, vpasswd.cdb, .dir-control, .qmail-*), the new user directories,
 * the archived mailboxes (renamed back) and the maildirsize of modified users.
 *
 * New directories are moved to a trash directory, not deleted: on ext4 (mounted with discard
 * here) deleting a thousand directories makes the next thousand mkdirs several times slower for
 * a while, a cost no real apply meets (it never recreates what was just deleted). The trash is
 * emptied once the timing is over.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DomainSnapshot {
  domainDir: string;
  archiveDir: string;
  /** Regular files directly in the domain directory. */
  rootFiles: Map<string, Buffer>;
  /** The hashed directories (one-character names, one or two levels). */
  hashDirs: Set<string>;
  /** vpasswd's dir field by user name. */
  userDirs: Map<string, string>;
  maildirsize: Map<string, Buffer | undefined>;
}

function vpasswdDirs(text: string): Map<string, string> {
  const dirs = new Map<string, string>();
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 7) dirs.set(fields[0]!, fields[5]!);
  }
  return dirs;
}

function hashDirsOf(domainDir: string): Set<string> {
  const found = new Set<string>();
  for (const first of readdirSync(domainDir, { withFileTypes: true })) {
    if (!first.isDirectory() || first.name.length !== 1) continue;
    found.add(first.name);
    for (const second of readdirSync(join(domainDir, first.name), { withFileTypes: true })) {
      if (second.isDirectory() && second.name.length === 1) found.add(`${first.name}/${second.name}`);
    }
  }
  return found;
}

function readOptional(path: string): Buffer | undefined {
  return existsSync(path) ? readFileSync(path) : undefined;
}

export function snapshotDomain(domainDir: string, vpopmailHome: string, modified: readonly string[]): DomainSnapshot {
  const rootFiles = new Map<string, Buffer>();
  for (const entry of readdirSync(domainDir, { withFileTypes: true })) {
    if (entry.isFile()) rootFiles.set(entry.name, readFileSync(join(domainDir, entry.name)));
  }
  const userDirs = vpasswdDirs(rootFiles.get('vpasswd')?.toString('latin1') ?? '');
  const maildirsize = new Map<string, Buffer | undefined>();
  for (const name of modified) maildirsize.set(name, readOptional(join(userDirs.get(name)!, 'Maildir', 'maildirsize')));
  return {
    domainDir,
    archiveDir: join(vpopmailHome, 'archive'),
    rootFiles,
    hashDirs: hashDirsOf(domainDir),
    userDirs,
    maildirsize,
  };
}

const STAMP = /^\d{8}T\d{6}Z(-\d+)?$/;

export function restoreDomain(
  snapshot: DomainSnapshot,
  added: readonly string[],
  deleted: readonly string[],
  trash: string,
): void {
  const { domainDir } = snapshot;
  const now = vpasswdDirs(readFileSync(join(domainDir, 'vpasswd'), 'latin1'));
  const bin = join(trash, String(Date.now()));
  mkdirSync(bin, { recursive: true });
  let n = 0;
  const discard = (path: string): void => renameSync(path, join(bin, String(n++)));
  for (const name of added) {
    const dir = now.get(name);
    if (dir && existsSync(dir)) discard(dir);
  }
  for (const hash of [...hashDirsOf(domainDir)].sort().reverse()) {
    if (!snapshot.hashDirs.has(hash)) discard(join(domainDir, hash));
  }
  const archived = existsSync(snapshot.archiveDir) ? readdirSync(join(snapshot.archiveDir, basenameOf(domainDir))) : [];
  for (const name of deleted) {
    const entry = archived.find(
      (candidate) => candidate.startsWith(`${name}-`) && STAMP.test(candidate.slice(name.length + 1)),
    );
    const original = snapshot.userDirs.get(name)!;
    if (entry && !existsSync(original)) renameSync(join(snapshot.archiveDir, basenameOf(domainDir), entry), original);
  }
  rmSync(snapshot.archiveDir, { recursive: true, force: true });
  for (const entry of readdirSync(domainDir, { withFileTypes: true })) {
    if (entry.isFile() && !snapshot.rootFiles.has(entry.name)) rmSync(join(domainDir, entry.name));
  }
  for (const [name, data] of snapshot.rootFiles) {
    const path = join(domainDir, name);
    if (!existsSync(path) || !readFileSync(path).equals(data)) writeFileSync(path, data, { mode: 0o600 });
  }
  for (const [name, data] of snapshot.maildirsize) {
    const path = join(snapshot.userDirs.get(name)!, 'Maildir', 'maildirsize');
    if (data === undefined) rmSync(path, { force: true });
    else writeFileSync(path, data, { mode: 0o600 });
  }
  for (const name of deleted) {
    if (!statSync(snapshot.userDirs.get(name)!, { throwIfNoEntry: false })?.isDirectory())
      throw new Error(`restore: ${name} was not brought back`);
  }
}

/** The domain name is the last component of its directory. */
function basenameOf(dir: string): string {
  return dir.slice(dir.lastIndexOf('/') + 1);
}
