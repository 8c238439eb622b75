import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCdb } from '../../src/cdb/write.js';
import { parseCdbDump } from '../../src/sandbox/build.js';
import { cdbRecordsFromVpasswdText } from '../../src/formats/vpasswd-cdb.js';
import { EXAMPLE_COM, goldenBytes, goldenFile, removeSandboxes, S08, S09, S10, sandbox } from '../live/golden.js';

afterAll(removeSandboxes);

const cdbDump = (file: string): string => execFileSync('cdb', ['-d', file]).toString('latin1');

describe('parseCdbDump', () => {
  it('reads records by length, NUL bytes included (golden 01 users/cdb)', () => {
    expect(
      parseCdbDump(goldenBytes('01-vadddomain', 'cdb/var/qmail/users/cdb.dump')).map(([k, v]) => [
        k.toString(),
        v.toString(),
      ]),
    ).toEqual([
      ['!aaa.test-', 'aaa.test\u000089\u000089\u0000/home/vpopmail/domains/aaa.test\u0000-\u0000'],
      ['!example.com-', 'example.com\u000089\u000089\u0000/home/vpopmail/domains/example.com\u0000-\u0000'],
      ['!example.org-', 'example.org\u000089\u000089\u0000/home/vpopmail/domains/example.org\u0000-\u0000'],
      ['', '-'],
    ]);
  });

  it('rebuilds the exact golden cdb bytes from its dump (golden 08 vpasswd.cdb)', () => {
    const records = parseCdbDump(goldenBytes(S08, `cdb${EXAMPLE_COM}/vpasswd.cdb.dump`));
    expect(buildCdb(records).equals(goldenBytes(S08, `cdb${EXAMPLE_COM}/vpasswd.cdb`))).toBe(true);
  });
});

