/**
 * What a run did to the disk, seen from outside the process: inotify (fs.watch) events for files
 * renamed into a directory, which is how every atomic write lands, and a fingerprint of a whole
 * tree to prove that a run wrote nothing.
 */
import { lstatSync, readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReplacementCount {
  /** Files renamed into place (one per atomic write), by name. */
  replaced: Map<string, number>;
  /** Whether the inode changed: the file was really replaced, not edited in place. */
  newInode: Map<string, boolean>;
}

/** Starts counting replacements of `names` in `dir`; `stop()` returns the counts. */
export function watchReplacements(dir: string, names: readonly string[]): { stop(): Promise<ReplacementCount> } {
  const inodes = new Map(names.map((name) => [name, statSync(join(dir, name), { throwIfNoEntry: false })?.ino]));
  const replaced = new Map(names.map((name) => [name, 0]));
  const watcher = watch(dir, (event, file) => {
    if (event === 'rename' && file !== null && replaced.has(file)) replaced.set(file, replaced.get(file)! + 1);
  });
  return {
    async stop() {
      // inotify events are read by the event loop: let the last ones arrive.
      await sleep(100);
      watcher.close();
      const newInode = new Map(
        names.map((name) => [name, statSync(join(dir, name), { throwIfNoEntry: false })?.ino !== inodes.get(name)]),
      );
      return { replaced, newInode };
    },
  };
}

/** path -> "ino mtime ctime size" of every entry below root. */
export function treeFingerprint(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const info = lstatSync(path, { bigint: true });
      out.set(path, `${info.ino} ${info.mtimeNs} ${info.ctimeNs} ${info.size}`);
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(root);
  return out;
}

/** Paths whose fingerprint differs, appeared or disappeared. */
export function fingerprintChanges(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const changed: string[] = [];
  for (const [path, print] of after) if (before.get(path) !== print) changed.push(path);
  for (const path of before.keys()) if (!after.has(path)) changed.push(path);
  return changed;
}
