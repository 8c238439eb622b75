import { describe, expect, it } from 'vitest';
import { parseCdbDump } from '../../src/sandbox/build.js';
import { formatVpasswdLine, parseVpasswd } from '../../src/formats/vpasswd.js';
import { cdbRecordsFromVpasswdText } from '../../src/formats/vpasswd-cdb.js';
import {
  EXAMPLE_COM,
  goldenBytes,
  goldenFile,
  goldenText,
  S02,
  S03,
  S04,
  S05,
  S07,
  S10,
  S11,
  S13,
  S15,
} from '../live/golden.js';

const VPASSWD = `${EXAMPLE_COM}/vpasswd`;

function parseGolden(scenario: string, absPath = VPASSWD) {
  return parseVpasswd(goldenFile(scenario, absPath), absPath);
}

/** `cdb -d` of the scenario's vpasswd.cdb as string records. */
function goldenDump(scenario: string, absPath = `${EXAMPLE_COM}/vpasswd.cdb`): Array<[string, string]> {
  return parseCdbDump(goldenBytes(scenario, `cdb${absPath}.dump`)).map(([k, v]) => [
    k.toString('utf8'),
    v.toString('utf8'),
  ]);
}

describe('parseVpasswd on golden files', () => {
  it('reads every quota spelling vadduser -q stored, canonical and raw (golden 02)', () => {
    const parsed = parseGolden(S02);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.clearPasswords).toBe(true);
    expect(parsed.users).toHaveLength(34);
    const quotas = Object.fromEntries(
      parsed.users
        .filter((u) => u.name.startsWith('q') || u.name === 'combo')
        .map((u) => [u.name, [u.quota, u.quotaRaw]]),
    );
    expect(quotas).toEqual({
      combo: ['5242880S', '5242880S'],
      qbad: ['', ''],
      qbytes: ['1000000S', '1000000S'],
      qcount: ['500C', '500C'],
      qcountlc: ['500S', '500S'],
      qdecimal: ['1048576S', '1048576S'],
      qgiga: ['1S', '1S'],
      qkilo: ['10240S', '10240S'],
      qkilolc: ['10240S', '10240S'],
      qmb: ['10485760S', '10485760S'],
      qmega: ['10485760S', '10485760S'],
      qmegalc: ['10485760S', '10485760S'],
      qnoquota: ['NOQUOTA', 'NOQUOTA'],
      qnoquotalc: ['', ''],
      qsizecount: ['1000000S,500C', '1000000S,500C'],
      qsuffixs: ['2000S', '2000S'],
      qtoolong: ['NOQUOTA', 'NOQUOTA'],
      qzero: ['', ''],
    });
  });

  it('keeps hash, apop, comment and clear fields verbatim (golden 02)', () => {
    const byName = new Map(parseGolden(S02).users.map((u) => [u.name, u]));
    expect(byName.get('enc1')).toEqual({
      name: 'enc1',
      hash: '$1$abcdefgh$ywpTNDTYPzAT3Ohgseebp/',
      apop: '1',
      flags: 0,
      comment: 'enc1',
      dir: '/home/vpopmail/domains/example.com/enc1',
      quota: 'NOQUOTA',
      quotaRaw: 'NOQUOTA',
      clear: '',
      line: 7,
    });
    expect(byName.get('encjunk')?.hash).toBe('notahash');
    expect(byName.get('cutf8')?.comment).toBe('Ünïcödé ß');
    expect(byName.get('csp')?.comment).toBe('Alice Smith');
    expect(byName.get('combo')?.comment).toBe('Combined User');
    expect(byName.get('rand8')?.clear).toBe('ExP#xTBH');
    expect(byName.get('postmaster')).toMatchObject({ comment: 'Postmaster', clear: 'pmpass1', line: 12 });
  });

  it('reads the results of vmoduser, including -D to a path outside the domain (golden 03)', () => {
    const parsed = parseGolden(S03);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.users).toHaveLength(26);
    const byName = new Map(parsed.users.map((u) => [u.name, u]));
    expect(byName.get('combo')).toMatchObject({ comment: 'touch', dir: '/tmp/elsewhere', flags: 0 });
    expect(byName.get('norebuild')?.comment).toBe('NoRebuild');
    expect(byName.get('pwtest')?.clear).toBe('afterd');
    expect(parsed.users.every((u) => u.flags === 0)).toBe(true);
  });

  it('reads the flag bitmask as a decimal number (golden 10, 11, 13, 15)', () => {
    const flags = (scenario: string) => Object.fromEntries(parseGolden(scenario).users.map((u) => [u.name, u.flags]));
    expect(flags(S11)).toEqual({ alice: 4139, bob: 0, carol: 0, dave: 0, eve: 524287, postmaster: 0 });
    expect(flags(S10)).toEqual({ alice: 0, bob: 32, carol: 2, postmaster: 0 });
    expect(flags(S13)).toEqual({ betty: 0, bob: 2, postmaster: 0, carol: 0, dave: 0 });
    expect(flags(S15)).toMatchObject({ bob: 16 });
  });

  it('reads vsetuserquota results and an empty quota field (golden 04, 11, 15)', () => {
    expect(parseGolden(S04).users.map((u) => [u.name, u.quota])).toEqual([
      ['alice', '1000000S,500C'],
      ['bob', 'NOQUOTA'],
      ['carol', 'NOQUOTA'],
      ['postmaster', 'NOQUOTA'],
    ]);
    expect(parseGolden(S11).users.find((u) => u.name === 'carol')?.quota).toBe('');
    expect(parseGolden(S15).users.find((u) => u.name === 'fay')).toMatchObject({ quota: '', quotaRaw: '' });
  });

  it('takes the rest of the line as the clear-text field, ":" included (golden 05)', () => {
    const alice = parseGolden(S05).users[0]!;
    expect(alice.name).toBe('alice');
    expect(alice.clear).toBe('a:b c');
    expect(alice.quota).toBe('NOQUOTA');
  });

  it('reads hashed user directories as stored (golden 07)', () => {
    const snapshot = '/home/vpopmail/domains/hash.test/vpasswd';
    const parsed = parseVpasswd(goldenText(S07, `snapshots/after-230-accounts${snapshot}`), snapshot);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.users).toHaveLength(230);
    const dir = (name: string) => parsed.users.find((u) => u.name === name)?.dir;
    expect(dir('user098')).toBe('/home/vpopmail/domains/hash.test/user098');
    expect(dir('user099')).toBe('/home/vpopmail/domains/hash.test/0/user099');
    expect(dir('user198')).toBe('/home/vpopmail/domains/hash.test/0/user198');
    expect(dir('user199')).toBe('/home/vpopmail/domains/hash.test/1/user199');
    const final = parseVpasswd(goldenFile(S07, '/home/vpopmail/domains/hash.test/vpasswd'), snapshot);
    expect(final.users).toHaveLength(204);
    expect(final.users.slice(0, 2).map((u) => [u.name, u.dir, u.line])).toEqual([
      ['newaaa', '/home/vpopmail/domains/hash.test/0/newaaa', 1],
      ['newbbb', '/home/vpopmail/domains/hash.test/1/newbbb', 2],
    ]);
  });
});

