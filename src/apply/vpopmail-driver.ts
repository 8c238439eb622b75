import { join } from 'node:path';
import { parseAssign } from '../formats/assign.js';
import { bufferOf, byteString, decodeBytes, encodeText, type ByteString } from '../formats/byte-string.js';
import { formatVpasswdLine, parseVpasswd, type VpasswdUser } from '../formats/vpasswd.js';
import { assertNever, type PasswordMaterial, type UserTarget } from '../model/change.js';
import { FLAG_NAMES, FLAG_BITS, KNOWN_FLAG_MASK, VMODUSER_FLAG_OPTION } from '../model/flags.js';
import { NOQUOTA } from '../model/quota.js';
import { archivePath } from './archive.js';
import { exists, readText, type ApplyIo, type Ownership } from './io.js';
import { count, domainDirOf, type ApplyEnvironment, type Driver } from './types.js';
import { assertNoSymlinkBelow, checkedUserDir } from './tree-guard.js';
import { withVpasswdLock } from './vpasswd-lock.js';

/** argv as logged and reported: a hash after `-e` is replaced, so no output ever carries it. */
function redact(argv: readonly string[]): string[] {
  return argv.map((arg, i) => (argv[i - 1] === '-e' ? '<hash>' : arg));
}

/**
 * Runs one of ~vpopmail/bin's programs with an argv array (never a shell). A clear-text password
 * goes to the program's prompt on stdin, never into argv where `ps` would show it. vpopmail
 * prints its errors as `Error: …` on stdout and some programs exit 0 on failure (vadddomain), so
 * that text counts as failure too.
 */
function run(env: ApplyEnvironment, argv: string[], stdin?: string): string {
  const program = join(env.vpopmailHome, 'bin', argv[0]!);
  env.counters.commands.push(redact(argv));
  const result = env.io.run(program, argv.slice(1), { input: stdin ?? '', timeoutMs: 120_000 });
  if (result.error) throw new Error(`${argv[0]} could not run: ${result.error.message}`);
  const output = `${result.stdout}${result.stderr}`
    .replace(/Please enter password for \S+: enter password again: /g, '')
    .trim();
  if (result.status !== 0 || /^Error/m.test(result.stdout)) {
    throw new Error(`${redact(argv).join(' ')} exited ${result.status ?? result.signal}: ${output || '(no output)'}`);
  }
  return result.stdout;
}

function flagOptions(mask: number): string[] {
  return FLAG_NAMES.filter((name) => (mask & FLAG_BITS[name]) !== 0).map((name) => VMODUSER_FLAG_OPTION[name]);
}

/** `-q` argument giving exactly the canonical field: bytes and counts pass through; `0` stores the empty field. */
function quotaArgument(quota: string): string {
  return quota === '' ? '0' : quota;
}

/**
 * What vpopmail's programs cannot do, patched into vpasswd under its lock before the one
 * vmkpasswd: clear texts left behind by `vmoduser -e` blanked, flag bits vpopmail does not
 * know (which `vmoduser -x` clears and no option sets) put back, and the final newline added.
 */
interface VpasswdFixups {
  blankClear: Set<string>;
  flags: Map<string, number>;
}

/**
 * Brings an existing user to `after`. Order matters: vpasswd and vsetuserquota rebuild the cdb,
 * and any rebuild after a `vmoduser -n` would first read the stale cdb record back and revert
 * it. So they run first, and everything vmoduser can do (hash, comment, flags) goes into one
 * final `vmoduser -n` call.
 */
function updateUser(
  env: ApplyEnvironment,
  email: string,
  before: UserTarget,
  after: UserTarget,
  password: PasswordMaterial | undefined,
  fixups: VpasswdFixups,
): void {
  if (password?.kind === 'clear') run(env, ['vpasswd', email], `${password.clear}\n${password.clear}\n`);
  if (before.quota !== after.quota) run(env, ['vsetuserquota', email, quotaArgument(after.quota)]);
  const options: string[] = [];
  if (password?.kind === 'hash') {
    options.push('-e', password.hash);
    // vmoduser -e keeps the old clear text, which CRAM-MD5 and APOP still accept: blanked later.
    fixups.blankClear.add(after.name);
  }
  if (before.comment !== after.comment) options.push('-c', after.comment);
  if (before.flags !== after.flags) {
    const removed = (before.flags & ~after.flags) !== 0;
    options.push(...(removed ? ['-x', ...flagOptions(after.flags)] : flagOptions(after.flags & ~before.flags)));
    if (removed && (after.flags & ~KNOWN_FLAG_MASK) !== 0) fixups.flags.set(after.name, after.flags);
  }
  if (options.length > 0) run(env, ['vmoduser', '-n', ...options, email]);
}

