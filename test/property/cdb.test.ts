import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CdbFormatError, lookupCdb, readCdbRecords } from '../../src/cdb/read.js';
import { buildCdb, buildCdbFromRanges } from '../../src/cdb/write.js';
import { anyBytes, goldenFiles, mutatedGolden, truncatedGolden, withinCpuTime, runs } from './support.js';

/** Every real cdb of the corpus: vpasswd.cdb, users/cdb, tcp.smtp.cdb. */
const REAL_CDBS = goldenFiles((name, path) => name.endsWith('.cdb') || (name === 'cdb' && path.includes('/users/')));

/** Binary keys and values, from a small alphabet so that keys repeat (duplicates) and hash buckets collide. */
const key = fc.oneof(
  fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b)),
  fc.constantFrom('', 'a', 'b', 'bob', 'alice').map((s) => Buffer.from(s)),
);
const value = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
const records = fc.array(fc.tuple(key, value), { maxLength: 60 });

/** A built cdb with random damage: the header and tables point at plausible places, unlike pure noise. */
const damagedCdb = fc
  .tuple(records, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }))
  .map(([recs, flips]) => {
    const cdb = Buffer.from(buildCdb(recs));
    for (const [at, byte] of flips) cdb[at % cdb.length] = byte;
    return cdb;
  });

/**
 * A built cdb with some of its 32-bit words (header, table entries, record lengths) replaced by
 * values near the end of the file or anywhere: pointers that are almost right are the hard case.
 */
const repointedCdb = fc
  .tuple(
    records,
    fc.array(fc.tuple(fc.nat(), fc.oneof(fc.integer({ min: -12, max: 0 }), fc.nat({ max: 2 ** 32 - 1 }))), {
      minLength: 1,
      maxLength: 6,
    }),
  )
  .map(([recs, words]) => {
    const cdb = Buffer.from(buildCdb(recs));
    for (const [at, word] of words) {
      const offset = (at % Math.floor(cdb.length / 4)) * 4;
      cdb.writeUInt32LE(word <= 0 ? Math.max(0, cdb.length + word) : word, offset);
    }
    return cdb;
  });

/** Any cdb-shaped input: noise, damaged builds, damaged and truncated real files, a header pointing past EOF. */
const cdbInput = fc.oneof(
  anyBytes(5000).map((b) => Buffer.from(b)),
  damagedCdb,
  repointedCdb,
  mutatedGolden(REAL_CDBS),
  truncatedGolden(REAL_CDBS),
  fc.tuple(fc.nat(255), fc.integer({ min: 2048, max: 2 ** 32 - 1 }), fc.nat()).map(([table, pos, slots]) => {
    const cdb = Buffer.from(buildCdb([['bob', 'x']]));
    cdb.writeUInt32LE(pos, table * 8);
    cdb.writeUInt32LE(slots % 2 ** 32, table * 8 + 4);
    return cdb;
  }),
);

/** Only CdbFormatError is an expected failure: anything else (RangeError, TypeError) is a bug. */
function expectOnlyCdbFormatError(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof CdbFormatError)) throw error;
  }
}

describe('cdb reader on hostile input', () => {
  it('readCdbRecords gives records inside the file or a CdbFormatError, fast', () => {
    fc.assert(
      fc.property(cdbInput, (data) => {
        expectOnlyCdbFormatError(() => {
          const found = withinCpuTime(500, () => readCdbRecords(data));
          for (const r of found) {
            expect(r.key.buffer).toBe(data.buffer);
            expect(r.value.byteOffset + r.value.length).toBeLessThanOrEqual(data.byteOffset + data.length);
          }
        });
      }),
      { numRuns: runs(500) },
    );
  });

  it('lookupCdb gives a value, undefined or a CdbFormatError, fast', () => {
    fc.assert(
      fc.property(cdbInput, key, (data, k) => {
        expectOnlyCdbFormatError(() => withinCpuTime(500, () => lookupCdb(data, k)));
      }),
      { numRuns: runs(500) },
    );
  });

  it('calls every strict prefix of a real cdb a CdbFormatError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...REAL_CDBS),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        (file, cut) => {
          const truncated = file.data.subarray(0, Math.floor(cut * file.data.length));
          expect(() => readCdbRecords(truncated)).toThrow(CdbFormatError);
        },
      ),
      { numRuns: runs(200) },
    );
  });
});

