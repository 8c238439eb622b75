/**
 * Shared arbitraries for the property-based tests: random text that is biased towards the
 * characters the vpopmail and qmail file formats care about, random bytes, and real golden files
 * (what vpopmail 5.6.13 wrote) with random damage done to them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';

export const GOLDEN = join(import.meta.dirname, '../fixtures/golden');

/** Characters that separate or mark things in vpasswd, assign, tcp.smtp, .qmail and .dir-control. */
const SPECIAL = [
  ':',
  '\n',
  '\r',
  '\t',
  ' ',
  '#',
  '.',
  '-',
  '+',
  '=',
  '/',
  '&',
  '|',
  ',',
  '"',
  '\0',
  '\u0085',
  '\u2028',
  'é',
  '\ud800',
  '0',
  '1',
  '9',
  'S',
  'C',
  'K',
  'M',
  'a',
  'Z',
  '@',
];

/** A string of any code points, control characters and lone surrogates included. */
export const anyString = (maxLength = 300): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: fc.constantFrom(...SPECIAL), maxLength }),
    fc.string({ unit: 'grapheme-ascii', maxLength }),
  );

/** Lines made of separator-heavy fields: the near-misses of real files. */
export const lineyText = (fieldUnit: fc.Arbitrary<string> = fc.constantFrom(...SPECIAL)): fc.Arbitrary<string> =>
  fc
    .array(
      fc.array(fc.string({ unit: fieldUnit, maxLength: 12 }), { maxLength: 10 }).map((fields) => fields.join(':')),
      { maxLength: 20 },
    )
    .chain((lines) => fc.boolean().map((newline) => lines.join('\n') + (newline && lines.length > 0 ? '\n' : '')));

/** Any text a reader may meet: random strings, separator soup, and line-structured near-misses. */
export const anyText = (maxLength = 300): fc.Arbitrary<string> => fc.oneof(anyString(maxLength), lineyText());

export const anyBytes = (maxLength = 4096): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength });

/** Every file under the golden corpus whose name `match` accepts (the path is relative to GOLDEN). */
export function goldenFiles(match: (name: string, path: string) => boolean): Array<{ path: string; data: Buffer }> {
  const found: Array<{ path: string; data: Buffer }> = [];
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const path = rel === '' ? name : `${rel}/${name}`;
      if (statSync(abs).isDirectory()) walk(abs, path);
      else if (match(name, path)) found.push({ path, data: readFileSync(abs) });
    }
  };
  walk(GOLDEN, '');
  if (found.length === 0) throw new Error('no golden file matched');
  return found;
}

type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; at: number; length: number };

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const separatorBytes = fc.constantFrom(
  ...[':', '\n', '#', '.', '\0', '\r\n', 'é', '\xff'].map((s) => Uint8Array.from(Buffer.from(s, 'latin1'))),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    bytes: fc.oneof(fc.uint8Array({ maxLength: 16 }), separatorBytes),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 200 }) }),
);

function mutate(data: Buffer, mutations: readonly Mutation[]): Buffer {
  let out = Buffer.from(data);
  for (const m of mutations) {
    const at = Math.floor(m.at * (out.length + 1));
    switch (m.kind) {
      case 'flip':
        if (out.length > 0) out[Math.min(at, out.length - 1)] = m.byte;
        break;
      case 'insert':
        out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
        break;
      case 'delete':
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.length)]);
        break;
      case 'truncate':
        out = out.subarray(0, at);
        break;
      case 'duplicate':
        out = Buffer.concat([out.subarray(0, at + m.length), out.subarray(at)]);
        break;
    }
  }
  return out;
}

/** A golden file with 0 to 6 random mutations (byte flips, inserts, deletes, truncation, repeats). */
export function mutatedGolden(files: ReadonlyArray<{ data: Buffer }>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.constantFrom(...files), fc.array(mutation, { maxLength: 6 }))
    .map(([file, mutations]) => mutate(file.data, mutations));
}

/** A golden file truncated at a random point (possibly its full length). */
export function truncatedGolden(files: ReadonlyArray<{ data: Buffer }>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.constantFrom(...files), position)
    .map(([file, at]) => file.data.subarray(0, Math.floor(at * (file.data.length + 1))));
}

/**
 * Runs `fn` and fails when it used more than `limitMs` of CPU time: parsers are linear, so a
 * small input that costs much CPU means a super-linear regex or a loop that does not advance.
 * CPU time, not wall time: a loaded machine stretches the wall time of a call, not the CPU time
 * it needs (test/support/cpu-time.ts; this relies on one test file per process, vitest's forks
 * pool). The limits at the call sites are at least 10 times what the call costs on an idle
 * machine, the first (not yet compiled) call included.
 */
export { withinCpuTime } from '../support/cpu-time.js';

/** Text split into lines the way every reader here does: a final "\n" ends the last line. */
export function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * The number of runs of a property: `n` by default, which keeps test/property fast enough for
 * every `npm test`; `PROPERTY_RUNS=<factor>` multiplies it for a longer hunt.
 */
export function runs(n: number): number {
  const factor = Number(process.env.PROPERTY_RUNS ?? '1');
  return Number.isFinite(factor) && factor > 0 ? Math.ceil(n * factor) : n;
}

/** A parser's messages never carry a control character: a damaged file must not drive the terminal that shows them. */
export function assertPrintableMessages(parse: (text: string) => ReadonlyArray<{ message: string }>): void {
  fc.assert(
    fc.property(
      fc.oneof(
        anyText(),
        anyBytes(300).map((b) => Buffer.from(b).toString('utf8')),
      ),
      (text) => {
        // eslint-disable-next-line no-control-regex
        for (const d of parse(text)) expect(d.message).not.toMatch(/[\u0000-\u001f\u007f]/);
      },
    ),
    { numRuns: runs(200) },
  );
}
