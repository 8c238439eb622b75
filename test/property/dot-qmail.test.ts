import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dotQmailContent } from '../../src/apply/dot-qmail-write.js';
import { classifyDotQmail, type DotQmailContext } from '../../src/formats/dot-qmail.js';
import { targetProblem } from '../../src/model/names.js';
import { anyBytes, anyText, goldenFiles, mutatedGolden, withinCpuTime, runs } from './support.js';

const DOT_QMAIL = goldenFiles((name) => name.startsWith('.qmail'));

const dotQmailText = fc.oneof(
  anyText(),
  anyBytes(400).map((b) => Buffer.from(b).toString('utf8')),
  mutatedGolden(DOT_QMAIL).map((b) => b.toString('utf8')),
  fc
    .array(
      fc.constantFrom(
        '&bob@example.net',
        'bob@example.net',
        '|/bin/true',
        './Maildir/',
        '/home/vpopmail/domains/example.com/bob/Maildir/',
        '# note',
        '',
        '&x',
        'a b@c.d',
      ),
      { maxLength: 5 },
    )
    .map((l) => `${l.join('\n')}\n`),
);

const context: fc.Arbitrary<DotQmailContext> = fc.oneof(
  fc.constant({}),
  fc.record(
    {
      userDir: fc.constantFrom('/home/vpopmail/domains/example.com/bob', 'relative', '', '/d/'),
      perUser: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
);

/** Addresses mailstate accepts as forward targets. */
const local = fc
  .string({ unit: fc.constantFrom(...'abcxyz019_+-'), minLength: 1, maxLength: 10 })
  .filter((l) => !l.startsWith('-'));
const domain = fc
  .array(fc.string({ unit: fc.constantFrom(...'abcz09'), minLength: 1, maxLength: 6 }), { minLength: 2, maxLength: 3 })
  .map((l) => l.join('.'));
const target = fc
  .tuple(local, domain)
  .map(([l, d]) => `${l}@${d}`)
  .filter((t) => targetProblem(t) === undefined);

describe('classifyDotQmail', () => {
  it('never throws and answers fast; a forward only names valid addresses, a program file is never a forward', () => {
    fc.assert(
      fc.property(dotQmailText, context, (text, ctx) => {
        const result = withinCpuTime(500, () => classifyDotQmail(text, ctx));
        if (result.kind === 'forward') {
          expect(result.to.length).toBeGreaterThan(0);
          for (const to of result.to) expect(targetProblem(to)).toBeUndefined();
          expect(text.split('\n').some((line) => line.startsWith('|'))).toBe(false);
          if (result.keepCopy) expect(ctx.userDir !== undefined || ctx.perUser).toBeTruthy();
        } else {
          expect(result.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: runs(400) },
    );
  });

  it('reads back the forward mailstate writes, with and without a kept copy', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(target, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.boolean(),
        (to, keepCopy, perUser) => {
          const userDir = '/home/vpopmail/domains/example.com/bob';
          const text = dotQmailContent(
            to,
            keepCopy ? { userDir, user: 'bob', domainDir: '/home/vpopmail/domains/example.com' } : undefined,
          );
          expect(classifyDotQmail(text, { userDir, perUser })).toEqual({ kind: 'forward', to, keepCopy });
          // An alias has no mailbox: the same file with a Maildir line is not an alias.
          expect(classifyDotQmail(text).kind).toBe(keepCopy ? 'unmanaged' : 'forward');
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it('never writes a line that is not a plain address or the own Maildir, whatever it is given', () => {
    const domainDir = '/home/vpopmail/domains/example.com';
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 4 }), fc.string(), (to, dir) => {
        let text: string;
        try {
          text = dotQmailContent(to, { userDir: dir, user: 'bob', domainDir });
        } catch {
          return;
        }
        for (const line of text.split('\n').slice(0, -1)) {
          expect(line === `${dir}/Maildir/` || (line.startsWith('&') && !line.includes('\n'))).toBe(true);
        }
        expect(
          dir === `${domainDir}/bob` || /^\/home\/vpopmail\/domains\/example\.com\/([0-9A-Za-z]\/)+bob$/.test(dir),
        ).toBe(true);
      }),
      { numRuns: runs(300) },
    );
    expect(() =>
      dotQmailContent(['x@example.net'], { userDir: '|/usr/bin/touch /tmp/pwned ', user: 'bob', domainDir }),
    ).toThrow(/refusing to write a Maildir line for bob/);
    expect(() => dotQmailContent(['|/usr/bin/touch /tmp/pwned'], undefined)).toThrow(
      /refusing to write the \.qmail line/,
    );
  });

  describe('classifyDotQmail on large input', () => {
    it('stays linear: a long address, many forward lines', () => {
      for (const text of [
        `&${'a'.repeat(1_000_000)}@example.net\n`,
        '&bob@example.net\n'.repeat(60_000),
        `${'.'.repeat(1_000_000)}\n`,
      ]) {
        withinCpuTime(3000, () => classifyDotQmail(text, { userDir: '/d/bob' }));
      }
    });
  });
});