describe('parseVpasswd on the hand edits of golden 13', () => {
  const final = goldenFile(S13, VPASSWD);

  it('skips the comment and blank line that crash vpopmail (step 42), with their line numbers', () => {
    const parsed = parseVpasswd(`# comment\n\n${final}`, VPASSWD);
    expect(parsed.users.map((u) => [u.name, u.line])).toEqual([
      ['betty', 3],
      ['bob', 4],
      ['postmaster', 5],
      ['carol', 6],
      ['dave', 7],
    ]);
    expect(parsed.diagnostics.map((d) => [d.code, d.severity, d.file, d.line])).toEqual([
      ['vpasswd-malformed', 'warning', VPASSWD, 1],
      ['vpasswd-malformed', 'warning', VPASSWD, 2],
    ]);
  });

  it('reports a last line without newline (step 24) but keeps the user', () => {
    const parsed = parseVpasswd(final.slice(0, -1), VPASSWD);
    expect(parsed.users.map((u) => u.name)).toEqual(['betty', 'bob', 'postmaster', 'carol', 'dave']);
    expect(parsed.diagnostics).toHaveLength(1);
    expect(parsed.diagnostics[0]).toMatchObject({
      code: 'vpasswd-no-newline',
      severity: 'warning',
      file: VPASSWD,
      line: 5,
    });
    expect(parsed.diagnostics[0]!.message).toContain('user dave');
  });

  it('keeps the first of two lines with the same name, as the cdb lookup does (step 34)', () => {
    // Step 34 appended a copy of alice's line with another gecos; alice is gone from the final file,
    // so the same edit is applied to bob.
    const bobLine = final.split('\n').find((l) => l.startsWith('bob:'))!;
    const parsed = parseVpasswd(`${final}${bobLine.replace(':Bob Edited:', ':Second:')}\n`, VPASSWD);
    expect(parsed.users.map((u) => u.name)).toEqual(['betty', 'bob', 'postmaster', 'carol', 'dave']);
    expect(parsed.users[1]!.comment).toBe('Bob Edited');
    expect(parsed.diagnostics.map((d) => [d.code, d.line])).toEqual([['vpasswd-duplicate', 6]]);
  });

  it('skips lines with too few fields or non-numeric flags, and keeps a quota it cannot read', () => {
    const [betty, bob, postmaster, carol, dave] = final.trimEnd().split('\n') as [
      string,
      string,
      string,
      string,
      string,
    ];
    const text = [
      betty.split(':').slice(0, 6).join(':'),
      bob.replace(':1:2:', ':1:x2:'),
      postmaster.replace(':NOQUOTA:', ':10G:'),
      carol,
      dave,
      '',
    ].join('\n');
    const parsed = parseVpasswd(text, VPASSWD);
    expect(parsed.users.map((u) => [u.name, u.quota, u.quotaRaw])).toEqual([
      ['postmaster', '10G', '10G'],
      ['carol', 'NOQUOTA', 'NOQUOTA'],
      ['dave', 'NOQUOTA', 'NOQUOTA'],
    ]);
    expect(parsed.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['vpasswd-malformed', 1],
      ['vpasswd-malformed', 2],
      ['vpasswd-quota', 3],
    ]);
    expect(parsed.diagnostics[0]!.message).toContain('6 fields');
    expect(parsed.diagnostics[1]!.message).toContain('"x2"');
    // The skipped lines still name users vpopmail knows: the planner must not add them again.
    expect(parsed.malformed).toEqual([
      { name: 'betty', line: 1 },
      { name: 'bob', line: 2 },
    ]);
  });

  it('skips flags beyond a C int, which vpopmail and mailstate would each read differently', () => {
    const bob = final.split('\n').find((l) => l.startsWith('bob:'))!;
    // Before the fix 2^31 was read, and the planner's 32-bit flag arithmetic made it negative:
    // formatVpasswdLine then threw in the middle of an apply.
    for (const flags of ['2147483648', '4294967298', '99999999999999999999']) {
      const parsed = parseVpasswd(`${bob.replace(':1:2:', `:1:${flags}:`)}\n`, VPASSWD);
      expect(parsed.users).toEqual([]);
      expect(parsed.malformed).toEqual([{ name: 'bob', line: 1 }]);
      expect(parsed.diagnostics.map((d) => d.message)).toEqual([
        `user bob: flags field "${flags}" is larger than 2147483647; line skipped`,
      ]);
    }
    expect(parseVpasswd(`${bob.replace(':1:2:', ':1:2147483647:')}\n`, VPASSWD).users[0]!.flags).toBe(2147483647);
  });

  it('tells 7-field lines (no clear-text build) from 8-field lines, and warns when they are mixed', () => {
    const lines = final.trimEnd().split('\n');
    const seven = lines.map((l) => l.split(':').slice(0, 7).join(':'));
    const allSeven = parseVpasswd(`${seven.join('\n')}\n`, VPASSWD);
    expect(allSeven.clearPasswords).toBe(false);
    expect(allSeven.diagnostics).toEqual([]);
    expect(allSeven.users.every((u) => u.clear === undefined && !('clear' in u))).toBe(true);
    const mixed = parseVpasswd(`${[...seven.slice(0, 2), ...lines.slice(2)].join('\n')}\n`, VPASSWD);
    expect(mixed.clearPasswords).toBe(true);
    expect(mixed.diagnostics.map((d) => d.code)).toEqual(['vpasswd-mixed-fields']);
  });
});

