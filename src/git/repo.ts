import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { GitError, simpleGit, type SimpleGit } from 'simple-git';

/** A git working copy, located once: where its files, its HEAD and its (shared) refs are. */
export interface Repo {
  /** The top of the working tree. */
  root: string;
  /** This working tree's git directory (holds HEAD). */
  gitDir: string;
  /** The common git directory (holds refs/heads and packed-refs; differs from gitDir in a linked worktree). */
  commonDir: string;
  git: SimpleGit;
}

/** A git failure, with git's own message (first line of its standard error). */
export class RepoError extends Error {}

function gitMessage(error: unknown): string {
  const text = error instanceof GitError ? error.message : (error as Error).message;
  return text
    .trim()
    .split('\n')[0]!
    .replace(/^(fatal|error): /, '');
}

/** Runs a git command; a failure becomes a RepoError naming what was being done. */
export async function gitRaw(repo: Pick<Repo, 'git'>, args: string[], what: string): Promise<string> {
  try {
    return await repo.git.raw(args);
  } catch (error) {
    throw new RepoError(`${what}: ${gitMessage(error)}`, { cause: error });
  }
}

export async function openRepo(dir: string): Promise<Repo> {
  let git: SimpleGit;
  try {
    git = simpleGit({ baseDir: dir, maxConcurrentProcesses: 4 });
  } catch (error) {
    throw new RepoError(`${dir}: ${gitMessage(error)}`);
  }
  const out = await gitRaw(
    { git },
    ['rev-parse', '--show-toplevel', '--absolute-git-dir', '--git-common-dir'],
    `${dir} is not a git working copy`,
  );
  const [root, gitDir, common] = out.trim().split('\n');
  if (!root || !gitDir || !common)
    throw new RepoError(`${dir} is not a git working copy (a bare repository cannot be watched)`);
  return {
    root,
    gitDir,
    commonDir: resolve(dir, common),
    git: simpleGit({ baseDir: root, maxConcurrentProcesses: 4 }),
  };
}

/** The commit a ref names, or undefined when there is no such ref. */
export async function resolveCommit(repo: Repo, ref: string): Promise<string | undefined> {
  if (ref.startsWith('-')) throw new RepoError(`"${ref}" is not a git ref`);
  const out = await gitRaw(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], `cannot resolve ${ref}`);
  const commit = out.trim();
  return /^[0-9a-f]{40,64}$/.test(commit) ? commit : undefined;
}

/** A path relative to the repository root ("/"-separated), or undefined when it is outside. */
export function repoPath(repo: Repo, path: string): string | undefined {
  const rel = relative(repo.root, isAbsolute(path) ? path : join(repo.root, path));
  if (rel === '') return '';
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

export interface TreeEntry {
  name: string;
  kind: 'file' | 'directory' | 'other';
}

/** The entries of a directory in a commit (`git ls-tree`); empty when the directory is not there. */
export async function listAt(repo: Repo, commit: string, dir: string): Promise<TreeEntry[]> {
  const out = await gitRaw(
    repo,
    ['ls-tree', '-z', commit, ...(dir === '' ? [] : ['--', `${dir}/`])],
    `cannot list ${dir || '/'} at ${shortCommit(commit)}`,
  );
  return out
    .split('\0')
    .filter(Boolean)
    .map((record) => {
      const tab = record.indexOf('\t');
      const [mode, type] = record.slice(0, tab).split(' ');
      const path = record.slice(tab + 1);
      const name = path.slice(path.lastIndexOf('/') + 1);
      // Symbolic links are not followed in a commit: their target is only a path string.
      const kind = type === 'tree' ? 'directory' : type === 'blob' && mode !== '120000' ? 'file' : 'other';
      return { name, kind };
    });
}

export interface FileAtOptions {
  /** Lets a caller that reads many files of one commit list each directory once. */
  list?: (dir: string) => Promise<TreeEntry[]>;
  /** Refuse a larger blob before reading it (its size comes from `git cat-file -s`). */
  maxBytes?: number;
}

/**
 * A file's bytes in a commit, or undefined when the commit has no such file. Bytes, not text: a
 * committed file must be judged exactly as the same file on disk (invalid UTF-8 refused, not
 * silently replaced by U+FFFD).
 */
export async function fileAt(
  repo: Repo,
  commit: string,
  path: string,
  options: FileAtOptions = {},
): Promise<Buffer | undefined> {
  const list = options.list ?? ((dir: string) => listAt(repo, commit, dir));
  const slash = path.lastIndexOf('/');
  const entries = await list(slash === -1 ? '' : path.slice(0, slash));
  const entry = entries.find((e) => e.name === path.slice(slash + 1));
  if (!entry) return undefined;
  const where = `${path} at ${shortCommit(commit)}`;
  if (entry.kind !== 'file') throw new RepoError(`${where} is not a regular file`);
  if (options.maxBytes !== undefined) {
    const size = Number((await gitRaw(repo, ['cat-file', '-s', `${commit}:${path}`], `cannot read ${where}`)).trim());
    if (size > options.maxBytes)
      throw new RepoError(`${where} is larger than ${options.maxBytes / 1024 / 1024} MiB (${size} bytes)`);
  }
  try {
    return await repo.git.showBuffer([`${commit}:${path}`]);
  } catch (error) {
    throw new RepoError(`cannot read ${where}: ${gitMessage(error)}`, { cause: error });
  }
}

/** A branch or remote name safe to hand git as an argument: never read as one of its options. */
export function isPlainGitName(name: string): boolean {
  return /^[A-Za-z0-9._/-]+$/.test(name) && !name.startsWith('-') && !name.includes('..');
}

export function shortCommit(commit: string): string {
  return commit.slice(0, 12);
}
