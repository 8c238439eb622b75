import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DIR_CHARS,
  type DirControl,
  formatDirControl,
  NEW_DOMAIN_DIR_CONTROL,
  nextUserDir,
  parseDirControl,
  takeFreeSlot,
} from '../../src/formats/dir-control.js';
import { anyBytes, anyText, goldenFiles, mutatedGolden, withinCpuTime, runs } from './support.js';

const DIR_CONTROL = goldenFiles((name) => name === '.dir-control');

/** .dir-control-like text: nine short lines of small numbers, triples and a hash directory. */
const numberish = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.oneof(fc.nat(3).map(String), fc.nat(300).map(String), fc.constantFrom('61', '62', '99', '100')),
  },
  { weight: 1, arbitrary: fc.constantFrom('', '-1', '1.5', 'x', '99999999999999999999', ' 3 ', '1e3') },
);
const tripleish = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(numberish, numberish, numberish).map((t) => t.join(' ')) },
  { weight: 1, arbitrary: numberish },
);
const theDirish = fc.oneof(
  fc.constantFrom('', '0', 'z', '0/0', 'a/b/c', '../x', '/etc', '0/', 'zz', 'é', 'undefined'),
  fc.string({ maxLength: 8 }),
);
const structured = fc
  .tuple(numberish, numberish, numberish, tripleish, tripleish, tripleish, tripleish, theDirish)
  .map((lines) => `${lines.join('\n')}\n`);

const dirControlText = fc.oneof(
  { weight: 4, arbitrary: structured },
  { weight: 1, arbitrary: anyText() },
  { weight: 1, arbitrary: anyBytes(200).map((b) => Buffer.from(b).toString('utf8')) },
  { weight: 2, arbitrary: mutatedGolden(DIR_CONTROL).map((b) => b.toString('utf8')) },
);

/**
 * A hash directory vpopmail would make: '' or up to three characters of DIR_CHARS joined by "/"
 * (at the third level vpopmail's own reader quirk leaves "a/b/", see dir-control.ts).
 */
const HASH_DIR = new RegExp(`^([${DIR_CHARS}](/[${DIR_CHARS}]){0,2}/?)?$`);

describe('.dir-control', () => {
  it('accepts every .dir-control real vpopmail wrote', () => {
    for (const file of DIR_CONTROL) expect(parseDirControl(file.data.toString('utf8')), file.path).toBeDefined();
  });

  it('refuses a the_dir or mod that would place users outside the domain (found by the property below)', () => {
    // Before the fix the_dir was taken as it stood: the next 99 users went to <domain>/../../etc/<name>.
    for (const theDir of ['../../etc', '/etc', ' ', '0/', 'zz']) {
      expect(parseDirControl(`150\n0\n3\n0 0 0\n61 61 61\n0 2 2\n1 0 0\n${theDir}\n`), theDir).toBeUndefined();
    }
    expect(parseDirControl('150\n0\n3\n0 0 0\n61 61 61\n0 7 2\n1 0 0\n0\n')).toBeUndefined();
    expect(parseDirControl('150\n0\n3\n70 0 0\n61 61 61\n0 2 2\n1 0 0\n0\n')).toBeUndefined();
    expect(parseDirControl('150\n0\n3\n0 0 0\n61 61 61\n0 2 2\n1 0 0\n0\n')).toMatchObject({ theDir: '0' });
  });

  it('parseDirControl never throws; what it reads, formatDirControl writes back to the same state', () => {
    fc.assert(
      fc.property(dirControlText, (text) => {
        const dc = withinCpuTime(500, () => parseDirControl(text));
        if (dc === undefined) return;
        const written = formatDirControl(dc);
        expect(parseDirControl(written)).toEqual(dc);
        expect(formatDirControl(parseDirControl(written)!)).toBe(written);
      }),
      { numRuns: runs(500) },
    );
  });

  it('only ever places users in hash directories inside the domain, whatever .dir-control it accepted', () => {
    fc.assert(
      fc.property(dirControlText, fc.integer({ min: 1, max: 250 }), (text, accounts) => {
        const dc = parseDirControl(text);
        if (dc === undefined) return;
        for (let i = 0; i < accounts; i++) {
          const dir = nextUserDir(dc);
          expect(dir).toMatch(HASH_DIR);
        }
        expect(parseDirControl(formatDirControl(dc))).toEqual(dc);
      }),
      { numRuns: runs(300) },
    );
  });

  it('a valid state written and read back walks on exactly as the original (golden 07 layout)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 13_000 }), fc.integer({ min: 1, max: 150 }), (start, more) => {
        const dc = parseDirControl(NEW_DOMAIN_DIR_CONTROL)!;
        for (let i = 0; i < start; i++) nextUserDir(dc);
        const copy: DirControl = parseDirControl(formatDirControl(dc))!;
        for (let i = 0; i < more; i++) expect(nextUserDir(copy)).toBe(nextUserDir(dc));
        expect(formatDirControl(copy)).toBe(formatDirControl(dc));
      }),
      { numRuns: runs(40) },
    );
  });

  it('takeFreeSlot refuses a slot that is not a hash directory', () => {
    fc.assert(
      fc.property(anyText(20), (slot) => {
        const dc = parseDirControl(NEW_DOMAIN_DIR_CONTROL)!;
        let taken: string | undefined;
        try {
          taken = takeFreeSlot(dc, [slot]);
        } catch (error) {
          expect((error as Error).message).toContain('.dir_control_free holds');
          return;
        }
        expect(taken).toMatch(HASH_DIR);
        expect(taken).not.toBe('');
      }),
      { numRuns: runs(200) },
    );
  });

  it('takeFreeSlot reuses the oldest slot and counts the account', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('0', '1', 'a/b'), { maxLength: 4 }), (slots) => {
        const dc = parseDirControl(NEW_DOMAIN_DIR_CONTROL)!;
        const free = [...slots];
        expect(takeFreeSlot(dc, free)).toBe(slots[0]);
        expect(dc.curUsers).toBe(slots.length > 0 ? 2 : 1);
        expect(free).toEqual(slots.slice(1));
      }),
      { numRuns: runs(50) },
    );
  });

  describe('parseDirControl on large input', () => {
    it('stays linear', () => {
      for (const text of [
        `${'1'.repeat(1_000_000)}\n`,
        `1\n0\n3\n${' '.repeat(1_000_000)}0 0 0\n`,
        '\n'.repeat(1_000_000),
      ])
        withinCpuTime(3000, () => parseDirControl(text));
    });
  });
});
