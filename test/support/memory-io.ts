/**
 * Apply's port (src/apply/io.ts) over a file tree held in memory. It exists for two reasons: the
 * drivers can be tested without a disk (a fault sweep that rebuilds a sandbox per fault point runs
 * in milliseconds here), and running them over it proves they depend on nothing but the port: a
 * driver that still touched fs or child_process directly would miss this tree and fail.
 *
 * Semantics follow io.ts and, where it is silent, what nodeIo does on Linux:
 * - Paths are absolute. Links in parent components are followed, as the kernel does (at most 40
 *   hops, then ELOOP); a link at the last component is followed only by `followedEntry`, `read`
 *   and `list` (stat, open, readdir); `setModeAndOwner` refuses one (ELOOP, as O_NOFOLLOW); every
 *   other operation acts on the link itself (lstat, rename, unlink, O_EXCL|O_NOFOLLOW creation).
 *   The tree has no hard links, so nodeIo's EMLINK never arises here.
 * - Errors are Error objects with `.code` set to the errno name (ENOENT, EEXIST, ENOTDIR, EISDIR,
 *   ENOTEMPTY, EINVAL, ELOOP), as Node's are; `remove` of a directory throws EISDIR where Node's
 *   rmSync throws ERR_FS_EISDIR.
 * - An `owner` given to a write is applied (nodeIo chowns whenever one is given; the callers pass
 *   one only as root). Without one, what is created belongs to `uid`/`gid` (the process's).
 * - `run` dispatches to `programs` (by exact path, then by basename); an unknown program never
 *   runs: status null and an ENOENT error, as spawnSync reports it.
 * - `withLock` creates the lock file as nodeIo does (0600, never through a link) and runs the task:
 *   one process, nobody to wait for.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DIR_MODE, FILE_MODE } from '../../src/apply/io.js';
import type { ApplyIo, Entry, EntryKind, Ownership, ProgramResult } from '../../src/apply/io.js';

export type MemoryEntry =
  | { kind: 'file'; data: Buffer; mode: number; uid: number; gid: number }
  | { kind: 'directory'; mode: number; uid: number; gid: number }
  | { kind: 'symlink'; target: string; uid: number; gid: number };

export type MemoryProgram = (args: readonly string[], input: string, io: ApplyIo) => ProgramResult;

export interface MemoryIoOptions {
  isRoot?: boolean;
  /** Owner of what is created without an explicit owner (default: this process's). */
  uid?: number;
  gid?: number;
  programs?: Record<string, MemoryProgram>;
  /** A tree to start from (copied: the new io never changes it), e.g. another memory io's. */
  tree?: ReadonlyMap<string, MemoryEntry>;
}

/** The port, plus the tree itself and a way to plant links (the port creates none). */
export interface MemoryIo extends ApplyIo {
  readonly tree: Map<string, MemoryEntry>;
  symlink(target: string, path: string): void;
}

