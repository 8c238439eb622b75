/** A domain's `.qmail-*` files and its users' own `.qmail`: forwards, aliases, and what mailstate leaves alone. */
import type { Dirent } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { aliasNameProblem, dotQmailFileName, nameFromDotQmailFile } from '../model/names.js';
import type { LiveAlias, LiveDomain, LiveUser, UnmanagedObject } from '../model/state.js';
import type { AssignEntry } from '../formats/assign.js';
import { classifyDotQmail, deliveryPaths } from '../formats/dot-qmail.js';
import { isNotRegularFile, readErrorDiagnostic, realpathOrMissing } from './fs-read.js';
import type { FsPool } from './fs-pool.js';

type DotQmailFile =
  /** The file name, `.qmail-<ext>`. */
  | { name: string; path: string; text: string }
  /** An entry that is not a regular file (a directory, a FIFO, a dangling symlink): why not. */
  | { name: string; path: string; notFile: string };

export async function readDomainDotQmails(
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
export function classifyDomainDotQmail(
  domain: LiveDomain,
  file: DotQmailFile,
  vpasswdNames: ReadonlySet<string>,
): void {
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
export async function readUserDotQmails(
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
