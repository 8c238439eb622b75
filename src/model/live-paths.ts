import { CONTROL_CHARACTER, quoted } from './display.js';

/**
 * Which paths read from the live server mailstate will act on. vpasswd, users/assign and the
 * `.qmail` files are written by the vpopmail account (or a hand edit), while mailstate runs as
 * root: a path from them is hostile input until it has vpopmail's own shape. These checks are
 * lexical and pure; the apply layer checks symbolic links on disk before every write
 * (apply/tree-guard.ts), and the reader resolves each domain directory once (live/read-live.ts).
 */

/** How much of a path messages show: enough for any real one (mkdtemp and hashed levels included), bounded for a hostile one. */
export const PATH_SHOWN = 400;

/** One level of vpopmail's hashed directories (bigdir.c): a single character of 0-9A-Za-z. */
const HASH_LEVEL = /^[0-9A-Za-z]$/;

/** What every live path must be before anything else is asked of it. */
function basicProblem(path: string): string | undefined {
  if (path === '') return 'is empty';
  if (CONTROL_CHARACTER.test(path)) return 'contains a control character';
  if (!path.startsWith('/')) return 'is not an absolute path';
  if (path.length > 1 && path.endsWith('/')) return 'ends with "/"';
  if (path.includes('//')) return 'contains "//"';
  if (path.split('/').some((part) => part === '.' || part === '..')) return 'contains a "." or ".." segment';
  return undefined;
}

/**
 * `<parent>/[h/]…<name>` with each `h` one hashed level: the only shape vadddomain gives a domain
 * below `domains/` and vadduser gives a user below its domain. Anything else (another domain's or
 * user's directory, vpasswd itself, a `.qmail` file, the parent) is not this object's directory.
 */
function hashedChildProblem(path: string, parent: string, name: string): string | undefined {
  if (!path.startsWith(`${parent}/`)) return `is not inside ${parent}`;
  const parts = path.slice(parent.length + 1).split('/');
  if (parts[parts.length - 1] !== name) return `does not end in /${name}`;
  if (parts.slice(0, -1).some((part) => !HASH_LEVEL.test(part)))
    return "is not one of vpopmail's hashed directories (single characters 0-9, A-Z, a-z)";
  return undefined;
}

/**
 * Why a users/assign directory cannot be a domain's, or undefined. vadddomain puts every domain at
 * `<base>/domains/[hash/]<domain>`, where `<base>` is ~vpopmail, or the directory given with its
 * `-d` option (golden 14: `-d /tmp/altbase` gives `/tmp/altbase/domains/altdir.test`). A `-d` base
 * is honoured only when the operator names it (`--domain-base`), because a copy of a server (`cp
 * -a`) keeps the original's paths in its users/assign: acting on them would move the original's
 * mail.
 */
export function domainDirProblem(dir: string, domain: string, bases: readonly string[]): string | undefined {
  const basic = basicProblem(dir);
  if (basic) return `directory ${quoted(dir, PATH_SHOWN)} ${basic}`;
  const problems: string[] = [];
  for (const base of bases) {
    const problem = hashedChildProblem(dir, `${base}/domains`, domain);
    if (problem === undefined) return undefined;
    problems.push(problem);
  }
  return `directory ${quoted(dir, PATH_SHOWN)} ${problems[0] ?? 'has no base'}${bases.length > 1 ? ' (nor inside any --domain-base)' : ''}`;
}

/**
 * Why a vpasswd directory (field 6) cannot be this user's, or undefined: it must be
 * `<domain dir>/[hash/]<user>`, as vadduser makes it. `vmoduser -D` can store any path, and an
 * archive or a maildirsize write through such a path would act, as root, on whatever it names.
 */
export function userDirProblem(dir: string, user: string, domainDir: string): string | undefined {
  const basic = basicProblem(dir);
  if (basic) return `directory ${quoted(dir, PATH_SHOWN)} ${basic}`;
  const problem = hashedChildProblem(dir, domainDir, user);
  return problem === undefined ? undefined : `directory ${quoted(dir, PATH_SHOWN)} ${problem}`;
}
