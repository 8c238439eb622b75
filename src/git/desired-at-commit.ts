import type { DirEntry } from '../desired/include-files.js';
import { loadDesired } from '../desired/load.js';
import type { Overrides } from '../desired/normalize.js';
import { MAX_YAML_BYTES } from '../desired/read-yaml-file.js';
import type { Result } from '../model/diagnostic.js';
import type { DesiredState } from '../model/state.js';
import { fileAt, listAt, repoPath, shortCommit, type Repo, type TreeEntry } from './repo.js';

/**
 * Loads and validates the desired state as it is committed in `commit`: the main file and every
 * file its `include:` selects come from `git show`, never from the working tree, so uncommitted
 * edits cannot reach a server. Diagnostics name files relative to the repository root.
 * `{ file: … }` passwords are still read from disk next to the YAML: secrets do not belong in git.
 */
export async function loadDesiredAtCommit(
  repo: Repo,
  commit: string,
  file: string,
  overrides: Overrides = {},
): Promise<Result<DesiredState>> {
  const inRepo = (path: string): string => {
    const rel = repoPath(repo, path);
    if (rel === undefined || rel === '') throw new Error(`${path} is outside the repository ${repo.root}`);
    return rel;
  };
  // Each directory of the commit is listed once per load, however many includes it holds.
  const listings = new Map<string, Promise<TreeEntry[]>>();
  const list = (dir: string): Promise<TreeEntry[]> => {
    let listing = listings.get(dir);
    if (!listing) {
      listing = listAt(repo, commit, dir);
      listings.set(dir, listing);
    }
    return listing;
  };
  const readFile = async (path: string): Promise<Uint8Array> => {
    const bytes = await fileAt(repo, commit, inRepo(path), { list, maxBytes: MAX_YAML_BYTES });
    if (bytes === undefined) throw new Error(`not in commit ${shortCommit(commit)}`);
    return bytes;
  };
  const readDir = async (dir: string): Promise<DirEntry[]> => {
    const rel = repoPath(repo, dir);
    return rel === undefined ? [] : list(rel);
  };
  const main = `${repo.root}/${inRepo(file)}`;
  return loadDesired(main, { readFile, readDir, overrides, displayBase: repo.root });
}
