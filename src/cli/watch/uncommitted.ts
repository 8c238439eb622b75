import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileAt, resolveCommit, type Repo } from '../../git/repo.js';

/** The desired-state file in the working tree against the branch tip. */
export type WorkingCopy =
  | { kind: 'no-branch' }
  | { kind: 'as-committed' }
  /** `edit` names this edit on this tip, so that it is pointed out once, however often the file is saved. */
  | { kind: 'uncommitted'; tip: string; edit: string };

/** Compares the working tree's `file` (relative to the root) with the branch tip's; a file missing from both is as committed. */
export async function compareWorkingCopy(repo: Repo, branch: string, file: string): Promise<WorkingCopy> {
  const tip = await resolveCommit(repo, `refs/heads/${branch}`);
  if (!tip) return { kind: 'no-branch' };
  const committed = await fileAt(repo, tip, file);
  const working = await readFile(join(repo.root, file)).catch(() => undefined);
  if (working === undefined ? committed === undefined : committed !== undefined && working.equals(committed))
    return { kind: 'as-committed' };
  return { kind: 'uncommitted', tip, edit: `${tip}\0${working?.toString('base64')}` };
}
