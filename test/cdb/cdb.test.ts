import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCdbRecords, lookupCdb, CdbFormatError } from '../../src/cdb/read.js';
import { buildCdb, buildCdbFromRanges } from '../../src/cdb/write.js';
import { cdbRangesFromVpasswd, cdbRecordsFromVpasswdText } from '../../src/formats/vpasswd-cdb.js';

const golden = join(import.meta.dirname, '../fixtures/golden');

function tinycdbBuild(records: Array<[string, string]>): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'mailstate-cdb-'));
  const input = `${records.map(([k, v]) => `+${Buffer.byteLength(k)},${Buffer.byteLength(v)}:${k}->${v}\n`).join('')}\n`;
  execFileSync('cdb', ['-c', join(dir, 'out.cdb')], { input });
  return readFileSync(join(dir, 'out.cdb'));
}

describe('cdb writer', () => {
  it('is byte-identical to tinycdb cdb -c, with colliding buckets and duplicate keys', () => {
    const records: Array<[string, string]> = [];
    for (let i = 0; i < 3000; i++)
      records.push([`user${i}`, `$6$salt$hash:1:0:user${i}:/home/vpopmail/domains/x/user${i}:NOQUOTA`]);
    records.push(['user7', 'duplicate wins second'], ['', 'empty key'], ['ünï', 'cödé']);
    expect(buildCdb(records).equals(tinycdbBuild(records))).toBe(true);
  });

  it('builds vpasswd.cdb straight from the vpasswd bytes, as from its records', () => {
    const vpasswd = Buffer.from(
      'alice:$1$x$y:1:0:Alice:/d/alice:NOQUOTA\nno colon here\nbob::1:0::/d/bob:1048576S:clear:with:colons\nünï:x:1:0:ü:/d/u:NOQUOTA\nlast:without:newline',
    );
    const records = cdbRecordsFromVpasswdText(vpasswd);
    expect(records.map(([k]) => k.toString())).toEqual(['alice', 'bob', 'ünï']);
    const fromRanges = buildCdbFromRanges(cdbRangesFromVpasswd(vpasswd));
    expect(fromRanges.equals(buildCdb(records))).toBe(true);
    expect(fromRanges.equals(tinycdbBuild(records.map(([k, v]) => [k.toString(), v.toString()])))).toBe(true);
  });

  it('writes an empty database exactly as tinycdb does', () => {
    expect(buildCdb([]).equals(tinycdbBuild([]))).toBe(true);
  });

  it('reproduces the vpasswd.cdb real vpopmail wrote (golden scenario 18)', () => {
    const real = readFileSync(
      join(golden, '18-file-modes-and-cdb-bytes/cdb/home/vpopmail/domains/example.com/vpasswd.cdb'),
    );
    const records = readCdbRecords(real).map((r) => [r.key, r.value] as const);
    expect(records.length).toBeGreaterThan(0);
    expect(buildCdb(records).equals(real)).toBe(true);
  });
});

describe('cdb reader', () => {
  it('returns the records cdb -d prints, in file order', () => {
    const file = join(golden, '18-file-modes-and-cdb-bytes/cdb/home/vpopmail/domains/example.com/vpasswd.cdb');
    const dump = execFileSync('cdb', ['-d', file]).toString('utf8');
    const ours = `${readCdbRecords(readFileSync(file))
      .map((r) => `+${r.key.length},${r.value.length}:${r.key.toString('utf8')}->${r.value.toString('utf8')}\n`)
      .join('')}\n`;
    expect(ours).toBe(dump);
  });

  it('finds the first record of a key like cdb -q -n 1', () => {
    const records: Array<[string, string]> = [
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
    ];
    const dir = mkdtempSync(join(tmpdir(), 'mailstate-cdb-'));
    const file = join(dir, 'x.cdb');
    writeFileSync(file, buildCdb(records));
    expect(execFileSync('cdb', ['-q', '-n', '1', file, 'a']).toString()).toBe('1');
    expect(lookupCdb(readFileSync(file), Buffer.from('a'))?.toString()).toBe('1');
    expect(lookupCdb(readFileSync(file), Buffer.from('zz'))).toBeUndefined();
  });

  it('rejects truncated files instead of reading past their end', () => {
    const whole = buildCdb([['alice', 'x'.repeat(100)]]);
    expect(() => readCdbRecords(whole.subarray(0, 1000))).toThrow(CdbFormatError);
    expect(() => readCdbRecords(whole.subarray(0, whole.length - 4))).toThrow(CdbFormatError);
  });

  it('rejects a hash table entry that points at the last bytes of the file (found by test/property/cdb.test.ts)', () => {
    const cdb = Buffer.from(buildCdb([['bob', 'x']]));
    // The one table that holds bob, and its one used slot: point it 4 bytes before the end.
    const table = [...Array(256).keys()].find((t) => cdb.readUInt32LE(t * 8 + 4) > 0)!;
    const tablePos = cdb.readUInt32LE(table * 8);
    const slot = [0, 1].find((s) => cdb.readUInt32LE(tablePos + s * 8 + 4) !== 0)!;
    cdb.writeUInt32LE(cdb.length - 4, tablePos + slot * 8 + 4);
    // Before the fix: RangeError from Buffer.readUInt32LE, which no caller expects.
    expect(() => lookupCdb(cdb, Buffer.from('bob'))).toThrow(CdbFormatError);
  });
});
