import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, isAbsolute, relative } from 'node:path';
import { hasErrors } from '../model/diagnostic.js';
import type { Diagnostic, DiagnosticCode, Result } from '../model/diagnostic.js';
import type { PasswordSpec, SecretRef } from '../model/password.js';
import type { DesiredDomain, DesiredState, DesiredUser } from '../model/state.js';
import { ioReason } from './io-reason.js';

export interface SecretIo {
  env: Record<string, string | undefined>;
  readFile(path: string): string;
  /**
   * Optional. When given, a password file must be a regular file of at most MAX_SECRET_BYTES, and
   * one that every user may read draws a warning.
   */
  stat?(path: string): { isFile: boolean; mode: number; size: number } | undefined;
}

/** A password file larger than this is not a password (and /dev/zero must not be read). */
export const MAX_SECRET_BYTES = 4096;

/** SecretIo on the real file system, with the environment passed in (no process.env below cli/). */
export function nodeSecretIo(env: Record<string, string | undefined>): SecretIo {
  return {
    env,
    readFile: (path) => readFileSync(path, 'utf8'),
    stat: (path) => {
      const info = statSync(path, { throwIfNoEntry: false });
      return info && { isFile: info.isFile(), mode: info.mode, size: info.size };
    },
  };
}

/** What inspectSecretFiles may ask of the file system: never a file's content. */
export interface SecretFileIo {
  stat(path: string): { isFile: boolean; mode: number; size: number } | undefined;
  /** The path with every symbolic link resolved, or undefined when it does not exist. */
  realpath(path: string): string | undefined;
}

export const nodeSecretFileIo: SecretFileIo = {
  stat: nodeSecretIo({}).stat!,
  realpath: (path) => safe(() => realpathSync(path)),
};

/**
 * `validate`'s warning for `{ env: NAME }` passwords that are not set where it runs: plan and
 * apply would refuse them there. A warning, not an error: CI validates without the server's secrets.
 */
export function unsetEnvSecrets(state: DesiredState, env: Record<string, string | undefined>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [name, domain] of state.domains) {
    for (const [userName, user] of domain.users) {
      if (user.password.kind !== 'secret' || !('env' in user.password.ref)) continue;
      if (env[user.password.ref.env] !== undefined) continue;
      out.push({
        severity: 'warning',
        code: 'secret-missing',
        message: `user "${userName}@${name}": password: environment variable ${user.password.ref.env} is not set here; plan and apply will need it`,
        file: user.source.file,
        line: user.source.line,
        col: user.source.col,
      });
    }
  }
  return out;
}

/**
 * The warnings `validate` can give about `file:` passwords without reading them: a file every
 * user may read (the same warning plan and apply give), and a path inside the repository that is
 * a symbolic link to a file outside it. "The repository" is `root`, the directory of the main
 * mailstate.yaml, as for the rule that warns about paths written outside it (path-rules.ts), which
 * this does not repeat. A missing file is no problem here: secrets are not committed, and CI has none.
 */
export function inspectSecretFiles(state: DesiredState, root: string, io: SecretFileIo): Diagnostic[] {
  const out: Diagnostic[] = [];
  const mainName = basename(state.files[0] ?? 'mailstate.yaml');
  const realRoot = io.realpath(root);
  for (const [name, domain] of state.domains) {
    for (const [userName, user] of domain.users) {
      if (user.password.kind !== 'secret' || !('file' in user.password.ref)) continue;
      const path = user.password.ref.file;
      const shown = user.password.source.slice('file:'.length);
      const warn = (code: DiagnosticCode, message: string): void => {
        out.push({
          severity: 'warning',
          code,
          message: `user "${userName}@${name}": password: ${message}`,
          file: user.source.file,
          line: user.source.line,
          col: user.source.col,
        });
      };
      const info = safe(() => io.stat(path));
      if (info === undefined) continue;
      const readable = info.isFile ? worldReadable(info, shown) : undefined;
      if (readable) warn(readable.code, readable.message);
      const real = io.realpath(path);
      if (realRoot !== undefined && real !== undefined && isInside(root, path) && !isInside(realRoot, real)) {
        warn(
          'secret-outside',
          `password file ${shown} is a symbolic link to a file outside the directory of ${mainName}`,
        );
      }
    }
  }
  return out;
}

