import { dirname, posix } from 'node:path';
import { DIR_MODE, FILE_MODE, type ApplyIo, type Entry, type Ownership, type ProgramResult } from './io.js';

/**
 * Apply's port as an overlay on another one (the real disk, for `plan --diff`): every read falls
 * through to `base`, every change is kept in memory and recorded, so the files driver can run a
 * whole plan and the disk is never touched. Programs (tcprules, qmail-newu) are recorded and
 * "succeed" without running: what they would build is binary and outside the diff.
 *
 * Semantics are nodeIo's, as far as the drivers can tell: ENOENT for a missing parent, EEXIST,
 * EISDIR, ENOTDIR; a move of a directory takes what lies below it on `base` along (by pointing
 * the new name at the old path), so a later listing of it still shows its content.
 */

/** What the overlay holds at a path, in front of what `base` has there. */
type Layer =
  /** A file written in this run. */
  | { kind: 'file'; data: Buffer; mode: number; uid: number; gid: number }
  /** A directory created in this run: nothing of `base` shows through it. */
  | { kind: 'directory'; mode: number; uid: number; gid: number }
  /** Whatever `base` has at `backing` (a moved file or directory), with its mode or owner changed when `meta` is set. */
  | { kind: 'base'; backing: string; meta?: { mode: number; uid: number; gid: number } }
  /** Gone in this run (removed, or moved away). */
  | { kind: 'absent' };

/** What the dry run did, in order. Paths are the ones apply would use. */
export type DryRunRecord =
  | { kind: 'write'; path: string }
  | { kind: 'mkdir'; path: string }
  | { kind: 'move'; from: string; to: string }
  | { kind: 'remove'; path: string }
  | { kind: 'chmod'; path: string; mode: number; owner?: Ownership }
  | { kind: 'run'; argv: string[] };

export interface DryRunIo extends ApplyIo {
  /** Every change, in the order apply would make it. */
  readonly records: readonly DryRunRecord[];
  /** The bytes of a file as the run left it; undefined when it is not a file the run wrote (or it is gone again). */
  written(path: string): Buffer | undefined;
}

function fail(code: string, syscall: string, path: string): never {
  throw Object.assign(new Error(`${code}: ${syscall} '${path}' (dry run)`), { code, syscall, path });
}

type Located = { layer: Layer } | { base: string } | { missing: 'ENOENT' | 'ENOTDIR' };

/**
 * `me`: who owns what is created without an explicit owner (the process, as nodeIo would make it;
 * apply/ never asks the process itself).
 */
