import { chmod, lchown, lstat, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { formatAssignLine } from '../formats/assign.js';
import { buildCdb } from '../cdb/write.js';

/** Which recorded state of the scenario to build. */
export interface SandboxOptions {
  /** Copy `snapshots/<label>/` instead of the scenario's final `files/` and `cdb/` trees. */
  snapshot?: string;
}

/** The homes to pass to readLive (and later to apply) for a built sandbox. */
export interface Sandbox {
  vpopmailHome: string;
  qmailHome: string;
  /**
   * True when the scenario recorded no `users/assign` and one was written: a `+dom-:dom:89:89:<dir>:-::`
   * line per domain directory holding a vpasswd, in vpopmail's format, plus the users/cdb qmail-newu
   * would build from it.
   */
  assignSynthesized: boolean;
}

/** The uid/gid of vpopmail:vchkpw on the golden oracle (test/fixtures/golden/README.md §1). */
const ORACLE_UID = 89;
const ORACLE_GID = 89;
/** One fixed mtime for every file, so tcp.smtp.cdb is exactly as old as tcp.smtp (not stale). */
const SANDBOX_MTIME = new Date('2026-01-01T00:00:00Z');

/**
 * Builds a private vpopmail/qmail tree from a golden scenario (test/fixtures/golden/NN-name) under
 * `targetRoot`, so the live reader and the demo run against what real vpopmail wrote.
 *
 * - `files/` (or `snapshots/<label>/`) is copied under `targetRoot`, except `tmp/` (scratch files of
 *   the recording); names stored as `%3A` are given their real `:` back (ENCODED-NAMES.txt).
 * - Every `/home/vpopmail` and `/var/qmail` in the copied text is rewritten to
 *   `<targetRoot>/home/vpopmail` and `<targetRoot>/var/qmail`, so paths inside vpasswd, assign and
 *   `.qmail` files point into the sandbox.
 * - `vpasswd.cdb` and `users/cdb` hold paths too, so they are rebuilt from their `cdb -d` dumps with
 *   the same rewrite: a cdb that was stale in the recording stays exactly as stale.
 *   `tcp.smtp.cdb` holds no paths and is copied byte for byte.
 * - Directories are created 0700 and files 0600, as vpopmail creates them.
 */
export async function buildSandboxFromGolden(
  scenarioDir: string,
  targetRoot: string,
  options: SandboxOptions = {},
): Promise<Sandbox> {
  const vpopmailHome = join(targetRoot, 'home', 'vpopmail');
  const qmailHome = join(targetRoot, 'var', 'qmail');
  const rewrite = (data: Buffer): Buffer => rewriteGoldenPaths(data, targetRoot);
  const decode = await encodedNames(scenarioDir);
  const written: string[] = [];

  const put = async (relPath: string, data: Buffer): Promise<void> => {
    const target = join(targetRoot, decode(relPath));
    await makeDirs(targetRoot, dirname(target));
    await writeFile(target, data, { mode: 0o600 });
    // writeFile's mode is filtered by the umask and ignored for an existing file.
    await chmod(target, 0o600);
    written.push(target);
  };

  const textRoot =
    options.snapshot === undefined ? join(scenarioDir, 'files') : join(scenarioDir, 'snapshots', options.snapshot);
  const cdbRoot = options.snapshot === undefined ? join(scenarioDir, 'cdb') : textRoot;
  if (!(await isDirectory(textRoot))) throw new Error(`${textRoot} is not a golden scenario tree`);

  for (const file of await listFiles(textRoot)) {
    const rel = relative(textRoot, file);
    if (isScratch(rel)) continue;
    // In a snapshot the cdb files and their dumps sit next to the text files; they are handled below.
    if (cdbRoot === textRoot && (rel.endsWith('.dump') || isCdb(rel))) continue;
    await put(rel, rewrite(await readFile(file)));
  }

  if (await isDirectory(cdbRoot)) {
    for (const file of await listFiles(cdbRoot)) {
      const rel = relative(cdbRoot, file);
      if (isScratch(rel) || !isCdb(rel)) continue;
      if (basename(rel) === 'tcp.smtp.cdb') {
        await put(rel, await readFile(file));
        continue;
      }
      const dump = await readFile(`${file}.dump`);
      const records = parseCdbDump(dump).map(([key, value]) => [rewrite(key), rewrite(value)] as const);
      await put(rel, buildCdb(records));
    }
  }

  let assignSynthesized = false;
  const assignPath = join('var', 'qmail', 'users', 'assign');
  if (!written.includes(join(targetRoot, assignPath))) {
    const domains = await domainsWithVpasswd(join(vpopmailHome, 'domains'));
    await put(assignPath, Buffer.from(assignText(domains)));
    await put(join('var', 'qmail', 'users', 'cdb'), buildCdb(usersCdbRecords(domains)));
    assignSynthesized = true;
  }

  for (const file of written) await utimes(file, SANDBOX_MTIME, SANDBOX_MTIME);
  // As a real install: ~vpopmail belongs to vpopmail:vchkpw (qmail's tree stays root's). A tree
  // left root's would make a new domain root's too, which qmail-lspawn never delivers to.
  // (A scenario with no ~vpopmail, such as 16's qmail-only tree, has nothing to chown.)
  if (process.getuid?.() === 0 && (await isDirectory(vpopmailHome))) {
    await chownTree(vpopmailHome, ORACLE_UID, ORACLE_GID);
    for (const name of ROOT_OWNED_ETC) await lchown(join(vpopmailHome, 'etc', name), 0, 0).catch(ignoreMissing);
  }
  return { vpopmailHome, qmailHome, assignSynthesized };
}

/**
 * What ~vpopmail/etc keeps root's (golden 10's tree.txt): files root writes or installs
 * (tcp.smtp, the lock, the shipped configuration). The rest is vpopmail:vchkpw like the tree.
 */
const ROOT_OWNED_ETC = ['tcp.smtp', 'open-smtp.lock', 'password_strength.conf', 'inc_deps', 'lib_deps'];

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await lchown(path, uid, gid);
  const info = await lstat(path);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(path)) await chownTree(join(path, entry), uid, gid);
}

