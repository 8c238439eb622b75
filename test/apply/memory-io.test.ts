import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { withFaults } from '../../src/apply/fault-io.js';
import { filesDriver } from '../../src/apply/files-driver.js';
import { guardedIo } from '../../src/apply/guarded-io.js';
import { readText, type ApplyIo } from '../../src/apply/io.js';
import { UnsafePathError } from '../../src/apply/tree-guard.js';
import { ApplyStepError } from '../../src/apply/types.js';
import { nodeIo, serverIo } from '../../src/io/node-io.js';
import type { Plan } from '../../src/model/change.js';
import type { LiveState } from '../../src/model/state.js';
import { loadFromDisk, memoryIo, snapshotTree, type MemoryIo, type TreeRecord } from '../support/memory-io.js';
import {
  EXAMPLE_SANDBOX,
  applyEnvironment,
  busyDesired,
  live,
  planOf,
  server,
  type TestServer,
} from '../support/harness.js';

const D = 'example.com';
/** Whether the disk port keeps owners: the memory one must be told the same. */
const IS_ROOT = nodeIo().isRoot;

/** A sandbox's whole tree with its root taken out of paths and contents (vpasswd dirs, .qmail lines, cdbs). */
function normalized(records: TreeRecord[], root: string): TreeRecord[] {
  return records.map((record) =>
    record.content === undefined ? record : { ...record, content: record.content.replaceAll(root, '<root>') },
  );
}

function codeOf(task: () => unknown): string | undefined {
  try {
    task();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return (error as NodeJS.ErrnoException).code;
  }
  return 'no error';
}

/** A memory port holding a copy of a sandbox, at its own paths. */
function memoryOf(srv: TestServer): MemoryIo {
  const io = memoryIo({ isRoot: IS_ROOT });
  loadFromDisk(io, srv.root);
  return io;
}

describe('the busy apply over memoryIo and over the disk', () => {
  let disk: TestServer;
  let inMemory: TestServer;
  let memory: MemoryIo;
  let memoryState: LiveState;
  let memoryPlan: Plan;

  beforeAll(async () => {
    disk = await server(EXAMPLE_SANDBOX);
    inMemory = await server(EXAMPLE_SANDBOX);
    const diskState = await live(disk);
    const diskPlan = planOf(busyDesired(diskState), diskState);
    memoryState = await live(inMemory);
    memoryPlan = planOf(busyDesired(memoryState), memoryState);
    // The same plan, but for the sandbox's paths: the two applies start equal.
    expect(JSON.stringify(memoryPlan).replaceAll(inMemory.root, '<root>')).toBe(
      JSON.stringify(diskPlan).replaceAll(disk.root, '<root>'),
    );
    memory = memoryOf(inMemory);
    await applyPlan(diskPlan, filesDriver, applyEnvironment(diskState, serverIo({ vpopmailHome: disk.vpopmailHome })));
    // As serverIo: the tree guard in front of the port.
    await applyPlan(
      memoryPlan,
      filesDriver,
      applyEnvironment(memoryState, guardedIo(memory, memoryState.vpopmailHome)),
    );
  });

  it('leaves exactly the tree the disk apply leaves: paths, kinds, modes, owners, sizes, bytes', () => {
    // mkdtemp names are all as long: the roots inside the cdbs' values do not shift any offset.
    expect(inMemory.root.length).toBe(disk.root.length);
    const onDisk = normalized(snapshotTree(nodeIo(), disk.root), disk.root);
    const held = normalized(snapshotTree(memory, inMemory.root), inMemory.root);
    expect(held).toEqual(onDisk);
    // It did something: carol's mailbox, bob's archived one, the lock vpopmail's tools share.
    const paths = held.map((record) => record.path);
    expect(paths).toContain(`/home/vpopmail/domains/${D}/carol/Maildir/new`);
    expect(paths).toContain(`/home/vpopmail/archive/${D}/bob-20261125T120000Z/Maildir/new/1795637629.31294.vm,S=129`);
    expect(paths).toContain(`/home/vpopmail/domains/${D}/.vpasswd.lock`);
    expect(paths).not.toContain(`/home/vpopmail/domains/${D}/bob`);
    expect(paths.filter((path) => path.endsWith('.mailstate.tmp'))).toEqual([]);
  });

  it('has vpasswd with carol and dave and without bob, and an empty plan writes nothing', async () => {
    const vpasswd = readText(memory, `${inMemory.vpopmailHome}/domains/${D}/vpasswd`);
    const names = vpasswd
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(':')[0]);
    expect(names).toEqual(expect.arrayContaining(['alice', 'carol', 'dave', 'postmaster']));
    expect(names).not.toContain('bob');
    expect(vpasswd).toContain(`:carol:${inMemory.vpopmailHome}/domains/${D}/carol:2048S`);

    const before = snapshotTree(memory, '/');
    const points: string[] = [];
    const io = withFaults(memory, (point) => void points.push(point));
    await applyPlan({ ...memoryPlan, changes: [] }, filesDriver, applyEnvironment(memoryState, io));
    expect(points).toEqual([]);
    expect(snapshotTree(memory, '/')).toEqual(before);
  });
});