describe('formatVpasswdLine', () => {
  it('writes back every golden line byte for byte (golden 02, 05, 11)', () => {
    for (const scenario of [S02, S05, S11]) {
      const text = goldenFile(scenario, VPASSWD);
      const parsed = parseVpasswd(text, VPASSWD);
      expect(`${parsed.users.map((u) => formatVpasswdLine(u, parsed.clearPasswords)).join('\n')}\n`).toBe(text);
    }
  });

  it('writes 7 fields without clear passwords and an empty 8th field for a user without one', () => {
    const bob = parseGolden(S10).users[1]!;
    expect(formatVpasswdLine(bob, false)).toBe(
      `bob:${bob.hash}:1:32:bob:/home/vpopmail/domains/example.com/bob:NOQUOTA`,
    );
    const { clear: _clear, ...withoutClear } = bob;
    expect(formatVpasswdLine(withoutClear, true)).toBe(
      `bob:${bob.hash}:1:32:bob:/home/vpopmail/domains/example.com/bob:NOQUOTA:`,
    );
  });

  it('refuses values that would break the line', () => {
    const bob = parseGolden(S10).users[1]!;
    expect(() => formatVpasswdLine({ ...bob, comment: 'a:b' }, true)).toThrow(/comment/);
    expect(() => formatVpasswdLine({ ...bob, dir: '/x\n' }, true)).toThrow(/dir/);
    expect(() => formatVpasswdLine({ ...bob, flags: -1 }, true)).toThrow(/flags/);
    expect(() => formatVpasswdLine({ ...bob, clear: 'a\nb' }, true)).toThrow(/clear/);
  });
});

