import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCdb, buildCdbFromRanges } from '../../src/cdb/write.js';
import { vpasswdCdbFreshness } from '../../src/live/cdb-freshness.js';
import { formatVpasswdLine, parseVpasswd, type VpasswdLineFields } from '../../src/formats/vpasswd.js';
import { cdbRangesFromVpasswd, cdbRecordsFromVpasswdText } from '../../src/formats/vpasswd-cdb.js';
import {
  anyBytes,
  anyText,
  goldenFiles,
  linesOf,
  mutatedGolden,
  withinCpuTime,
  runs,
  assertPrintableMessages,
} from './support.js';

const FILE = '/home/vpopmail/domains/example.com/vpasswd';
const VPASSWD = goldenFiles((name) => name === 'vpasswd');
const VPASSWD_CDB = goldenFiles((name) => name === 'vpasswd.cdb');

/** vpasswd text from any source: random text, random bytes decoded, or a damaged golden vpasswd. */
const vpasswdText = fc.oneof(
  anyText(),
  anyBytes(600).map((b) => Buffer.from(b).toString('utf8')),
  mutatedGolden(VPASSWD).map((b) => b.toString('utf8')),
);

/** A field value vpasswd can hold: anything but ":" and "\n". */
const field = (maxLength = 20) => fc.string({ unit: 'binary', maxLength }).map((s) => s.replace(/[:\n]/g, ''));

const lineFields: fc.Arbitrary<VpasswdLineFields> = fc.record(
  {
    // "#" would make the line a comment; an empty name is a (useless) valid line.
    name: field().filter((name) => !name.startsWith('#')),
    hash: field(),
    apop: field(3),
    flags: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    comment: field(),
    dir: field(),
    quota: fc.oneof(field(), fc.constantFrom('NOQUOTA', '', '1048576S', '5000C', '1048576S,5000C', '10M', '1000KB')),
    // The last field: may hold ":" but never a newline.
    clear: fc.string({ unit: 'binary', maxLength: 20 }).map((s) => s.replace(/\n/g, '')),
  },
  { requiredKeys: ['name', 'hash', 'apop', 'flags', 'comment', 'dir', 'quota'] },
);