function isInside(dir: string, path: string): boolean {
  const inside = relative(dir, path);
  return inside !== '' && inside !== '..' && !inside.startsWith('../') && !isAbsolute(inside);
}

/**
 * Reads the clear-text passwords (`{ env }` / `{ file }`) of the users `needed` selects, turning
 * their `secret` specs into `clear` ones; other users keep theirs. Messages name the variable or
 * file, never the value. A file's trailing newline is dropped; an empty password is an error.
 */
export function resolveSecrets(
  state: DesiredState,
  needed: (domain: string, user: string) => boolean,
  io: SecretIo,
): Result<DesiredState> {
  const diagnostics: Diagnostic[] = [];
  const domains = new Map<string, DesiredDomain>();
  for (const [name, domain] of state.domains) {
    let users: Map<string, DesiredUser> | undefined;
    for (const [userName, user] of domain.users) {
      if (user.password.kind !== 'secret' || !needed(name, userName)) continue;
      const read = readSecret(user.password.ref, user.password.source, io);
      const where = { file: user.source.file, line: user.source.line, col: user.source.col };
      for (const problem of read.problems) {
        diagnostics.push({ ...where, ...problem, message: `user "${userName}@${name}": password: ${problem.message}` });
      }
      if (read.clear === undefined) continue;
      users ??= new Map(domain.users);
      const password: PasswordSpec = { kind: 'clear', clear: read.clear, source: user.password.source };
      users.set(userName, { ...user, password });
    }
    domains.set(name, users ? { ...domain, users } : domain);
  }
  if (hasErrors(diagnostics)) return { ok: false, diagnostics };
  return { ok: true, value: { ...state, domains }, diagnostics };
}

type SecretProblem = Pick<Diagnostic, 'severity' | 'code' | 'message'>;

function readSecret(ref: SecretRef, source: string, io: SecretIo): { clear?: string; problems: SecretProblem[] } {
  const error = (code: DiagnosticCode, message: string): { problems: SecretProblem[] } => ({
    problems: [{ severity: 'error', code, message }],
  });
  let clear: string;
  const problems: SecretProblem[] = [];
  if ('env' in ref) {
    const value = io.env[ref.env];
    if (value === undefined) return error('secret-missing', `environment variable ${ref.env} is not set`);
    clear = value;
  } else {
    const shown = source.slice('file:'.length);
    const info = io.stat ? safe(() => io.stat!(ref.file)) : undefined;
    if (info) {
      if (!info.isFile) return error('secret-unreadable', `password file ${shown} is not a regular file`);
      if (info.size > MAX_SECRET_BYTES)
        return error('secret-unreadable', `password file ${shown} is larger than ${MAX_SECRET_BYTES} bytes`);
      const readable = worldReadable(info, shown);
      if (readable) problems.push(readable);
    }
    try {
      clear = io.readFile(ref.file).replace(/\r?\n$/, '');
    } catch (cause) {
      return error('secret-unreadable', `cannot read password file ${shown} (${ioReason(cause)})`);
    }
  }
  if (clear === '') return error('secret-empty', `${source} is empty`);
  if (clear.includes('\n')) return error('secret-invalid', `${source} holds more than one line`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(clear)) return error('secret-invalid', `${source} contains a control character`);
  return { clear, problems };
}

/** The one warning validate, plan and apply give about a password file every local user can read. */
function worldReadable(info: { mode: number }, shown: string): SecretProblem | undefined {
  if ((info.mode & 0o004) === 0) return undefined;
  return {
    severity: 'warning',
    code: 'secret-readable',
    message: `password file ${shown} can be read by every user (chmod o-r)`,
  };
}

function safe<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
