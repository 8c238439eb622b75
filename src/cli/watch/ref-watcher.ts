import { dirname, join, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Repo } from '../../git/repo.js';

export interface RefWatchHandlers {
  /** A branch ref, packed-refs or HEAD changed: something was committed, pulled or checked out. */
  refs(): void;
  /** A notes ref changed: a server of the fleet (maybe this one) recorded what it did with a commit. */
  notes(): void;
  /** The desired-state file changed in the working tree. */
  file(): void;
  error(error: Error): void;
}

/**
 * chokidar on directories, not on the ref files themselves: git replaces a ref by renaming a lock
 * file over it, and `git pack-refs` deletes it, either of which loses a watch on the file.
 * Everything else under .git is filtered out before chokidar descends into it. Resolves once the
 * initial scan is done.
 */
export async function watchRepository(repo: Repo, fileAbs: string, handlers: RefWatchHandlers): Promise<FSWatcher> {
  const { gitDir, commonDir } = repo;
  const heads = join(commonDir, 'refs', 'heads');
  const notes = join(commonDir, 'refs', 'notes');
  const fileDir = dirname(fileAbs);
  const exact = new Set([
    commonDir,
    gitDir,
    join(commonDir, 'refs'),
    heads,
    notes,
    join(commonDir, 'packed-refs'),
    join(gitDir, 'HEAD'),
    fileDir,
    fileAbs,
  ]);
  const wanted = (path: string): boolean =>
    exact.has(path) || path.startsWith(heads + sep) || path.startsWith(notes + sep);
  const watcher = watch([...new Set([commonDir, gitDir, fileDir])], {
    ignoreInitial: true,
    ignored: (path: string) => !wanted(path),
  });
  watcher.on('all', (_event, path) => {
    if (path === fileAbs) handlers.file();
    else if (path === notes || path.startsWith(notes + sep)) handlers.notes();
    else if (path !== fileDir) handlers.refs();
  });
  watcher.on('error', (error) => handlers.error(error as Error));
  await new Promise<void>((resolve) => watcher.once('ready', resolve));
  return watcher;
}