describe('buildSandboxFromGolden', () => {
  it('copies files/ with real ":" names, rewritten paths and vpopmail modes (golden 08)', async () => {
    const box = await sandbox(S08);
    expect(box.vpopmailHome).toBe(`${box.root}/home/vpopmail`);
    expect(box.qmailHome).toBe(`${box.root}/var/qmail`);
    const johnDoe = box.path(`${EXAMPLE_COM}/.qmail-john:doe`);
    expect(readFileSync(johnDoe, 'utf8')).toBe('&jd@example.net\n');
    expect(existsSync(box.path(`${EXAMPLE_COM}/.qmail-john%3Adoe`))).toBe(false);
    expect(readFileSync(box.path(`${EXAMPLE_COM}/.qmail-copy`), 'utf8')).toBe(
      `${box.root}/home/vpopmail/domains/example.com/alice/Maildir/\n`,
    );
    expect(readFileSync(box.path(`${EXAMPLE_COM}/vpasswd`), 'utf8')).toBe(
      goldenFile(S08, `${EXAMPLE_COM}/vpasswd`).replaceAll('/home/vpopmail', `${box.root}/home/vpopmail`),
    );
    expect(statSync(johnDoe).mode & 0o777).toBe(0o600);
    expect(statSync(box.path(EXAMPLE_COM)).mode & 0o777).toBe(0o700);
    expect(statSync(box.path('/home/vpopmail')).mode & 0o777).toBe(0o700);
  });

  it('rebuilds vpasswd.cdb from the dump with the same rewrite, so real cdb -d reads the sandbox paths (golden 08)', async () => {
    const box = await sandbox(S08);
    const cdbFile = box.path(`${EXAMPLE_COM}/vpasswd.cdb`);
    const goldenDump = goldenBytes(S08, `cdb${EXAMPLE_COM}/vpasswd.cdb.dump`).toString('latin1');
    const rewritten = goldenDump.replace(
      /^\+(\d+),(\d+):([^-]*)->(.*)$/gm,
      (_line, klen: string, _dlen, key: string, value: string) => {
        const moved = value.replaceAll('/home/vpopmail', `${box.root}/home/vpopmail`);
        return `+${klen},${Buffer.byteLength(moved, 'latin1')}:${key}->${moved}`;
      },
    );
    expect(cdbDump(cdbFile)).toBe(rewritten);
    expect(
      readFileSync(cdbFile).equals(
        buildCdb(cdbRecordsFromVpasswdText(readFileSync(box.path(`${EXAMPLE_COM}/vpasswd`)))),
      ),
    ).toBe(true);
    expect(statSync(cdbFile).mode & 0o777).toBe(0o600);
  });

  it('writes users/assign and users/cdb in qmail-newu form when the scenario recorded none (golden 08)', async () => {
    const box = await sandbox(S08);
    expect(box.assignSynthesized).toBe(true);
    const dir = `${box.root}/home/vpopmail/domains/example.com`;
    expect(readFileSync(box.path('/var/qmail/users/assign'), 'utf8')).toBe(
      `+example.com-:example.com:89:89:${dir}:-::\n.\n`,
    );
    const lookup = execFileSync('cdb', ['-q', box.path('/var/qmail/users/cdb'), '!example.com-']).toString('latin1');
    expect(lookup).toBe(`example.com\u000089\u000089\u0000${dir}\u0000-\u0000`);
  });

  it('keeps a recorded users/assign and rebuilds its users/cdb (golden 01)', async () => {
    const box = await sandbox('01-vadddomain');
    expect(box.assignSynthesized).toBe(false);
    expect(readFileSync(box.path('/var/qmail/users/assign'), 'utf8')).toBe(
      goldenFile('01-vadddomain', '/var/qmail/users/assign').replaceAll('/home/vpopmail', `${box.root}/home/vpopmail`),
    );
    const lookup = execFileSync('cdb', ['-q', box.path('/var/qmail/users/cdb'), '!aaa.test-']).toString('latin1');
    expect(lookup).toBe(`aaa.test\u000089\u000089\u0000${box.root}/home/vpopmail/domains/aaa.test\u0000-\u0000`);
  });

  it('copies tcp.smtp.cdb byte for byte, skips files/tmp, and gives tcp.smtp and its cdb the same mtime (golden 10)', async () => {
    const box = await sandbox(S10);
    expect(
      readFileSync(box.path('/home/vpopmail/etc/tcp.smtp.cdb')).equals(
        goldenBytes(S10, 'cdb/home/vpopmail/etc/tcp.smtp.cdb'),
      ),
    ).toBe(true);
    expect(readFileSync(box.path('/home/vpopmail/etc/open-smtp'), 'utf8')).toBe(
      goldenFile(S10, '/home/vpopmail/etc/open-smtp'),
    );
    expect(existsSync(box.path('/tmp'))).toBe(false);
    expect(statSync(box.path('/home/vpopmail/etc/tcp.smtp.cdb')).mtimeMs).toBe(
      statSync(box.path('/home/vpopmail/etc/tcp.smtp')).mtimeMs,
    );
  });

  it('copies a snapshot instead of the final tree (golden 10, part1-after-tcprules)', async () => {
    const box = await sandbox(S10, 'part1-after-tcprules');
    expect(readFileSync(box.path('/home/vpopmail/etc/tcp.smtp'), 'utf8')).toBe(
      '127.:allow,RELAYCLIENT=""\n192.168.1.:allow,RELAYCLIENT=""\n10.0.0.5:allow,RELAYCLIENT=""\n:allow\n',
    );
    expect(
      readFileSync(box.path('/home/vpopmail/etc/tcp.smtp.cdb')).equals(
        goldenBytes(S10, 'snapshots/part1-after-tcprules/home/vpopmail/etc/tcp.smtp.cdb'),
      ),
    ).toBe(true);
    expect(existsSync(box.path('/home/vpopmail/etc/tcp.smtp.cdb.dump'))).toBe(false);
    expect(existsSync(box.path('/home/vpopmail/etc/open-smtp'))).toBe(false);
  });

  it('rebuilds an empty users/cdb exactly as qmail-newu left it (golden 09)', async () => {
    const box = await sandbox(S09);
    expect(readFileSync(box.path('/var/qmail/users/cdb')).equals(goldenBytes(S09, 'cdb/var/qmail/users/cdb'))).toBe(
      true,
    );
  });
});
