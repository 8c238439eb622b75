import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseDesiredText } from '../../src/desired/assemble.js';
import type { Result } from '../../src/model/diagnostic.js';
import type { DesiredState } from '../../src/model/state.js';
import { anyBytes, anyText, mutatedGolden, withinCpuTime, runs } from './support.js';

const FILE = 'mailstate.yaml';
const EXAMPLES = ['mailstate.full.yaml', 'mailstate.minimal.yaml', 'domains/example.info.yaml'].map((name) => ({
  path: name,
  data: readFileSync(join(import.meta.dirname, '../../examples', name)),
}));

/** What a failed load must say: at least one error, each error placed at a FILE:LINE:COL. */
function expectPlacedErrors(result: Result<DesiredState>): void {
  if (result.ok) return;
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.length).toBeGreaterThan(0);
  for (const d of errors) {
    expect(d.file, d.message).toBe(FILE);
    expect(d.line, d.message).toBeGreaterThanOrEqual(1);
    expect(d.col, d.message).toBeGreaterThanOrEqual(1);
  }
}

function load(text: string): Result<DesiredState> {
  return withinCpuTime(2000, () => parseDesiredText(text, FILE));
}

/** YAML-ish structures: random values under the real keys, so the schema and the rules get past the first check. */
const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('127.', '100M', 'none', 'empty', '../x', '|cmd', 'a:b', 'Bob', '$6$x', '-q'),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(
      fc.oneof(
        fc.string({ maxLength: 8 }),
        fc.constantFrom(
          'users',
          'password',
          'quota',
          'flags',
          'forward',
          'to',
          'keepCopy',
          'aliases',
          'comment',
          'env',
          'file',
        ),
      ),
      tie('node'),
      { maxKeys: 3 },
    ),
  ),
})).node;
const user = fc.dictionary(fc.constantFrom('password', 'quota', 'flags', 'forward', 'comment'), value, { maxKeys: 4 });
const document = fc.record(
  {
    version: fc.oneof(fc.constant(1), value),
    vpopmail: fc.oneof(fc.record({ home: fc.oneof(fc.constant('/home/vpopmail'), value) }), value),
    defaults: fc.oneof(fc.record({ quota: value }), value),
    policy: fc.oneof(fc.record({ prune: value, maxChangePercent: value }, { requiredKeys: [] }), value),
    relay: fc.oneof(
      fc.array(fc.oneof(fc.constantFrom('127.', '10.0.0.5', '', '0.', ':allow', '1.2.3.4,x'), value), { maxLength: 3 }),
      value,
    ),
    domains: fc.oneof(
      fc.dictionary(
        fc.oneof(fc.constantFrom('example.com', 'a.b', '../x', 'Example.COM', '-x.com'), fc.string({ maxLength: 10 })),
        fc.oneof(
          fc.record(
            {
              users: fc.dictionary(
                fc.oneof(fc.constantFrom('bob', 'postmaster', 'x', 'a b'), fc.string({ maxLength: 8 })),
                fc.oneof(user, value),
                { maxKeys: 3 },
              ),
              aliases: value,
            },
            { requiredKeys: [] },
          ),
          value,
        ),
        { maxKeys: 2 },
      ),
      value,
    ),
  },
  { requiredKeys: [] },
);

describe('parseDesiredText', () => {
  it('never throws on random strings, and places every error it reports', () => {
    fc.assert(
      fc.property(anyText(400), (text) => {
        expectPlacedErrors(load(text));
      }),
      { numRuns: runs(200) },
    );
  });

  it('never throws on random bytes decoded as UTF-8', () => {
    fc.assert(
      fc.property(anyBytes(400), (bytes) => {
        expectPlacedErrors(load(Buffer.from(bytes).toString('utf8')));
      }),
      { numRuns: runs(150) },
    );
  });

  it('never throws on random YAML structures under the real keys', () => {
    fc.assert(
      fc.property(document, fc.constantFrom<'block' | 'flow'>('block', 'flow'), (doc, style) => {
        const text = stringify(doc, style === 'flow' ? { collectionStyle: 'flow' } : {});
        expectPlacedErrors(load(text));
      }),
      { numRuns: runs(200) },
    );
  });

  it('never throws on damaged copies of the bundled examples', () => {
    fc.assert(
      fc.property(mutatedGolden(EXAMPLES), (bytes) => {
        expectPlacedErrors(load(bytes.toString('utf8')));
      }),
      { numRuns: runs(150) },
    );
  });
});
