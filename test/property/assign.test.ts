import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { insertSortedLine } from '../../src/formats/update-file.js';
import { parseAssign } from '../../src/formats/assign.js';
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

const FILE = '/var/qmail/users/assign';
const ASSIGN = goldenFiles((name) => name === 'assign');

const assignText = fc.oneof(
  anyText(),
  anyBytes(600).map((b) => Buffer.from(b).toString('utf8')),
  mutatedGolden(ASSIGN).map((b) => b.toString('utf8')),
);

describe('parseAssign', () => {
  it('writes no control character into a message (a terminal must not be driven by a file)', () => {
    assertPrintableMessages((text) => parseAssign(text, FILE).diagnostics);
  });

  it('never throws, answers fast, and only returns domains from complete "+name-" lines before the "."', () => {
    fc.assert(
      fc.property(assignText, (text) => {
        const parsed = withinCpuTime(500, () => parseAssign(text, FILE));
        const lines = linesOf(text);
        const end = lines.findIndex((l) => l.startsWith('.'));
        const domains = parsed.entries.map((e) => e.domain);
        expect(new Set(domains).size).toBe(domains.length);
        for (const entry of parsed.entries) {
          const line = lines[entry.line - 1]!;
          expect(end < 0 || entry.line - 1 < end).toBe(true);
          expect(line.toLowerCase().startsWith(`+${entry.domain}-:`)).toBe(true);
          expect(Number.isSafeInteger(entry.uid) && Number.isSafeInteger(entry.gid)).toBe(true);
        }
        for (const d of parsed.diagnostics) {
          expect(d.file).toBe(FILE);
          if (d.line !== undefined) expect(d.line).toBeLessThanOrEqual(Math.max(lines.length, 1));
        }
        // A file without its "." line always says so.
        if (end < 0) expect(parsed.diagnostics.map((d) => d.code)).toContain('assign-unterminated');
      }),
      { numRuns: runs(400) },
    );
  });

  it('reads back the domains vpopmail (and the files driver) writes, in file order', () => {
    // Domain names as users/assign can hold them: no ":" or newline, lower case (qmail-newu lowercases keys).
    const label = fc.string({
      unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'),
      minLength: 1,
      maxLength: 10,
    });
    const domain = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => labels.join('.'));
    const entry = fc.record({
      domain,
      realDomain: domain,
      uid: fc.nat(65535),
      gid: fc.nat(65535),
      dir: fc.string({ maxLength: 30 }).map((s) => `/home/vpopmail/domains/${s.replace(/[:\n]/g, '')}`),
    });
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.domain, maxLength: 8 }), (entries) => {
        let text = '';
        for (const e of entries)
          text = insertSortedLine(text || '.\n', `+${e.domain}-:${e.realDomain}:${e.uid}:${e.gid}:${e.dir}:-::`, '.');
        const parsed = parseAssign(text || '.\n', FILE);
        expect(parsed.diagnostics).toEqual([]);
        const sorted = [...entries].sort((a, b) => {
          const [x, y] = [`+${a.domain}-:`, `+${b.domain}-:`];
          // insertSortedLine compares whole lines; two keys never share a prefix up to "-:" unless equal.
          return x < y ? -1 : 1;
        });
        expect(parsed.entries.map(({ line: _line, ...e }) => e)).toEqual(
          sorted.map((e) => ({
            domain: e.domain,
            realDomain: e.realDomain,
            uid: e.uid,
            gid: e.gid,
            dir: e.dir,
            usersCdbValue: `${e.realDomain}\0${e.uid}\0${e.gid}\0${e.dir}\0-\0`,
          })),
        );
      }),
      { numRuns: runs(300) },
    );
  });

  describe('parseAssign on large input', () => {
    it('stays linear: 5 MB of one line, of colons, of short lines', () => {
      for (const text of [`+x-:${'x'.repeat(1_000_000)}`, ':'.repeat(1_000_000), '+a-:a:1:1:/a:-::\n'.repeat(60_000)])
        withinCpuTime(3000, () => parseAssign(text, FILE));
    });
  });
});