export function dryRunIo(base: ApplyIo, me: Ownership): DryRunIo {
  const layers = new Map<string, Layer>();
  // The layered names below each directory: list() is called per user added, so it must not scan every layer.
  const children = new Map<string, Set<string>>();
  const setLayer = (path: string, layer: Layer) => {
    layers.set(path, layer);
    const parent = dirname(path);
    if (parent === path) return;
    const names = children.get(parent) ?? new Set<string>();
    children.set(parent, names);
    names.add(path);
  };
  const deleteLayer = (path: string) => {
    layers.delete(path);
    children.get(dirname(path))?.delete(path);
  };
  const records: DryRunRecord[] = [];
  const owned = (owner: Ownership | undefined) => ({ uid: owner?.uid ?? me.uid, gid: owner?.gid ?? me.gid });

  /** The nearest layer at or above `path` decides where it lives: in memory, on `base` (maybe elsewhere), or nowhere. */
  const locate = (path: string): Located => {
    for (let at = path; ; at = dirname(at)) {
      const layer = layers.get(at);
      if (layer) {
        if (at === path) return { layer };
        if (layer.kind === 'base') return { base: layer.backing + path.slice(at.length) };
        return { missing: layer.kind === 'file' ? 'ENOTDIR' : 'ENOENT' };
      }
      if (at === '/') return { base: path };
    }
  };
  const normal = (path: string, syscall: string): string => {
    if (!path.startsWith('/')) fail('EINVAL', syscall, path);
    const clean = posix.normalize(path);
    return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
  };
  const entryAt = (path: string, follow: boolean): Entry | undefined => {
    const found = locate(path);
    if ('missing' in found) {
      if (found.missing === 'ENOTDIR') fail('ENOTDIR', 'lstat', path);
      return undefined;
    }
    if ('base' in found) return follow ? base.followedEntry(found.base) : base.entry(found.base);
    const { layer } = found;
    if (layer.kind === 'absent') return undefined;
    if (layer.kind === 'file')
      return { kind: 'file', mode: layer.mode, uid: layer.uid, gid: layer.gid, size: layer.data.length };
    if (layer.kind === 'directory')
      return { kind: 'directory', mode: layer.mode, uid: layer.uid, gid: layer.gid, size: 0 };
    const below = follow ? base.followedEntry(layer.backing) : base.entry(layer.backing);
    return below && layer.meta ? { ...below, ...layer.meta } : below;
  };
  /** The parent of a path about to be created must be a directory, as the kernel insists. */
  const needParent = (path: string, syscall: string) => {
    const parent = entryAt(dirname(path), true);
    if (!parent) fail('ENOENT', syscall, path);
    if (parent.kind !== 'directory') fail('ENOTDIR', syscall, path);
  };
  const putFile = (path: string, data: string | Uint8Array, mode: number, owner: Ownership | undefined) => {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    setLayer(path, { kind: 'file', data: bytes, mode, ...owned(owner) });
    records.push({ kind: 'write', path });
  };
  const mkdir = (path: string, owner: Ownership | undefined) => {
    setLayer(path, { kind: 'directory', mode: DIR_MODE, ...owned(owner) });
    records.push({ kind: 'mkdir', path });
  };

  const io: DryRunIo = {
    isRoot: base.isRoot,
    records,
    written(path) {
      const layer = layers.get(normal(path, 'open'));
      return layer?.kind === 'file' ? Buffer.from(layer.data) : undefined;
    },
    entry: (path) => entryAt(normal(path, 'lstat'), false),
    followedEntry: (path) => entryAt(normal(path, 'stat'), true),
    read(path) {
      const found = locate(normal(path, 'open'));
      if ('missing' in found) return found.missing === 'ENOTDIR' ? fail('ENOTDIR', 'open', path) : undefined;
      if ('base' in found) return base.read(found.base);
      const { layer } = found;
      if (layer.kind === 'directory') fail('EISDIR', 'read', path);
      if (layer.kind === 'file') return Buffer.from(layer.data);
      return layer.kind === 'base' ? base.read(layer.backing) : undefined;
    },
    list(path) {
      const at = normal(path, 'scandir');
      const info = entryAt(at, true);
      if (!info) fail('ENOENT', 'scandir', path);
      if (info.kind !== 'directory') fail('ENOTDIR', 'scandir', path);
      const found = locate(at);
      const names = new Set<string>();
      if ('base' in found) for (const name of base.list(found.base)) names.add(name);
      else if ('layer' in found && found.layer.kind === 'base')
        for (const name of base.list(found.layer.backing)) names.add(name);
      for (const key of children.get(at) ?? []) {
        const name = key.slice(at === '/' ? 1 : at.length + 1);
        if (layers.get(key)?.kind === 'absent') names.delete(name);
        else names.add(name);
      }
      return [...names].sort();
    },
    writeAtomic(path, data, options = {}) {
      const at = normal(path, 'open');
      needParent(at, 'open');
      const old = entryAt(at, false);
      if (old?.kind === 'directory') fail('EISDIR', 'rename', path);
      let { mode = FILE_MODE, owner } = options;
      if (options.keepExisting && old?.kind === 'file') {
        mode = old.mode;
        if (base.isRoot) owner = { uid: old.uid, gid: old.gid };
      }
      putFile(at, data, mode, owner);
    },
    writeNew(path, data, owner) {
      const at = normal(path, 'open');
      needParent(at, 'open');
      if (entryAt(at, false)) fail('EEXIST', 'open', path);
      putFile(at, data, FILE_MODE, owner);
    },
    makeDirectory(path, owner) {
      const at = normal(path, 'mkdir');
      needParent(at, 'mkdir');
      if (entryAt(at, false)) return false;
      mkdir(at, owner);
      return true;
    },
    makeDirectories(path, owner) {
      const names = normal(path, 'mkdir').split('/').filter(Boolean);
      for (let i = 1; i <= names.length; i++) {
        const prefix = `/${names.slice(0, i).join('/')}`;
        const found = entryAt(prefix, true);
        if (!found) mkdir(prefix, owner);
        else if (found.kind !== 'directory') fail(i === names.length ? 'EEXIST' : 'ENOTDIR', 'mkdir', path);
      }
    },
    move(from, to) {
      const source = normal(from, 'rename');
      const target = normal(to, 'rename');
      const moving = entryAt(source, false);
      if (!moving) fail('ENOENT', 'rename', from);
      needParent(target, 'rename');
      if (target === source) return;
      const old = entryAt(target, false);
      if (moving.kind === 'directory') {
        if (target.startsWith(`${source}/`)) fail('EINVAL', 'rename', to);
        if (old && old.kind !== 'directory') fail('ENOTDIR', 'rename', to);
        if (old && io.list(target).length > 0) fail('ENOTEMPTY', 'rename', to);
      } else if (old?.kind === 'directory') fail('EISDIR', 'rename', to);
      const found = locate(source);
      const layer: Layer = 'layer' in found ? found.layer : { kind: 'base', backing: (found as { base: string }).base };
      // An empty directory replaced by the move: what the run recorded below it goes with it.
      for (const key of [...layers.keys()]) if (key.startsWith(`${target}/`)) deleteLayer(key);
      for (const [key, value] of [...layers]) {
        if (!key.startsWith(`${source}/`)) continue;
        deleteLayer(key);
        setLayer(target + key.slice(source.length), value);
      }
      setLayer(target, layer);
      setLayer(source, { kind: 'absent' });
      records.push({ kind: 'move', from: source, to: target });
    },
    remove(path) {
      const at = normal(path, 'rm');
      const found = entryAt(at, false);
      if (found?.kind === 'directory') fail('EISDIR', 'rm', path);
      if (!found) return;
      setLayer(at, { kind: 'absent' });
      records.push({ kind: 'remove', path: at });
    },
    setModeAndOwner(path, mode, owner) {
      const at = normal(path, 'chmod');
      const found = entryAt(at, false);
      if (!found) fail('ENOENT', 'chmod', path);
      if (found.kind === 'symlink') fail('ELOOP', 'chmod', path);
      const meta = { mode, uid: owner?.uid ?? found.uid, gid: owner?.gid ?? found.gid };
      const where = locate(at);
      if ('layer' in where && where.layer.kind !== 'base' && where.layer.kind !== 'absent')
        setLayer(at, { ...where.layer, ...meta });
      else {
        const backing =
          'layer' in where && where.layer.kind === 'base' ? where.layer.backing : (where as { base: string }).base;
        setLayer(at, { kind: 'base', backing, meta });
      }
      records.push({ kind: 'chmod', path: at, mode, ...(owner ? { owner } : {}) });
    },
    run(program, args): ProgramResult {
      records.push({ kind: 'run', argv: [program, ...args] });
      return { status: 0, signal: null, stdout: '', stderr: '' };
    },
    // Nothing is written, so nothing needs holding off: the lock file is not even created.
    withLock: async (_path, _owner, _timeoutMs, task) => await task(),
  };
  return io;
}