describe('cdb build → read', () => {
  it('reads back every record in order, duplicates and binary keys included', () => {
    fc.assert(
      fc.property(records, (recs) => {
        const cdb = buildCdb(recs);
        expect(readCdbRecords(cdb).map((r) => [r.key, r.value])).toEqual(recs);
      }),
      { numRuns: runs(300) },
    );
  });

  it('finds the first value of every key, and nothing for a key it does not hold', () => {
    fc.assert(
      fc.property(records, key, (recs, probe) => {
        const cdb = buildCdb(recs);
        for (const [k] of recs) expect(lookupCdb(cdb, k)).toEqual(recs.find(([other]) => other.equals(k))![1]);
        const first = recs.find(([other]) => other.equals(probe));
        expect(lookupCdb(cdb, probe)).toEqual(first?.[1]);
      }),
      { numRuns: runs(300) },
    );
  });

  it('builds the same bytes from ranges of one buffer as from separate records', () => {
    fc.assert(
      fc.property(records, (recs) => {
        const source = Buffer.concat(recs.flat());
        const ranges: number[] = [];
        let at = 0;
        for (const [k, v] of recs) {
          ranges.push(at, at + k.length, at + k.length, at + k.length + v.length);
          at += k.length + v.length;
        }
        expect(buildCdbFromRanges({ source, ranges: Uint32Array.from(ranges) }).equals(buildCdb(recs))).toBe(true);
      }),
      { numRuns: runs(200) },
    );
  });

  it('reads the real cdb files back into the same bytes', () => {
    for (const file of REAL_CDBS) {
      expect(
        buildCdb(readCdbRecords(file.data).map((r) => [r.key, r.value] as const)).equals(file.data),
        file.path,
      ).toBe(true);
    }
  });
});

// tinycdb is what vpopmail's own cdb and `cdb -d`/`cdb -q` are made of; scripts/setup.sh installs it.
const hasTinycdb = (() => {
  try {
    execFileSync('cdb', ['-h'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
})();

describe.skipIf(!hasTinycdb)('cdb writer against tinycdb', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailstate-cdb-prop-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the bytes `cdb -c` writes for the same records', () => {
    let n = 0;
    fc.assert(
      fc.property(records, (recs) => {
        const out = join(dir, `${n++}.cdb`);
        const input = Buffer.concat([
          ...recs.map(([k, v]) =>
            Buffer.concat([Buffer.from(`+${k.length},${v.length}:`), k, Buffer.from('->'), v, Buffer.from('\n')]),
          ),
          Buffer.from('\n'),
        ]);
        execFileSync('cdb', ['-c', out], { input });
        expect(buildCdb(recs).equals(readFileSync(out))).toBe(true);
      }),
      { numRuns: runs(25) },
    );
  });

  describe('cdb reader on large input', () => {
    it('reads 100,000 records and rejects 10 MB of noise quickly', () => {
      const big = buildCdb(Array.from({ length: 30_000 }, (_, i) => [`user${i}`, `value${i}`] as const));
      expect(withinCpuTime(3000, () => readCdbRecords(big)).length).toBe(30_000);
      expect(withinCpuTime(1000, () => lookupCdb(big, Buffer.from('user29999')))?.toString()).toBe('value29999');
      const noise = Buffer.alloc(2_000_000, 0x01);
      expectOnlyCdbFormatError(() => withinCpuTime(3000, () => readCdbRecords(noise)));
    });
  });
});