describe('parseVpasswd', () => {
  it('writes no control character into a message (a terminal must not be driven by a file)', () => {
    assertPrintableMessages((text) => parseVpasswd(text, FILE).diagnostics);
  });

  it('never throws, answers fast, and accounts for every line with a user or a diagnostic', () => {
    fc.assert(
      fc.property(vpasswdText, (text) => {
        const parsed = withinCpuTime(500, () => parseVpasswd(text, FILE));
        const lines = linesOf(text);
        const names = parsed.users.map((u) => u.name);
        expect(new Set(names).size).toBe(names.length);
        for (const user of parsed.users) {
          expect(lines[user.line - 1]!.startsWith(`${user.name}:`)).toBe(true);
          expect(Number.isSafeInteger(user.flags) && user.flags >= 0).toBe(true);
        }
        for (const d of parsed.diagnostics) {
          expect(d.file).toBe(FILE);
          if (d.line !== undefined) expect(d.line).toBeGreaterThanOrEqual(1);
          if (d.line !== undefined) expect(d.line).toBeLessThanOrEqual(lines.length);
        }
        const accounted = new Set([...parsed.users.map((u) => u.line), ...parsed.diagnostics.map((d) => d.line)]);
        for (let line = 1; line <= lines.length; line++) expect(accounted.has(line)).toBe(true);
        // Every skipped line that names someone is listed, so nothing can add that name again.
        const skipped = parsed.diagnostics.filter((d) => d.code === 'vpasswd-malformed').map((d) => d.line);
        for (const m of parsed.malformed) expect(skipped).toContain(m.line);
      }),
      { numRuns: runs(400) },
    );
  });

  it('reads back every field formatVpasswdLine wrote (7 or 8 fields)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(lineFields, { selector: (u) => u.name, maxLength: 8 }),
        fc.boolean(),
        (users, clearPasswords) => {
          const text = users.map((u) => `${formatVpasswdLine(u, clearPasswords)}\n`).join('');
          const parsed = parseVpasswd(text, FILE);
          expect(parsed.malformed).toEqual([]);
          expect(
            parsed.diagnostics.filter((d) => d.code === 'vpasswd-malformed' || d.code === 'vpasswd-duplicate'),
          ).toEqual([]);
          expect(parsed.clearPasswords).toBe(clearPasswords && users.length > 0);
          expect(
            parsed.users.map((u) => ({
              name: u.name,
              hash: u.hash,
              apop: u.apop,
              flags: u.flags,
              comment: u.comment,
              dir: u.dir,
              quota: u.quotaRaw,
              clear: u.clear,
            })),
          ).toEqual(users.map((u) => ({ ...u, clear: clearPasswords ? (u.clear ?? '') : undefined })));
          // And the line it printed is the line it reads: print ∘ parse is the identity on printed text.
          expect(
            parsed.users.map((u) => `${formatVpasswdLine({ ...u, quota: u.quotaRaw }, clearPasswords)}\n`).join(''),
          ).toBe(text);
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it('prints every user it parsed (no field it accepts makes the printer throw)', () => {
    fc.assert(
      fc.property(vpasswdText, (text) => {
        const parsed = parseVpasswd(text, FILE);
        for (const user of parsed.users) {
          const line = formatVpasswdLine({ ...user, quota: user.quotaRaw }, user.clear !== undefined);
          expect(parseVpasswd(`${line}\n`, FILE).users[0]).toMatchObject({
            name: user.name,
            flags: user.flags,
            quotaRaw: user.quotaRaw,
          });
        }
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('formatVpasswdLine', () => {
  it('throws exactly for values that would break the line, and never writes a newline', () => {
    const loose = fc.record({
      name: fc.string({ unit: fc.constantFrom('a', ':', '\n', '#'), maxLength: 4 }),
      hash: fc.string({ unit: fc.constantFrom('$', ':', '\n'), maxLength: 4 }),
      apop: fc.constantFrom('1', '2', ':'),
      flags: fc.oneof(fc.integer({ min: -5, max: 2 ** 31 - 1 }), fc.constantFrom(0.5, Number.NaN, 2 ** 60)),
      comment: fc.string({ unit: fc.constantFrom('b', ':', '\n'), maxLength: 4 }),
      dir: fc.string({ unit: fc.constantFrom('/', ':', '\n'), maxLength: 4 }),
      quota: fc.string({ unit: fc.constantFrom('S', ':', '\n'), maxLength: 4 }),
      clear: fc.string({ unit: fc.constantFrom('c', ':', '\n'), maxLength: 4 }),
    });
    fc.assert(
      fc.property(loose, fc.boolean(), (user, clearPasswords) => {
        const broken =
          [user.name, user.hash, user.apop, user.comment, user.dir, user.quota].some((v) => /[:\n]/.test(v)) ||
          !Number.isSafeInteger(user.flags) ||
          user.flags < 0 ||
          (clearPasswords && user.clear.includes('\n'));
        if (broken) {
          expect(() => formatVpasswdLine(user, clearPasswords)).toThrow(Error);
        } else {
          const line = formatVpasswdLine(user, clearPasswords);
          expect(line).not.toContain('\n');
          expect(line.split(':').length).toBeGreaterThanOrEqual(clearPasswords ? 8 : 7);
        }
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('cdbRecordsFromVpasswdText and cdbRangesFromVpasswd', () => {
  it('give the same records from a string and from its UTF-8 bytes, and the ranges build the same cdb', () => {
    fc.assert(
      fc.property(vpasswdText, (anyText) => {
        // A file's text is always decoded from bytes, so it holds no lone surrogate.
        const bytes = Buffer.from(anyText, 'utf8');
        const text = bytes.toString('utf8');
        const fromString = cdbRecordsFromVpasswdText(text);
        const fromBytes = cdbRecordsFromVpasswdText(bytes);
        expect(fromBytes.map(([k, v]) => [k.toString('utf8'), v.toString('utf8')])).toEqual(fromString);
        // One record per complete line that has a ":"; none holds a newline or (in its key) a ":".
        expect(fromString.length).toBe(
          text
            .split('\n')
            .slice(0, -1)
            .filter((line) => line.includes(':')).length,
        );
        for (const [key, value] of fromString) {
          expect(key).not.toMatch(/[:\n]/);
          expect(value).not.toContain('\n');
        }
        expect(buildCdbFromRanges(cdbRangesFromVpasswd(bytes)).equals(buildCdb(fromBytes))).toBe(true);
      }),
      { numRuns: runs(300) },
    );
  });

  it('works on any bytes, not only UTF-8', () => {
    fc.assert(
      fc.property(anyBytes(800), (bytes) => {
        const records = cdbRecordsFromVpasswdText(bytes);
        expect(
          Buffer.concat(records.map(([k, v]) => Buffer.concat([k, Buffer.from(':'), v, Buffer.from('\n')]))).length,
        ).toBeLessThanOrEqual(bytes.length);
        expect(buildCdbFromRanges(cdbRangesFromVpasswd(bytes)).equals(buildCdb(records))).toBe(true);
      }),
      { numRuns: runs(200) },
    );
  });
});

describe('vpasswdCdbFreshness', () => {
  const vpasswdBytes = fc.oneof(anyBytes(600), mutatedGolden(VPASSWD));

  it('says fresh for the cdb built from the same vpasswd, missing for none, and never throws on any cdb', () => {
    fc.assert(
      fc.property(vpasswdBytes, fc.oneof(anyBytes(3000), mutatedGolden(VPASSWD_CDB)), (vpasswd, cdb) => {
        expect(vpasswdCdbFreshness(vpasswd, buildCdb(cdbRecordsFromVpasswdText(vpasswd)))).toEqual({ state: 'fresh' });
        expect(vpasswdCdbFreshness(vpasswd, undefined)).toEqual({ state: 'missing' });
        const state = withinCpuTime(500, () => vpasswdCdbFreshness(vpasswd, cdb)).state;
        expect(['fresh', 'stale', 'corrupt']).toContain(state);
      }),
      { numRuns: runs(300) },
    );
  });

  it('calls every truncated cdb corrupt, and a cdb of other records stale', () => {
    fc.assert(
      fc.property(
        vpasswdBytes,
        vpasswdBytes,
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        (a, b, cut) => {
          const cdbA = buildCdb(cdbRecordsFromVpasswdText(a));
          expect(vpasswdCdbFreshness(a, cdbA.subarray(0, Math.floor(cut * cdbA.length))).state).toBe('corrupt');
          const same = buildCdb(cdbRecordsFromVpasswdText(b)).equals(cdbA);
          expect(vpasswdCdbFreshness(b, cdbA).state).toBe(same ? 'fresh' : 'stale');
        },
      ),
      { numRuns: runs(200) },
    );
  });

  describe('vpasswd readers on large input', () => {
    it('stay linear: 5 MB of one line, of colons, of short lines', () => {
      for (const text of [
        `bob:${'x'.repeat(1_000_000)}`,
        ':'.repeat(1_000_000),
        'a:b\n'.repeat(250_000),
        `${'bob:x:1:0:b:/d:NOQUOTA\n'.repeat(40_000)}`,
      ]) {
        withinCpuTime(10_000, () => parseVpasswd(text, FILE));
        withinCpuTime(5000, () => cdbRecordsFromVpasswdText(Buffer.from(text)));
      }
    });
  });
});