function applyVpasswdFixups(
  io: ApplyIo,
  vpasswdPath: string,
  fixups: VpasswdFixups,
  owner: Ownership | undefined,
): void {
  // Bytes, so a gecos that is not UTF-8 (an old Latin-1 one) survives.
  const text = byteString(io.read(vpasswdPath) ?? new Uint8Array());
  const parsed = parseVpasswd(text, vpasswdPath);
  // Keyed by the name's bytes, as the lines below are split.
  const byName = new Map<string, VpasswdUser<ByteString>>(parsed.users.map((user) => [user.name, user]));
  // vmkpasswd leaves a last line without its newline out of the cdb: that user could no longer log in.
  const terminated = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  const lines = terminated.split('\n').map((line) => {
    const user = byName.get(line.slice(0, line.indexOf(':')));
    if (!user || (!fixups.blankClear.has(user.name) && !fixups.flags.has(user.name))) return line;
    const clear = parsed.clearPasswords && fixups.blankClear.has(user.name) ? encodeText('') : user.clear;
    return formatVpasswdLine(
      { ...user, flags: fixups.flags.get(user.name) ?? user.flags, ...(clear === undefined ? {} : { clear }) },
      parsed.clearPasswords,
    );
  });
  const patched = lines.join('\n');
  if (patched !== text) io.writeAtomic(vpasswdPath, bufferOf(patched as ByteString), owner ? { owner } : {});
}

/**
 * vadduser refuses a directory that already exists ("User's directory already exists"): one left
 * by an interrupted files-driver apply, or made by hand. No vpasswd line points at it, so nothing
 * delivers there; it goes to the archive like a deleted mailbox, never removed.
 */
function archiveLeftoverDir(
  env: ApplyEnvironment,
  domain: string,
  dir: string,
  name: string,
  owner: Ownership | undefined,
): void {
  if (!exists(env.io, dir)) return;
  for (const user of env.live.domains.get(domain)?.users.values() ?? []) if (user.dir === dir) return;
  const bounds = { sourceWithin: domainDirOf(env, domain), archiveWithin: env.vpopmailHome };
  const target = archivePath(env.io, dir, `${env.vpopmailHome}/archive/${domain}`, name, env.now, bounds, owner);
  if (target) env.counters.archived.push(target);
}

/**
 * Where vadduser put each new mailbox (hashed past 100 users): a forward that keeps a copy,
 * written after the users in this apply, needs it. Read from vpasswd, like the rest of the live
 * state, rather than by `vuserinfo -d`, which setuid()s to the domain owner and finds nobody
 * when the tree's ownership is not what users/assign says.
 */
function recordAddedDirs(env: ApplyEnvironment, domain: string, vpasswdPath: string, names: readonly string[]): void {
  const users = new Map(
    parseVpasswd(byteString(env.io.read(vpasswdPath) ?? new Uint8Array()), vpasswdPath).users.map((user) => [
      decodeBytes(user.name),
      decodeBytes(user.dir),
    ]),
  );
  for (const name of names) {
    const dir = users.get(name);
    if (dir === undefined) throw new Error(`vadduser reported success but ${name}@${domain} is not in ${vpasswdPath}`);
    env.addedUserDirs.set(`${name}@${domain}`, checkedUserDir(env.io, dir, name, domain, domainDirOf(env, domain)));
  }
}

/**
 * The vpopmail driver: only vpopmail's own programs change users (for SQL backends, or admins
 * who want the official tools). vpopmail cannot batch: vadduser, vsetuserquota and vpasswd each
 * rebuild vpasswd.cdb; modifications use `vmoduser -n` and a single `vmkpasswd` per domain at
 * the end. Afterwards vpasswd is put back to 0600 and the domain's owner (vmoduser -n leaves it
 * root-owned at the caller's umask).
 */
