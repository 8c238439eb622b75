import { gitRaw, resolveCommit, shortCommit, type Repo } from './repo.js';

export type PullResult =
  | { kind: 'up-to-date'; commit: string }
  | { kind: 'fast-forwarded'; from: string | undefined; to: string }
  | { kind: 'refused'; reason: string };

/** The branch checked out in the working tree, or undefined on a detached HEAD. */
async function checkedOutBranch(repo: Repo): Promise<string | undefined> {
  const out = await gitRaw(repo, ['symbolic-ref', '--quiet', '--short', 'HEAD'], 'cannot read HEAD');
  return out.trim() || undefined;
}

/**
 * Fetches `branch` from `remote` and moves the local branch forward to it, only ever as a
 * fast-forward: a local branch that has diverged (someone committed on the server) is left alone
 * and reported. When the branch is checked out, the working tree follows with `merge --ff-only`,
 * which git refuses rather than overwrite local edits; otherwise only the ref moves, atomically
 * and only if nobody moved it meanwhile. `alsoFetch` refspecs come along in the same fetch.
 */
export async function pullFastForward(
  repo: Repo,
  remote: string,
  branch: string,
  alsoFetch: readonly string[] = [],
): Promise<PullResult> {
  await gitRaw(
    repo,
    ['fetch', '--quiet', '--no-tags', remote, `+refs/heads/${branch}:refs/remotes/${remote}/${branch}`, ...alsoFetch],
    `git fetch ${remote} ${branch} failed`,
  );
  const remoteRef = `refs/remotes/${remote}/${branch}`;
  const remoteCommit = await resolveCommit(repo, remoteRef);
  if (!remoteCommit) return { kind: 'refused', reason: `${remote} has no branch ${branch}` };
  const local = await resolveCommit(repo, `refs/heads/${branch}`);
  if (local === remoteCommit) return { kind: 'up-to-date', commit: local };
  if (local !== undefined) {
    const base = (
      await gitRaw(repo, ['merge-base', local, remoteCommit], 'cannot compare the local and remote branch')
    ).trim();
    if (base === remoteCommit) return { kind: 'up-to-date', commit: local };
    if (base !== local) {
      return {
        kind: 'refused',
        reason: `${branch} (${shortCommit(local)}) has diverged from ${remote}/${branch} (${shortCommit(remoteCommit)}): only fast-forwards are pulled`,
      };
    }
  }
  if ((await checkedOutBranch(repo)) === branch) {
    await gitRaw(
      repo,
      ['merge', '--ff-only', '--quiet', remoteCommit],
      `fast-forward of the working tree to ${shortCommit(remoteCommit)} failed`,
    );
  } else {
    await gitRaw(
      repo,
      [
        'update-ref',
        '-m',
        `mailstate watch: fast-forward from ${remote}`,
        `refs/heads/${branch}`,
        remoteCommit,
        local ?? '',
      ],
      `cannot move ${branch}`,
    );
  }
  return { kind: 'fast-forwarded', from: local, to: remoteCommit };
}