/**
 * Parses `cdb -d` output (`+klen,dlen:key->data` per record, then an empty line) into byte
 * records. Lengths are byte counts and keys or values may hold NUL or newline bytes, so the dump is
 * read by length, not by line.
 */
export function parseCdbDump(dump: Uint8Array): Array<[Buffer, Buffer]> {
  const bytes = Buffer.from(dump.buffer, dump.byteOffset, dump.byteLength);
  const records: Array<[Buffer, Buffer]> = [];
  let pos = 0;
  while (pos < bytes.length && bytes[pos] === 0x2b /* + */) {
    const header = /^\+(\d+),(\d+):/.exec(bytes.subarray(pos, pos + 32).toString('latin1'));
    if (!header) throw new Error(`bad cdb dump record header at byte ${pos}`);
    const keyLength = Number(header[1]);
    const valueLength = Number(header[2]);
    const keyStart = pos + header[0].length;
    const arrow = keyStart + keyLength;
    if (bytes.subarray(arrow, arrow + 2).toString('latin1') !== '->')
      throw new Error(`bad cdb dump record at byte ${pos}`);
    const valueStart = arrow + 2;
    const end = valueStart + valueLength;
    if (bytes[end] !== 0x0a) throw new Error(`cdb dump record at byte ${pos} does not end with a newline`);
    records.push([bytes.subarray(keyStart, arrow), bytes.subarray(valueStart, end)]);
    pos = end + 1;
  }
  return records;
}

/** Whole path components only: `/home/vpopmail` but not `/home/vpopmailx`. */
const ORACLE_PATHS = /\/home\/vpopmail(?![A-Za-z0-9_.-])|\/var\/qmail(?![A-Za-z0-9_.-])/g;

/**
 * Rewrites the oracle's `/home/vpopmail` and `/var/qmail` in golden bytes to the same paths under
 * `targetRoot`, the rewrite buildSandboxFromGolden applies to everything it copies. Byte-safe: the
 * data goes through latin1, which maps every byte to one character and back.
 */
export function rewriteGoldenPaths(data: Uint8Array, targetRoot: string): Buffer {
  const latin1 = (path: string): string => Buffer.from(path, 'utf8').toString('latin1');
  const vpopmail = latin1(join(targetRoot, 'home', 'vpopmail'));
  const qmail = latin1(join(targetRoot, 'var', 'qmail'));
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
  return Buffer.from(
    text.replace(ORACLE_PATHS, (match) => (match.startsWith('/home') ? vpopmail : qmail)),
    'latin1',
  );
}

/** Maps stored names (`.qmail-john%3Adoe`) back to real ones using the scenario's ENCODED-NAMES.txt. */
async function encodedNames(scenarioDir: string): Promise<(relPath: string) => string> {
  let text: string;
  try {
    text = await readFile(join(scenarioDir, 'ENCODED-NAMES.txt'), 'utf8');
  } catch {
    return (relPath) => relPath;
  }
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.includes('\t')) continue;
    const [real, stored] = line.split('\t') as [string, string];
    map.set(stored.replace(/^\//, ''), real.replace(/^\//, ''));
  }
  return (relPath) => {
    const posix = relPath.split(sep).join('/');
    return map.get(posix) ?? relPath;
  };
}

function isScratch(rel: string): boolean {
  return rel === 'tmp' || rel.startsWith(`tmp${sep}`);
}

function isCdb(rel: string): boolean {
  const name = basename(rel);
  return name.endsWith('.cdb') || (name === 'cdb' && basename(dirname(rel)) === 'users');
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** mkdir -p that gives every directory it creates inside `root` mode 0700 regardless of the umask. */
async function makeDirs(root: string, dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; d !== root && d.startsWith(root) && !(await isDirectory(d)); d = dirname(d)) missing.push(d);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const d of missing) await chmod(d, 0o700);
}

async function domainsWithVpasswd(domainsDir: string): Promise<Array<{ name: string; dir: string }>> {
  let names: string[];
  try {
    names = await readdir(domainsDir);
  } catch {
    return [];
  }
  const domains: Array<{ name: string; dir: string }> = [];
  for (const name of names.sort()) {
    const dir = join(domainsDir, name);
    try {
      await stat(join(dir, 'vpasswd'));
      domains.push({ name, dir });
    } catch {
      // Not a domain (e.g. `.dir-control`) or a domain whose vpasswd was not recorded.
    }
  }
  return domains;
}

function assignText(domains: ReadonlyArray<{ name: string; dir: string }>): string {
  return `${domains.map((d) => `${formatAssignLine({ domain: d.name, realDomain: d.name, uid: ORACLE_UID, gid: ORACLE_GID, dir: d.dir })}\n`).join('')}.\n`;
}

/** The records qmail-newu writes for those assign lines (golden 01: `!dom-` → `dom\0uid\0gid\0dir\0-\0`, then `""` → `-`). */
function usersCdbRecords(domains: ReadonlyArray<{ name: string; dir: string }>): Array<[string, string]> {
  const records: Array<[string, string]> = domains.map((d) => [
    `!${d.name}-`,
    `${d.name}\0${ORACLE_UID}\0${ORACLE_GID}\0${d.dir}\0-\0`,
  ]);
  records.push(['', domains.length > 0 ? '-' : '']);
  return records;
}