describe('memoryIo, as io.ts defines the port', () => {
  function scratch(): MemoryIo {
    const io = memoryIo();
    io.makeDirectories('/srv/d');
    return io;
  }

  it('writeAtomic replaces a link standing at the path instead of writing through it', () => {
    const io = scratch();
    io.writeAtomic('/srv/target', 'old');
    io.symlink('/srv/target', '/srv/d/link');
    expect(io.entry('/srv/d/link')?.kind).toBe('symlink');
    expect(io.followedEntry('/srv/d/link')?.kind).toBe('file');
    io.writeAtomic('/srv/d/link', 'new', { mode: 0o640 });
    expect(io.entry('/srv/d/link')).toMatchObject({ kind: 'file', mode: 0o640, size: 3 });
    expect(io.read('/srv/d/link')?.toString()).toBe('new');
    expect(io.read('/srv/target')?.toString()).toBe('old');
  });

  it('writeAtomic: 0600 by default, keepExisting keeps the mode, the parent must exist', () => {
    const io = scratch();
    io.writeAtomic('/srv/f', 'a');
    expect(io.entry('/srv/f')?.mode).toBe(0o600);
    io.setModeAndOwner('/srv/f', 0o644);
    io.writeAtomic('/srv/f', 'b', { mode: 0o600, keepExisting: true });
    expect(io.entry('/srv/f')?.mode).toBe(0o644);
    io.writeAtomic('/srv/f', 'c', { owner: { uid: 89, gid: 90 } });
    expect(io.entry('/srv/f')).toMatchObject({ mode: 0o600, uid: 89, gid: 90 });
    // The owner of the file replaced is kept only as root.
    for (const isRoot of [true, false]) {
      const port = memoryIo({ isRoot, uid: 0, gid: 0 });
      port.writeAtomic('/qmail-file', 'a', { mode: 0o644, owner: { uid: 89, gid: 90 } });
      port.writeAtomic('/qmail-file', 'b', { keepExisting: true });
      expect(port.entry('/qmail-file')).toMatchObject({ mode: 0o644, uid: isRoot ? 89 : 0, gid: isRoot ? 90 : 0 });
    }
    expect(codeOf(() => io.writeAtomic('/srv/missing/f', 'x'))).toBe('ENOENT');
    expect(codeOf(() => io.writeAtomic('/srv/f/g', 'x'))).toBe('ENOTDIR');
    expect(codeOf(() => io.writeAtomic('/srv/d', 'x'))).toBe('EISDIR');
  });

  it('writeNew refuses anything at the path, a dangling link too, with EEXIST', () => {
    const io = scratch();
    io.writeNew('/srv/d/n', 'first');
    expect(codeOf(() => io.writeNew('/srv/d/n', 'second'))).toBe('EEXIST');
    expect(io.read('/srv/d/n')?.toString()).toBe('first');
    io.symlink('/srv/nowhere', '/srv/d/planted');
    expect(codeOf(() => io.writeNew('/srv/d/planted', 'x'))).toBe('EEXIST');
    expect(io.entry('/srv/nowhere')).toBeUndefined();
    expect(codeOf(() => io.writeNew('/srv/d', 'x'))).toBe('EEXIST');
  });

  it('makeDirectory is false on anything existing and throws ENOENT without a parent; makeDirectories is mkdir -p', () => {
    const io = scratch();
    expect(io.makeDirectory('/srv/d')).toBe(false);
    io.writeAtomic('/srv/f', '');
    expect(io.makeDirectory('/srv/f')).toBe(false);
    io.symlink('/srv/nowhere', '/srv/l');
    expect(io.makeDirectory('/srv/l')).toBe(false);
    expect(codeOf(() => io.makeDirectory('/srv/x/y'))).toBe('ENOENT');
    expect(io.makeDirectory('/srv/new', { uid: 89, gid: 89 })).toBe(true);
    expect(io.entry('/srv/new')).toMatchObject({ kind: 'directory', mode: 0o700, uid: 89, gid: 89 });
    io.makeDirectories('/srv/a/b/c', { uid: 7, gid: 8 });
    for (const dir of ['/srv/a', '/srv/a/b', '/srv/a/b/c'])
      expect(io.entry(dir)).toMatchObject({ kind: 'directory', mode: 0o700, uid: 7, gid: 8 });
    expect(io.entry('/srv')?.uid).toBe(process.getuid?.() ?? 0);
    expect(codeOf(() => io.makeDirectories('/srv/f/x'))).toBe('ENOTDIR');
    expect(codeOf(() => io.makeDirectories('/srv/f'))).toBe('EEXIST');
  });

  it('move is rename: a directory carries its subtree, a non-empty directory is not replaced', () => {
    const io = scratch();
    io.makeDirectories('/srv/a/b');
    io.writeAtomic('/srv/a/b/c.txt', 'mail');
    io.symlink('c.txt', '/srv/a/b/rel');
    io.move('/srv/a', '/srv/d/z');
    expect(io.entry('/srv/a')).toBeUndefined();
    expect(io.list('/srv/d/z/b')).toEqual(['c.txt', 'rel']);
    expect(io.read('/srv/d/z/b/c.txt')?.toString()).toBe('mail');
    expect(io.read('/srv/d/z/b/rel')?.toString()).toBe('mail');
    io.makeDirectories('/srv/full/x');
    expect(codeOf(() => io.move('/srv/d/z', '/srv/full'))).toBe('ENOTEMPTY');
    expect(codeOf(() => io.move('/srv/d/z', '/srv/d/z/b/inside'))).toBe('EINVAL');
    expect(codeOf(() => io.move('/srv/d/z/b/c.txt', '/srv/full'))).toBe('EISDIR');
    expect(codeOf(() => io.move('/srv/nothing', '/srv/other'))).toBe('ENOENT');
    io.makeDirectory('/srv/empty');
    io.move('/srv/d/z', '/srv/empty');
    expect(io.list('/srv/empty')).toEqual(['b']);
  });

  it('read, list and remove: undefined for a missing file, fs errors otherwise, links in parents followed', () => {
    const io = scratch();
    expect(io.read('/srv/none')).toBeUndefined();
    expect(io.read('/srv/none/deeper')).toBeUndefined();
    expect(codeOf(() => io.read('/srv/d'))).toBe('EISDIR');
    expect(codeOf(() => io.list('/srv/none'))).toBe('ENOENT');
    io.writeAtomic('/srv/f', 'x');
    expect(codeOf(() => io.list('/srv/f'))).toBe('ENOTDIR');
    expect(codeOf(() => io.entry('/srv/f/x'))).toBe('ENOTDIR');
    io.symlink('d', '/srv/via');
    io.writeAtomic('/srv/via/through', 'y');
    expect(io.list('/srv/d')).toEqual(['through']);
    expect(io.entry('/srv/via/through')?.kind).toBe('file');
    io.symlink('/srv/loop', '/srv/loop');
    expect(codeOf(() => io.entry('/srv/loop/x'))).toBe('ELOOP');
    io.remove('/srv/via');
    expect(io.entry('/srv/via')).toBeUndefined();
    expect(io.read('/srv/d/through')?.toString()).toBe('y');
    io.remove('/srv/none');
    expect(codeOf(() => io.remove('/srv/d'))).toBe('EISDIR');
  });

  it('run dispatches to the programs given, and an unknown program never runs', () => {
    const seen: string[] = [];
    const io = memoryIo({
      programs: {
        tcprules: (args, input, port) => {
          seen.push(`${args.join(' ')} <${input}`);
          port.writeAtomic(args[0]!, 'cdb');
          return { status: 0, signal: null, stdout: '', stderr: '' };
        },
      },
    });
    expect(io.run('/usr/bin/tcprules', ['/rules.cdb', '/rules.tmp'], { input: '127.:allow' }).status).toBe(0);
    expect(seen).toEqual(['/rules.cdb /rules.tmp <127.:allow']);
    expect(io.read('/rules.cdb')?.toString()).toBe('cdb');
    const missing = io.run('/var/qmail/bin/qmail-newu', []);
    expect(missing.status).toBeNull();
    expect((missing.error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});

describe('the tree guard over memoryIo', () => {
  it('refuses a write below a domain directory that is a link, and nothing appears at its target', () => {
    const home = '/home/vpopmail';
    const io = memoryIo();
    io.makeDirectories(`${home}/domains`);
    io.makeDirectories('/etc/elsewhere');
    io.symlink('/etc/elsewhere', `${home}/domains/${D}`);
    const guarded = guardedIo(io, home);
    expect(() => guarded.writeAtomic(`${home}/domains/${D}/vpasswd`, 'root::0:0::/:NOQUOTA\n')).toThrow(
      UnsafePathError,
    );
    expect(() => guarded.makeDirectories(`${home}/domains/${D}/bob/Maildir`)).toThrow(UnsafePathError);
    expect(io.list('/etc/elsewhere')).toEqual([]);
    // Without the guard the port follows the link, as the kernel would: the guard is what refuses.
    io.writeAtomic(`${home}/domains/${D}/vpasswd`, 'x');
    expect(io.list('/etc/elsewhere')).toEqual(['vpasswd']);
  });

  it('keeps checking below a domain directory it has already verified: a Maildir swapped mid-apply is refused', () => {
    const home = '/home/vpopmail';
    const io = memoryIo();
    io.makeDirectories(`${home}/domains/${D}/bob/Maildir`);
    io.makeDirectories('/etc/elsewhere');
    const guarded = guardedIo(io, home);
    // The first write verifies (and remembers) the domain's chain of directories.
    guarded.writeAtomic(`${home}/domains/${D}/bob/Maildir/maildirsize`, '1000S\n0 0\n');
    io.remove(`${home}/domains/${D}/bob/Maildir/maildirsize`);
    io.move(`${home}/domains/${D}/bob/Maildir`, '/tmp-maildir');
    io.symlink('/etc/elsewhere', `${home}/domains/${D}/bob/Maildir`);
    expect(() => guarded.writeAtomic(`${home}/domains/${D}/bob/Maildir/maildirsize`, 'x')).toThrow(UnsafePathError);
    expect(() => guarded.remove(`${home}/domains/${D}/bob/Maildir/maildirsize`)).toThrow(UnsafePathError);
    expect(io.list('/etc/elsewhere')).toEqual([]);
  });
});

/** Maildir name -> bytes of every message in `cur`/`new` of the Maildirs of `dirs`. */
function messagesOf(io: ApplyIo, dirs: Iterable<string>): Map<string, string> {
  const found = new Map<string, string>();
  for (const dir of dirs)
    for (const record of snapshotTree(io, `${dir}/Maildir`))
      if (record.kind === 'file' && /^\/(cur|new)\/[^/]+$/.test(record.path))
        found.set(record.path.slice(record.path.lastIndexOf('/') + 1), record.content!);
  return found;
}

/** Messages in the Maildir of a user some vpasswd (as the port reads it now) lists, or anywhere in the archive. */
function reachableMessages(io: ApplyIo, state: LiveState): Map<string, string> {
  const dirs: string[] = [];
  for (const domain of state.domains.values())
    for (const line of readText(io, `${domain.dir}/vpasswd`).split('\n'))
      if (line.split(':').length >= 7) dirs.push(line.split(':')[5]!);
  const found = messagesOf(io, dirs);
  for (const record of snapshotTree(io, `${state.vpopmailHome}/archive`))
    if (record.kind === 'file' && /\/(cur|new)\/[^/]+$/.test(record.path))
      found.set(record.path.slice(record.path.lastIndexOf('/') + 1), record.content!);
  return found;
}

describe('a fault at every point of the busy apply, in memory', () => {
  it('fails the step with ApplyStepError and never loses a message', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const state = await live(srv);
    const plan = planOf(busyDesired(state), state);
    const base = memoryOf(srv);
    // Mail in the mailbox that is deleted, and more in one that stays: the archive move must carry it.
    const domainDir = state.domains.get(D)!.dir;
    for (const user of ['bob', 'alice']) base.makeDirectories(`${domainDir}/${user}/Maildir/cur`);
    base.writeNew(`${domainDir}/bob/Maildir/cur/1795637700.1.vm,S=9:2,S`, 'for bob 1');
    base.writeNew(`${domainDir}/bob/Maildir/new/1795637700.2.vm,S=9`, 'for bob 2');
    base.writeNew(`${domainDir}/alice/Maildir/cur/1795637700.3.vm,S=11:2,`, 'for alice 3');
    const before = messagesOf(
      base,
      [...state.domains.values()].flatMap((domain) => [...domain.users.values()].map((user) => user.dir)),
    );
    expect(before.size).toBeGreaterThanOrEqual(5);

    const faultedApply = (fault: (point: string) => void) => {
      const io = memoryIo({ isRoot: IS_ROOT, tree: base.tree });
      const port = withFaults(guardedIo(io, state.vpopmailHome), fault);
      return { io, done: applyPlan(plan, filesDriver, applyEnvironment(state, port)) };
    };
    const points: string[] = [];
    const probe = faultedApply((point) => void points.push(point));
    await probe.done;
    expect(points.length).toBeGreaterThanOrEqual(13);
    expect(points).toContain(`move ${domainDir}/bob`);
    expect(reachableMessages(probe.io, state)).toEqual(before);

    const started = performance.now();
    for (let k = 1; k <= points.length; k++) {
      let reached = 0;
      const run = faultedApply((point) => {
        if (++reached === k) throw Object.assign(new Error(`injected at ${point}`), { code: 'EIO' });
      });
      await expect(run.done, `fault ${k} (${points[k - 1]})`).rejects.toBeInstanceOf(ApplyStepError);
      expect(reached, `fault ${k}: the apply went on after it`).toBe(k);
      const after = reachableMessages(run.io, state);
      const lost = [...before].filter(([name, body]) => after.get(name) !== body).map(([name]) => name);
      expect(lost, `messages lost after fault ${k} (${points[k - 1]})`).toEqual([]);
    }
    console.info(`memory-io: ${points.length} fault points swept in ${(performance.now() - started).toFixed(0)} ms`);
  });
});
