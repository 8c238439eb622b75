import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { editVpasswd, type VpasswdEdits } from '../../src/formats/vpasswd-edit.js';
import { parseVpasswd } from '../../src/formats/vpasswd.js';
import { goldenFiles, linesOf, mutatedGolden, runs } from './support.js';

const VPASSWD = goldenFiles((name) => name === 'vpasswd');

/** The key editVpasswd matches a line by: the text before the first ":", or the whole line. */
function nameOf(line: string): string {
  const colon = line.indexOf(':');
  return colon < 0 ? line : line.slice(0, colon);
}

/** Names from a small pool, so edits hit existing lines often. */
const NAMES = ['alice', 'bob', 'carol', 'dave', 'postmaster', 'zed', 'a', '', '#x', 'bob:'];
const name = fc.constantFrom(...NAMES.filter((n) => !n.includes(':')));

/** A vpasswd-ish line: well formed, short, blank, a comment, without ":", with a repeated name. */
const line = fc.oneof(
  fc
    .tuple(
      name,
      fc.string({ maxLength: 8 }).map((s) => s.replace(/[:\n]/g, '')),
    )
    .map(([n, rest]) => `${n}:$6$x:1:0:${rest}:/d/${n}:NOQUOTA`),
  fc.tuple(name, fc.nat(3)).map(([n, extra]) => `${n}${':x'.repeat(extra)}`),
  fc.constantFrom(
    '',
    ' ',
    '#comment',
    'garbage',
    'bob:x:1:notanumber:Bob:/d/bob:NOQUOTA',
    'é:x:1:0:é:/d/é:NOQUOTA',
    'x\r',
  ),
);

const vpasswdText = fc.oneof(
  fc
    .tuple(fc.array(line, { maxLength: 12 }), fc.boolean())
    .map(([lines, newline]) => lines.join('\n') + (newline && lines.length > 0 ? '\n' : '')),
  mutatedGolden(VPASSWD).map((b) => b.toString('latin1')),
);

/** Edits whose additions only use names the text does not have (the planner's promise). */
function editsFor(text: string): fc.Arbitrary<VpasswdEdits> {
  const present = new Set(linesOf(text).map(nameOf));
  const existing = [...present];
  const fresh = ['aaron', 'bea', 'mallory', 'zoe', 'n1', 'zz'].filter((n) => !present.has(n));
  const pick =
    existing.length > 0 ? fc.uniqueArray(fc.constantFrom(...existing), { maxLength: 3 }) : fc.constant([] as string[]);
  return fc
    .record({
      deletions: pick,
      replaced: pick,
      additions: fc.uniqueArray(fc.constantFrom(...fresh), { maxLength: 3 }),
    })
    .map(({ deletions, replaced, additions }) => ({
      deletions: new Set(deletions),
      replacements: new Map(
        replaced.filter((n) => !deletions.includes(n)).map((n) => [n, `${n}:NEW:1:0:${n}:/new/${n}:NOQUOTA`]),
      ),
      additions: additions.map((n) => ({ name: n, line: `${n}:ADDED:1:0:${n}:/new/${n}:NOQUOTA` })),
    }));
}

describe('editVpasswd', () => {
  it('keeps every line it was not told to change byte for byte and in order, and places each change once', () => {
    fc.assert(
      fc.property(
        vpasswdText.chain((text) => fc.tuple(fc.constant(text), editsFor(text))),
        ([text, edits]) => {
          const out = editVpasswd(text, edits);
          const before = linesOf(text);
          const after = linesOf(out);
          expect(out === '' || out.endsWith('\n')).toBe(true);
          const isAdded = (l: string) => edits.additions.some((a) => a.line === l);
          const untouched = (l: string) => !edits.deletions.has(nameOf(l)) && !edits.replacements.has(nameOf(l));
          // Unchanged lines: the same, in the same order, none lost, none invented.
          expect(after.filter((l) => !isAdded(l) && untouched(l))).toEqual(before.filter(untouched));
          // Each changed line stands where its line stood.
          const expectedBody = before.flatMap((l) => {
            const n = nameOf(l);
            if (edits.deletions.has(n)) return [];
            return [edits.replacements.get(n) ?? l];
          });
          expect(after.filter((l) => !isAdded(l))).toEqual(expectedBody);
          // Each addition once, in name order, before the first original line whose name sorts after it.
          const added = after.filter(isAdded);
          expect(added).toEqual([...edits.additions].sort((a, b) => (a.name < b.name ? -1 : 1)).map((a) => a.line));
          for (const addition of edits.additions) {
            const at = after.indexOf(addition.line);
            for (const earlier of after.slice(0, at).filter((l) => !isAdded(l)))
              expect(nameOf(earlier) <= addition.name).toBe(true);
          }
        },
      ),
      { numRuns: runs(400) },
    );
  });

  it('changes nothing when told nothing, except that the last line gets its newline', () => {
    fc.assert(
      fc.property(vpasswdText, (text) => {
        const out = editVpasswd(text, { deletions: new Set(), replacements: new Map(), additions: [] });
        expect(out).toBe(text === '' || text.endsWith('\n') ? text : `${text}\n`);
      }),
      { numRuns: runs(200) },
    );
  });

  it('never writes a second line for a name vpasswd already holds, malformed or not', () => {
    fc.assert(
      fc.property(vpasswdText, (text) => {
        const lines = linesOf(text);
        for (const m of parseVpasswd(text, 'vpasswd').malformed) {
          const name = m.name;
          const edit = {
            deletions: new Set<string>(),
            replacements: new Map<string, string>(),
            additions: [{ name, line: `${name}:NEW:1:0::/d:NOQUOTA` }],
          };
          expect(() => editVpasswd(text, edit)).toThrow(
            `vpasswd line ${lines.findIndex((l) => nameOf(l) === name) + 1} already holds "${name}"`,
          );
        }
      }),
      { numRuns: runs(200) },
    );
  });
});