function fail(code: string, syscall: string, path: string): never {
  throw Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

function processOwner(): Ownership {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

export function memoryIo(options: MemoryIoOptions = {}): MemoryIo {
  const isRoot = options.isRoot ?? false;
  const me = { uid: options.uid ?? processOwner().uid, gid: options.gid ?? processOwner().gid };
  const tree = new Map<string, MemoryEntry>([...(options.tree ?? [])].map(([path, e]) => [path, { ...e }]));
  if (!tree.has('/')) tree.set('/', { kind: 'directory', mode: 0o755, ...me });
  const owned = (owner: Ownership | undefined) => ({ uid: owner?.uid ?? me.uid, gid: owner?.gid ?? me.gid });

  /** The canonical key `path` names: parent links followed, the last one only when `followLast`. */
  const locate = (path: string, followLast: boolean, syscall: string): string => {
    if (!path.startsWith('/')) fail('EINVAL', syscall, path);
    let hops = 0;
    const walk = (from: readonly string[], rest: string, follow: boolean): string[] => {
      const parts = rest.startsWith('/') ? [] : [...from];
      const names = rest.split('/').filter((name) => name !== '' && name !== '.');
      for (const [index, name] of names.entries()) {
        const last = index === names.length - 1;
        if (name === '..') parts.pop();
        else {
          parts.push(name);
          const found = tree.get(`/${parts.join('/')}`);
          if (found?.kind === 'symlink' && (follow || !last)) {
            if (++hops > 40) fail('ELOOP', syscall, path);
            parts.pop();
            parts.splice(0, parts.length, ...walk(parts, found.target, true));
          }
        }
        if (last) break;
        const dir = tree.get(`/${parts.join('/')}`);
        if (!dir) fail('ENOENT', syscall, path);
        if (dir.kind !== 'directory') fail('ENOTDIR', syscall, path);
      }
      return parts;
    };
    return `/${walk([], path, followLast).join('/')}`;
  };
  /** undefined where the kernel says ENOENT (as lstat with throwIfNoEntry: false does; ENOTDIR still throws). */
  const unlessMissing = <T>(task: () => T): T | undefined => {
    try {
      return task();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
  const describe = (found: MemoryEntry | undefined): Entry | undefined => {
    if (!found) return undefined;
    const { kind, uid, gid } = found;
    if (kind === 'file') return { kind, uid, gid, mode: found.mode, size: found.data.length };
    if (kind === 'directory') return { kind, uid, gid, mode: found.mode, size: 0 };
    return { kind, uid, gid, mode: 0o777, size: Buffer.byteLength(found.target) };
  };
  const childKeys = (dir: string): string[] => {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    return [...tree.keys()].filter((key) => key !== '/' && key.startsWith(prefix) && !key.includes('/', prefix.length));
  };
  const putFile = (path: string, data: string | Uint8Array, mode: number, owner: Ownership | undefined) => {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    tree.set(path, { kind: 'file', data: bytes, mode, ...owned(owner) });
  };

  const io: MemoryIo = {
    isRoot,
    tree,
    symlink(target, path) {
      const at = locate(path, false, 'symlink');
      if (tree.has(at)) fail('EEXIST', 'symlink', path);
      tree.set(at, { kind: 'symlink', target, ...me });
    },
    entry: (path) => unlessMissing(() => describe(tree.get(locate(path, false, 'lstat')))),
    followedEntry: (path) => unlessMissing(() => describe(tree.get(locate(path, true, 'stat')))),
    read(path) {
      const found = unlessMissing(() => tree.get(locate(path, true, 'open')));
      if (found?.kind === 'directory') fail('EISDIR', 'read', path);
      return found?.kind === 'file' ? Buffer.from(found.data) : undefined;
    },
    list(path) {
      const at = locate(path, true, 'scandir');
      const found = tree.get(at);
      if (!found) fail('ENOENT', 'scandir', path);
      if (found.kind !== 'directory') fail('ENOTDIR', 'scandir', path);
      return childKeys(at)
        .map((key) => basename(key))
        .sort();
    },
    writeAtomic(path, data, writeOptions = {}) {
      const at = locate(path, false, 'open');
      const old = tree.get(at);
      if (old?.kind === 'directory') fail('EISDIR', 'rename', path);
      let { mode = FILE_MODE, owner } = writeOptions;
      if (writeOptions.keepExisting && old?.kind === 'file') {
        mode = old.mode;
        if (isRoot) owner = { uid: old.uid, gid: old.gid };
      }
      putFile(at, data, mode, owner);
    },
    writeNew(path, data, owner) {
      const at = locate(path, false, 'open');
      if (tree.has(at)) fail('EEXIST', 'open', path);
      putFile(at, data, FILE_MODE, owner);
    },
    makeDirectory(path, owner) {
      const at = locate(path, false, 'mkdir');
      if (tree.has(at)) return false;
      tree.set(at, { kind: 'directory', mode: DIR_MODE, ...owned(owner) });
      return true;
    },
    makeDirectories(path, owner) {
      const names = path.split('/').filter(Boolean);
      for (let i = 1; i <= names.length; i++) {
        const prefix = `/${names.slice(0, i).join('/')}`;
        const at = locate(prefix, false, 'mkdir');
        const here = tree.get(at);
        // A dangling link: mkdir says EEXIST, the stat that follows ENOENT (Node's mkdir -p reports that).
        const found = here?.kind === 'symlink' ? tree.get(locate(prefix, true, 'mkdir')) : here;
        if (here && !found) fail('ENOENT', 'mkdir', path);
        if (!found) tree.set(at, { kind: 'directory', mode: DIR_MODE, ...owned(owner) });
        else if (found.kind !== 'directory') fail(i === names.length ? 'EEXIST' : 'ENOTDIR', 'mkdir', path);
      }
    },
    move(from, to) {
      const source = locate(from, false, 'rename');
      const moving = tree.get(source);
      if (!moving) fail('ENOENT', 'rename', from);
      const target = locate(to, false, 'rename');
      if (target === source) return;
      const old = tree.get(target);
      if (moving.kind === 'directory') {
        if (target.startsWith(`${source}/`)) fail('EINVAL', 'rename', to);
        if (old && old.kind !== 'directory') fail('ENOTDIR', 'rename', to);
        if (old && childKeys(target).length > 0) fail('ENOTEMPTY', 'rename', to);
      } else if (old?.kind === 'directory') fail('EISDIR', 'rename', to);
      tree.delete(target);
      for (const [key, value] of [...tree]) {
        if (key !== source && !key.startsWith(`${source}/`)) continue;
        tree.delete(key);
        tree.set(target + key.slice(source.length), value);
      }
    },
    remove(path) {
      const at = unlessMissing(() => locate(path, false, 'rm'));
      const found = at === undefined ? undefined : tree.get(at);
      if (found?.kind === 'directory') fail('EISDIR', 'rm', path);
      if (at !== undefined) tree.delete(at);
    },
    setModeAndOwner(path, mode, owner) {
      const at = locate(path, false, 'chmod');
      const found = tree.get(at);
      if (!found) fail('ENOENT', 'chmod', path);
      if (found.kind === 'symlink') fail('ELOOP', 'chmod', path);
      tree.set(at, { ...found, mode, ...(owner ? { uid: owner.uid, gid: owner.gid } : {}) } as MemoryEntry);
    },
    run(program, args, runOptions = {}) {
      const handler = options.programs?.[program] ?? options.programs?.[basename(program)];
      if (handler) return handler(args, runOptions.input ?? '', io);
      const error = Object.assign(new Error(`spawnSync ${program} ENOENT`), { code: 'ENOENT', path: program });
      return { status: null, signal: null, stdout: '', stderr: '', error };
    },
    async withLock(path, owner, _timeoutMs, task) {
      const at = locate(path, false, 'open');
      const found = tree.get(at);
      if (found?.kind === 'symlink') fail('ELOOP', 'open', path);
      if (found?.kind === 'directory') fail('EISDIR', 'open', path);
      if (!found) putFile(at, '', FILE_MODE, owner);
      else if (owner) tree.set(at, { ...found, uid: owner.uid, gid: owner.gid });
      return await task();
    },
  };
  return io;
}

/**
 * Copies the real tree at `root` (files, directories, links, modes, owners) into `io` at `into`
 * (default: the same absolute path). Missing ancestors of `into` are created 0755 for this process.
 */
export function loadFromDisk(io: MemoryIo, root: string, into = root): void {
  let ancestor = '';
  for (const name of dirname(into).split('/').filter(Boolean)) {
    ancestor += `/${name}`;
    if (!io.tree.has(ancestor)) io.tree.set(ancestor, { kind: 'directory', mode: 0o755, ...processOwner() });
  }
  const copy = (from: string, to: string) => {
    const info = lstatSync(from);
    const meta = { uid: info.uid, gid: info.gid };
    if (info.isSymbolicLink()) io.tree.set(to, { kind: 'symlink', target: readlinkSync(from), ...meta });
    else if (info.isFile())
      io.tree.set(to, { kind: 'file', data: readFileSync(from), mode: info.mode & 0o7777, ...meta });
    else if (info.isDirectory()) {
      io.tree.set(to, { kind: 'directory', mode: info.mode & 0o7777, ...meta });
      for (const name of readdirSync(from)) copy(join(from, name), join(to, name));
    } else throw new Error(`${from}: memoryIo holds only files, directories and links`);
  };
  copy(root, into);
}

export interface TreeRecord {
  /** Relative to the root given, with a leading `/` (the root itself is `/`). */
  path: string;
  kind: EntryKind;
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of a file, of a link's target; 0 for a directory (a filesystem's own figure on disk). */
  size: number;
  /** A file's bytes as latin1 (one character per byte). */
  content?: string;
}

/**
 * Everything below `root` as seen through any port (memory or nodeIo), sorted bytewise by path:
 * two trees compare equal when their snapshots do. Empty when `root` does not exist.
 */
export function snapshotTree(io: ApplyIo, root: string): TreeRecord[] {
  const records: TreeRecord[] = [];
  const visit = (path: string) => {
    const found = io.entry(path);
    if (!found) return;
    const { kind, mode, uid, gid } = found;
    const record: TreeRecord = { path: path.slice(root.length) || '/', kind, mode, uid, gid, size: found.size };
    if (kind === 'directory') record.size = 0;
    if (kind === 'file') record.content = io.read(path)!.toString('latin1');
    records.push(record);
    if (kind === 'directory') for (const name of io.list(path)) visit(join(path, name));
  };
  visit(root);
  return records.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