export const vpopmailDriver: Driver = {
  name: 'vpopmail',

  async applyDomainUsers(domain, changes, env) {
    const live = env.live.domains.get(domain);
    const domainDir = domainDirOf(env, domain);
    if (domainDir.startsWith(`${env.vpopmailHome}/`)) assertNoSymlinkBelow(env.io, env.vpopmailHome, domainDir);
    // vpopmail's programs run as root and follow links as they please (vsetuserquota writes
    // maildirsize through a linked Maildir, every program opens .vpasswd.lock): what they will
    // touch is checked before they run.
    for (const file of ['vpasswd', '.vpasswd.lock']) assertNoSymlinkBelow(env.io, domainDir, join(domainDir, file));
    const owner = env.ownerOf(domain);
    const fixups: VpasswdFixups = { blankClear: new Set(), flags: new Map() };
    const createdByVadddomain = env.addedDomainDirs.has(domain) ? new Set(['postmaster']) : new Set<string>();
    const added: string[] = [];
    for (const change of changes) {
      switch (change.kind) {
        case 'delete-user': {
          const dir = checkedUserDir(
            env.io,
            live?.users.get(change.name)?.dir ?? change.dir,
            change.name,
            domain,
            domainDir,
          );
          const target = archivePath(
            env.io,
            dir,
            change.archiveParent,
            change.name,
            env.now,
            { sourceWithin: domainDir, archiveWithin: env.vpopmailHome },
            owner,
          );
          if (target) env.counters.archived.push(target);
          // vdeluser rm -rf's the directory: give it an empty one, the mail is already in the archive.
          env.io.makeDirectories(dir);
          run(env, ['vdeluser', `${change.name}@${domain}`]);
          break;
        }
        case 'add-user': {
          const email = `${change.user.name}@${domain}`;
          const blank: UserTarget = {
            name: change.user.name,
            comment: change.user.name === 'postmaster' ? 'Postmaster' : change.user.name,
            quota: NOQUOTA,
            flags: 0,
          };
          if (createdByVadddomain.has(change.user.name)) {
            updateUser(env, email, blank, change.user, change.password, fixups);
            added.push(change.user.name);
            break;
          }
          archiveLeftoverDir(env, domain, join(domainDir, change.user.name), change.user.name, owner);
          const options = ['-q', quotaArgument(change.user.quota)];
          if (change.user.comment !== change.user.name) options.push('-c', change.user.comment);
          if (change.password.kind === 'hash') run(env, ['vadduser', ...options, '-e', change.password.hash, email]);
          else run(env, ['vadduser', ...options, email], `${change.password.clear}\n${change.password.clear}\n`);
          updateUser(env, email, { ...change.user, flags: 0 }, change.user, undefined, fixups);
          added.push(change.user.name);
          break;
        }
        case 'modify-user': {
          const email = `${change.name}@${domain}`;
          const current = live?.users.get(change.name);
          if (!current) throw new Error(`${email} is not in the live state this plan was made from`);
          assertNoSymlinkBelow(
            env.io,
            domainDir,
            `${checkedUserDir(env.io, current.dir, change.name, domain, domainDir)}/Maildir/maildirsize`,
          );
          updateUser(env, email, current, change.after, change.password, fixups);
          break;
        }
        case 'rebuild-vpasswd-cdb': {
          const vpasswdPath = join(domainDir, 'vpasswd');
          if (exists(env.io, vpasswdPath)) {
            await withVpasswdLock(env.io, domainDir, owner, () => {
              applyVpasswdFixups(env.io, vpasswdPath, fixups, owner);
            });
          }
          run(env, ['vmkpasswd', domain]);
          count(env.counters.cdbBuilds, domain);
          // chmod and chown follow links: vpasswd swapped for one would hand its target to the domain.
          if (exists(env.io, vpasswdPath)) {
            assertNoSymlinkBelow(env.io, domainDir, vpasswdPath);
            env.io.setModeAndOwner(vpasswdPath, 0o600, owner);
          }
          break;
        }
        default:
          assertNever(change, 'user change');
      }
      env.done(change);
    }
    if (added.length > 0) recordAddedDirs(env, domain, join(domainDir, 'vpasswd'), added);
  },

  async addDomain(change, env) {
    // vadddomain needs a postmaster password: a random one here, the declared one follows as add-user.
    run(env, ['vadddomain', '-r', change.domain]);
    env.addedDomainDirs.set(change.domain, change.dir);
    const assignPath = join(env.qmailHome, 'users', 'assign');
    const entry = parseAssign(readText(env.io, assignPath), assignPath).entries.find(
      (e) => e.domain === change.domain && e.realDomain === change.domain,
    );
    if (!entry) throw new Error(`vadddomain reported success but ${change.domain} is not in users/assign`);
    env.addedDomainDirs.set(change.domain, entry.dir);
    env.done(change);
  },

  async addAliasDomain(change, env) {
    run(env, ['vaddaliasdomain', change.alias, change.domain]);
    env.done(change);
  },
};
