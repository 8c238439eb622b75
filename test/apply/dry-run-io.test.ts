import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { dryRunIo, type DryRunIo } from '../../src/apply/dry-run-io.js';
import { filesDriver } from '../../src/apply/files-driver.js';
import { guardedIo } from '../../src/apply/guarded-io.js';
import { nodeIo, serverIo } from '../../src/io/node-io.js';
import { snapshotTree, type TreeRecord } from '../support/memory-io.js';
import {
  BUSY_RELAY,
  EXAMPLE_SANDBOX,
  applyEnvironment,
  busyDesired,
  live,
  planOf,
  server,
  treeFingerprint,
  type TestServer,
} from '../support/harness.js';

const ME = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

function normalized(records: TreeRecord[], root: string): TreeRecord[] {
  return records.map((record) =>
    record.content === undefined ? record : { ...record, content: record.content.replaceAll(root, '<root>') },
  );
}

function codeOf(task: () => unknown): string | undefined {
  try {
    task();
  } catch (error) {
    return (error as NodeJS.ErrnoException).code;
  }
  return 'no error';
}

/** A small real tree: /d/a (file), /d/sub/m1, /d/sub/m2. */
function scratch(): { root: string; io: DryRunIo } {
  const root = mkdtempSync(join(tmpdir(), 'mailstate-dryrun-'));
  mkdirSync(join(root, 'd/sub'), { recursive: true });
  writeFileSync(join(root, 'd/a'), 'disk a\n');
  writeFileSync(join(root, 'd/sub/m1'), 'one');
  writeFileSync(join(root, 'd/sub/m2'), 'two');
  return { root, io: dryRunIo(nodeIo(), ME) };
}

describe('dryRunIo: reads fall through to the disk, changes stay in memory', () => {
  it('writes, creates, moves and removes are seen through the port and never reach the disk', () => {
    const { root, io } = scratch();
    const before = treeFingerprint(root);
    const d = join(root, 'd');

    io.writeAtomic(`${d}/a`, 'new a\n', { mode: 0o644 });
    io.writeNew(`${d}/b`, 'b');
    expect(io.makeDirectory(`${d}/new`)).toBe(true);
    expect(io.makeDirectory(`${d}/new`)).toBe(false);
    io.makeDirectories(`${d}/new/x/y`);
    io.writeNew(`${d}/new/x/y/f`, 'deep');
    io.move(`${d}/sub`, `${d}/new/moved`);
    io.remove(`${d}/b`);

    expect(io.read(`${d}/a`)?.toString()).toBe('new a\n');
    expect(io.entry(`${d}/a`)).toMatchObject({ kind: 'file', mode: 0o644, size: 6 });
    expect(io.read(`${d}/b`)).toBeUndefined();
    expect(io.list(d)).toEqual(['a', 'new']);
    // The moved directory keeps what it holds on the disk.
    expect(io.list(`${d}/new`)).toEqual(['moved', 'x']);
    expect(io.list(`${d}/new/moved`)).toEqual(['m1', 'm2']);
    expect(io.read(`${d}/new/moved/m2`)?.toString()).toBe('two');
    expect(io.entry(`${d}/sub`)).toBeUndefined();
    expect(io.entry(`${d}/sub/m1`)).toBeUndefined();
    expect(io.read(`${d}/new/x/y/f`)?.toString()).toBe('deep');
    expect(io.written(`${d}/a`)?.toString()).toBe('new a\n');
    expect(io.written(`${d}/b`)).toBeUndefined();

    expect(io.records).toEqual([
      { kind: 'write', path: `${d}/a` },
      { kind: 'write', path: `${d}/b` },
      { kind: 'mkdir', path: `${d}/new` },
      { kind: 'mkdir', path: `${d}/new/x` },
      { kind: 'mkdir', path: `${d}/new/x/y` },
      { kind: 'write', path: `${d}/new/x/y/f` },
      { kind: 'move', from: `${d}/sub`, to: `${d}/new/moved` },
      { kind: 'remove', path: `${d}/b` },
    ]);
    expect(treeFingerprint(root)).toEqual(before);
  });

  it("fails as the kernel does, so the drivers' own error handling is exercised", () => {
    const { root, io } = scratch();
    const d = join(root, 'd');
    expect(codeOf(() => io.makeDirectory(`${d}/missing/x`))).toBe('ENOENT');
    expect(codeOf(() => io.writeNew(`${d}/a`, 'x'))).toBe('EEXIST');
    expect(codeOf(() => io.writeAtomic(`${d}/a/b`, 'x'))).toBe('ENOTDIR');
    expect(codeOf(() => io.writeAtomic(`${d}/sub`, 'x'))).toBe('EISDIR');
    expect(codeOf(() => io.remove(`${d}/sub`))).toBe('EISDIR');
    expect(codeOf(() => io.move(`${d}/gone`, `${d}/x`))).toBe('ENOENT');
    expect(codeOf(() => io.move(`${d}/sub`, `${d}/sub/inner`))).toBe('EINVAL');
    expect(codeOf(() => io.list(`${d}/a`))).toBe('ENOTDIR');
    io.makeDirectory(`${d}/empty`);
    io.move(`${d}/sub`, `${d}/empty`);
    expect(io.list(`${d}/empty`)).toEqual(['m1', 'm2']);
    io.remove(`${d}/a`);
    expect(codeOf(() => io.list(`${d}/a`))).toBe('ENOENT');
    expect(io.records.map((r) => r.kind)).toEqual(['mkdir', 'move', 'remove']);
  });

  it('runs no program and takes no lock: both succeed without touching anything', async () => {
    const { root, io } = scratch();
    const before = treeFingerprint(root);
    expect(io.run('/nonexistent/tcprules', ['x.cdb', 'x.tmp'], { input: '127.:allow\n' })).toEqual({
      status: 0,
      signal: null,
      stdout: '',
      stderr: '',
    });
    expect(await io.withLock(join(root, 'd/.vpasswd.lock'), undefined, 10, () => 42)).toBe(42);
    io.setModeAndOwner(join(root, 'd/a'), 0o640);
    expect(io.entry(join(root, 'd/a'))?.mode).toBe(0o640);
    expect(io.read(join(root, 'd/a'))?.toString()).toBe('disk a\n');
    expect(io.records).toEqual([
      { kind: 'run', argv: ['/nonexistent/tcprules', 'x.cdb', 'x.tmp'] },
      { kind: 'chmod', path: join(root, 'd/a'), mode: 0o640 },
    ]);
    expect(treeFingerprint(root)).toEqual(before);
  });
});

