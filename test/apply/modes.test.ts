import { lstatSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { HASH_SECRET6 } from '../support/builders.js';
import { mailstate } from '../support/cli.js';
import { installEmulator } from '../emulator/install.js';
import { EXAMPLE_SANDBOX, server, treeFingerprint } from '../support/harness.js';

/** qmail's and tcprules' files: mailstate keeps their existing mode, as their own tools set it. */
const NOT_VPOPMAILS = /^(var\/qmail\/|home\/vpopmail\/etc\/tcp\.smtp)/;

/**
 * A busy apply as root through the CLI, with each driver: every file and directory it created
 * or replaced below ~vpopmail has vpopmail's mode (0600 / 0700) and the domain's owner from
 * users/assign, vpasswd included (vmoduser -n leaves it 0644 root on a real server).
 */
describe.each(['files', 'vpopmail'])('modes and owners after an apply as root (%s driver)', (driver) => {
  it('0600 files, 0700 directories, owned by the domain', async () => {
    expect(process.getuid?.()).toBe(0);
    const srv = await server(EXAMPLE_SANDBOX);
    if (driver === 'vpopmail') installEmulator(srv.vpopmailHome, srv.qmailHome);
    const dir = mkdtempSync(join(tmpdir(), 'mailstate-modes-'));
    const homes = ['--vpopmail-home', srv.vpopmailHome, '--qmail-home', srv.qmailHome];
    const file = join(dir, 'mailstate.yaml');
    expect(mailstate(['import', '-o', file, ...homes]).code).toBe(0);
    const doc = parseDocument(readFileSync(file, 'utf8'));
    doc.deleteIn(['domains', 'example.com', 'users', 'bob']);
    doc.setIn(['domains', 'example.com', 'users', 'alice', 'flags'], doc.createNode(['no_pop']));
    doc.setIn(['domains', 'example.com', 'users', 'alice', 'comment'], 'Alice Changed');
    doc.setIn(['domains', 'example.com', 'users', 'alice', 'quota'], '20M');
    doc.setIn(
      ['domains', 'example.com', 'users', 'carol'],
      doc.createNode({ password: HASH_SECRET6, forward: { to: ['c@example.net'], keepCopy: true } }),
    );
    doc.setIn(['domains', 'example.com', 'aliases', 'sales'], doc.createNode(['carol@example.com']));
    doc.setIn(
      ['domains', 'modes.test'],
      doc.createNode({ users: { postmaster: { password: HASH_SECRET6 }, dora: { password: HASH_SECRET6 } } }),
    );
    doc.setIn(['relay'], doc.createNode(['127.', '10.7.']));
    writeFileSync(file, doc.toString());
    const assignBefore = readFileSync(join(srv.qmailHome, 'users/assign'), 'utf8');
    const [, uid, gid] = /^\+example\.com-:example\.com:(\d+):(\d+):/m.exec(assignBefore)!;

    const before = treeFingerprint(srv.root);
    const applied = mailstate(['apply', '--yes', '--force', '--driver', driver, '-f', file, ...homes]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(mailstate(['plan', '--detailed-exitcode', '-f', file, ...homes]).code).toBe(0);

    // Created or replaced by the apply: an inode that was not in the tree before. Renamed entries
    // (archived mailboxes) and directories whose mtime moved keep the owner they had.
    const inodesBefore = new Set([...before.values()].map((print) => print.split(' ')[1]));
    const touched = [...treeFingerprint(srv.root)]
      .filter(([, print]) => !inodesBefore.has(print.split(' ')[1]))
      .map(([path]) => path);
    const wrong: string[] = [];
    for (const path of touched) {
      const rel = relative(srv.root, path);
      if (NOT_VPOPMAILS.test(rel) || rel.startsWith('home/vpopmail/etc/emulator')) continue;
      const info = lstatSync(path);
      const mode = (info.mode & 0o7777).toString(8);
      const expected = info.isDirectory() ? '700' : '600';
      if (mode !== expected || String(info.uid) !== uid || String(info.gid) !== gid)
        wrong.push(`${rel}: ${mode} ${info.uid}:${info.gid}`);
    }
    expect(touched.length).toBeGreaterThan(20);
    expect(wrong).toEqual([]);
    // A new user's forward that keeps a copy points at the mailbox the driver made.
    expect(readFileSync(join(srv.vpopmailHome, 'domains/example.com/.qmail-carol'), 'utf8')).toBe(
      `&c@example.net\n${srv.vpopmailHome}/domains/example.com/carol/Maildir/\n`,
    );
    for (const domain of ['example.com', 'modes.test']) {
      const vpasswd = lstatSync(join(srv.vpopmailHome, 'domains', domain, 'vpasswd'));
      expect(`${(vpasswd.mode & 0o777).toString(8)} ${vpasswd.uid}:${vpasswd.gid}`).toBe(`600 ${uid}:${gid}`);
    }
  });
});