describe('cdbRecordsFromVpasswdText', () => {
  it('gives exactly the records of the vpasswd.cdb real vpopmail built (golden 02, 05, 11, 13, 15)', () => {
    for (const scenario of [S02, S05, S11, S13, S15]) {
      expect(cdbRecordsFromVpasswdText(goldenFile(scenario, VPASSWD))).toEqual(goldenDump(scenario));
    }
  });

  it('returns bytes for bytes, identical to the string form for UTF-8 text (golden 02)', () => {
    const bytes = goldenBytes(S02, `files${VPASSWD}`);
    const asBytes = cdbRecordsFromVpasswdText(bytes).map(([k, v]) => [k.toString('utf8'), v.toString('utf8')]);
    expect(asBytes).toEqual(cdbRecordsFromVpasswdText(bytes.toString('utf8')));
  });

  it('leaves out a last line without newline, as vpopmail did in step 26 of golden 13', () => {
    const final = goldenFile(S13, VPASSWD);
    // Step 26: the cdb keys were alice, betty, bob, postmaster, carol: dave (no newline) is missing.
    expect(cdbRecordsFromVpasswdText(final.slice(0, -1)).map(([k]) => k)).toEqual([
      'betty',
      'bob',
      'postmaster',
      'carol',
    ]);
  });

  it('keeps both records of a repeated name, in file order, as step 36 of golden 13 shows', () => {
    const final = goldenFile(S13, VPASSWD);
    const bobLine = final.split('\n').find((l) => l.startsWith('bob:'))!;
    const records = cdbRecordsFromVpasswdText(`${final}${bobLine.replace(':Bob Edited:', ':Second:')}\n`);
    expect(records.map(([k]) => k)).toEqual(['betty', 'bob', 'postmaster', 'carol', 'dave', 'bob']);
    expect(records[5]![1].split(':')[3]).toBe('Second');
  });
});
