import { join } from 'node:path';
import { bufferOf, byteString, encodeText, type ByteString } from '../formats/byte-string.js';
import { formatVpasswdLine, parseVpasswd, type VpasswdUser } from '../formats/vpasswd.js';
import type { PasswordMaterial, UserTarget } from '../model/change.js';
import { FLAG_NAMES, FLAG_BITS, KNOWN_FLAG_MASK, VMODUSER_FLAG_OPTION } from '../model/flags.js';
import type { ApplyIo, Ownership } from './io.js';
import type { ApplyEnvironment } from './types.js';

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
export function run(env: ApplyEnvironment, argv: string[], stdin?: string): string {
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

export function flagOptions(mask: number): string[] {
  return FLAG_NAMES.filter((name) => (mask & FLAG_BITS[name]) !== 0).map((name) => VMODUSER_FLAG_OPTION[name]);
}

/** `-q` argument giving exactly the canonical field: bytes and counts pass through; `0` stores the empty field. */
export function quotaArgument(quota: string): string {
  return quota === '' ? '0' : quota;
}

/**
 * What vpopmail's programs cannot do, patched into vpasswd under its lock before the one
 * vmkpasswd: clear texts left behind by `vmoduser -e` blanked, flag bits vpopmail does not
 * know (which `vmoduser -x` clears and no option sets) put back, and the final newline added.
 */
export interface VpasswdFixups {
  blankClear: Set<string>;
  flags: Map<string, number>;
}

/**
 * Brings an existing user to `after`. Order matters: vpasswd and vsetuserquota rebuild the cdb,
 * and any rebuild after a `vmoduser -n` would first read the stale cdb record back and revert
 * it. So they run first, and everything vmoduser can do (hash, comment, flags) goes into one
 * final `vmoduser -n` call.
 */
export function updateUser(
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

export function applyVpasswdFixups(
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