describe('the busy apply over dryRunIo', () => {
  let disk: TestServer;
  let dry: TestServer;
  let overlay: DryRunIo;
  let untouched: Map<string, string>;

  beforeAll(async () => {
    disk = await server(EXAMPLE_SANDBOX);
    dry = await server(EXAMPLE_SANDBOX);
    untouched = treeFingerprint(dry.root);
    const diskState = await live(disk);
    const dryState = await live(dry);
    await applyPlan(
      planOf(busyDesired(diskState), diskState),
      filesDriver,
      applyEnvironment(diskState, serverIo({ vpopmailHome: disk.vpopmailHome })),
    );
    overlay = dryRunIo(nodeIo(), ME);
    await applyPlan(
      planOf(busyDesired(dryState), dryState),
      filesDriver,
      applyEnvironment(dryState, guardedIo(overlay, dryState.vpopmailHome)),
    );
  });

  it('shows through the port exactly the tree the real apply leaves on disk (but the lock file)', () => {
    expect(dry.root.length).toBe(disk.root.length);
    const lock = '/home/vpopmail/domains/example.com/.vpasswd.lock';
    const onDisk = normalized(snapshotTree(nodeIo(), disk.root), disk.root).filter((r) => r.path !== lock);
    const seen = normalized(snapshotTree(overlay, dry.root), dry.root);
    expect(seen).toEqual(onDisk);
    expect(seen.map((r) => r.path)).toContain('/home/vpopmail/archive/example.com/bob-20261125T120000Z/Maildir/new');
  });

  it('left the disk exactly as it was', () => {
    expect(treeFingerprint(dry.root)).toEqual(untouched);
  });

  it('with relay rules too: tcprules is recorded, not run', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const before = treeFingerprint(srv.root);
    const state = await live(srv);
    const io = dryRunIo(nodeIo(), ME);
    await applyPlan(
      planOf(busyDesired(state, BUSY_RELAY), state),
      filesDriver,
      applyEnvironment(state, guardedIo(io, state.vpopmailHome)),
    );
    const etc = `${srv.vpopmailHome}/etc`;
    expect(io.records).toContainEqual({
      kind: 'run',
      argv: ['tcprules', `${etc}/tcp.smtp.cdb`, `${etc}/tcp.smtp.tmp`],
    });
    expect(io.written(`${etc}/tcp.smtp`)?.toString()).toBe(
      '127.:allow,RELAYCLIENT=""\n10.1.2.:allow,RELAYCLIENT=""\n:allow\n',
    );
    expect(treeFingerprint(srv.root)).toEqual(before);
  });
});
