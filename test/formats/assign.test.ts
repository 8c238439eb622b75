import { describe, expect, it } from 'vitest';
import { parseAssign } from '../../src/formats/assign.js';
import { goldenFile, goldenText, S09, S16, sessionStep } from '../live/golden.js';

const FILE = '/var/qmail/users/assign';

/** users/assign as `cat` printed it in a scenario-09 step (the part before `--- control/rcpthosts:`). */
function assignFromStep(step: number): string {
  const stdout = sessionStep(S09, step).stdout;
  const start = stdout.indexOf('--- users/assign:\n') + '--- users/assign:\n'.length;
  return stdout.slice(start, stdout.indexOf('--- control/rcpthosts:'));
}

describe('parseAssign', () => {
  it('reads the three domains vadddomain wrote (golden 01)', () => {
    const parsed = parseAssign(goldenFile('01-vadddomain', FILE), FILE);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.entries).toEqual([
      {
        domain: 'aaa.test',
        realDomain: 'aaa.test',
        uid: 89,
        gid: 89,
        dir: '/home/vpopmail/domains/aaa.test',
        line: 1,
        usersCdbValue: 'aaa.test\x0089\x0089\x00/home/vpopmail/domains/aaa.test\x00-\x00',
      },
      {
        domain: 'example.com',
        realDomain: 'example.com',
        uid: 89,
        gid: 89,
        dir: '/home/vpopmail/domains/example.com',
        line: 2,
        usersCdbValue: 'example.com\x0089\x0089\x00/home/vpopmail/domains/example.com\x00-\x00',
      },
      {
        domain: 'example.org',
        realDomain: 'example.org',
        uid: 89,
        gid: 89,
        dir: '/home/vpopmail/domains/example.org',
        line: 3,
        usersCdbValue: 'example.org\x0089\x0089\x00/home/vpopmail/domains/example.org\x00-\x00',
      },
    ]);
  });

  it('keeps the uid, gid and directory of vadddomain -u/-i/-g/-d (golden 14)', () => {
    const parsed = parseAssign(goldenFile('14-vadddomain-options-catchall', FILE), FILE);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.entries).toHaveLength(16);
    const byName = new Map(parsed.entries.map((e) => [e.domain, e]));
    expect(byName.get('altdir.test')).toMatchObject({
      dir: '/tmp/altbase/domains/altdir.test',
      uid: 89,
      gid: 89,
      line: 1,
    });
    expect(byName.get('owner1.test')).toMatchObject({
      dir: '/var/qmail/alias/domains/owner1.test',
      uid: 1001,
      gid: 1001,
      line: 10,
    });
    expect(byName.get('owner2.test')).toMatchObject({ uid: 1234, gid: 2345, line: 11 });
  });

  it('recognises alias domains: the user field names the real domain (golden 09, step 22)', () => {
    const parsed = parseAssign(assignFromStep(22), FILE);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.entries.map((e) => [e.domain, e.realDomain, e.dir, e.line])).toEqual([
      ['alias-of-alias.test', 'example.com', '/home/vpopmail/domains/example.com', 1],
      ['example.com', 'example.com', '/home/vpopmail/domains/example.com', 2],
      ['example.net', 'example.com', '/home/vpopmail/domains/example.com', 3],
      ['example.org', 'example.com', '/home/vpopmail/domains/example.com', 4],
      ['other.test', 'other.test', '/home/vpopmail/domains/other.test', 5],
    ]);
  });

  it('reads an assign with no domains (only the "." line) without complaint (golden 09 final)', () => {
    expect(parseAssign(goldenFile(S09, FILE), FILE)).toEqual({ entries: [], diagnostics: [] });
  });

  it('reports the line vadddomain cut at 299 characters and the empty line after it (golden 16)', () => {
    const parsed = parseAssign(goldenText(S16, 'files/tmp/golden-assign-broken'), FILE);
    expect(parsed.entries.map((e) => e.domain)).toEqual(['a-normal.test', 'after-88.test']);
    expect(parsed.diagnostics.map((d) => [d.code, d.severity, d.file, d.line])).toEqual([
      ['assign-malformed', 'warning', FILE, 3],
      ['assign-malformed', 'warning', FILE, 4],
    ]);
    expect(parsed.diagnostics[0]!.message).toContain('has 4 of the 6 ":" qmail-newu needs');
    expect(parsed.diagnostics[1]!.message).toContain('line 4 is empty');
  });

  it('warns when the final "." line is missing, as qmail-newu refuses such a file', () => {
    const text = goldenFile('01-vadddomain', FILE).replace(/\.\n$/, '');
    const parsed = parseAssign(text, FILE);
    expect(parsed.entries).toHaveLength(3);
    expect(parsed.diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'assign-unterminated',
        message: 'users/assign has no final "." line after line 3: qmail-newu refuses the file ("bad format")',
        file: FILE,
        line: 3,
      },
    ]);
  });

  it('reads a last domain line without newline but reports it', () => {
    const text = goldenFile('01-vadddomain', FILE).replace(/\n\.\n$/, '');
    const parsed = parseAssign(text, FILE);
    expect(parsed.entries.map((e) => e.domain)).toEqual(['aaa.test', 'example.com', 'example.org']);
    expect(parsed.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['assign-malformed', 3],
      ['assign-unterminated', 3],
    ]);
  });

  it('ignores exact (=) lines and reports a repeated domain, keeping the first as qmail does', () => {
    const golden = goldenFile('01-vadddomain', FILE).split('\n');
    // A hand edit: an exact-address line made from line 2, and line 3 repeated after it.
    const text = [
      golden[0],
      golden[1]!.replace(/^\+example\.com-/, '=postmaster'),
      golden[2],
      golden[2]!.replace('example.org:89:89', 'example.org:90:90'),
      golden[3],
      '',
    ].join('\n');
    const parsed = parseAssign(text, FILE);
    expect(parsed.entries.map((e) => [e.domain, e.uid, e.line])).toEqual([
      ['aaa.test', 89, 1],
      ['example.org', 89, 3],
    ]);
    expect(parsed.diagnostics.map((d) => [d.code, d.line])).toEqual([['assign-duplicate', 4]]);
  });

  it('stops at the "." line like qmail-newu: later lines are not domains', () => {
    const text = `${goldenFile('01-vadddomain', FILE)}${goldenFile('01-vadddomain', FILE)
      .split('\n')[0]!
      .replace(/aaa\.test/g, 'zzz.test')}\n`;
    expect(parseAssign(text, FILE).entries.map((e) => e.domain)).toEqual(['aaa.test', 'example.com', 'example.org']);
  });
});
