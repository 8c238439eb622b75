import { describe, expect, it } from 'vitest';
import { classifyDotQmail } from '../../src/formats/dot-qmail.js';
import { dotQmailListing, EXAMPLE_COM, goldenFile, goldenText, S06, S08, S15 } from '../live/golden.js';

const ALICE_DIR = `${EXAMPLE_COM}/alice`;
const BOB_DIR = `${EXAMPLE_COM}/bob`;

/** A `.qmail-<name>` of golden 08's example.com, final state. */
const file08 = (name: string): string => goldenFile(S08, `${EXAMPLE_COM}/${name}`);

describe('classifyDotQmail: domain-level .qmail-<name> files (golden 08)', () => {
  it('reads a hand-written forward "&target@example.net" for user alice', () => {
    expect(classifyDotQmail(file08('.qmail-alice'), { userDir: ALICE_DIR })).toEqual({
      kind: 'forward',
      to: ['target@example.net'],
      keepCopy: false,
    });
  });

  it('reads "&" and bare address lines alike (valias -i writes lines verbatim)', () => {
    expect(classifyDotQmail(file08('.qmail-info'))).toEqual({
      kind: 'forward',
      to: ['alice@example.com', 'external@example.net'],
      keepCopy: false,
    });
  });

  it("counts the user's own absolute Maildir line as keeping a copy, but only for that user", () => {
    const bob2 = file08('.qmail-bob2');
    expect(bob2).toBe('&target@example.net\n/home/vpopmail/domains/example.com/bob/Maildir/\n');
    expect(classifyDotQmail(bob2, { userDir: BOB_DIR })).toEqual({
      kind: 'forward',
      to: ['target@example.net'],
      keepCopy: true,
    });
    expect(classifyDotQmail(bob2, { userDir: ALICE_DIR })).toEqual({
      kind: 'unmanaged',
      reason:
        'line 2 delivers to a file or Maildir (not the user\'s own Maildir): "/home/vpopmail/domains/example.com/bob/Maildir/"',
      program: false,
    });
    expect(classifyDotQmail(bob2)).toEqual({
      kind: 'unmanaged',
      reason:
        'line 2 delivers to a file or Maildir (an alias has no mailbox of its own): "/home/vpopmail/domains/example.com/bob/Maildir/"',
      program: false,
    });
  });

  it('leaves a file that only delivers to a Maildir unmanaged', () => {
    expect(classifyDotQmail(file08('.qmail-copy'), { userDir: ALICE_DIR })).toEqual({
      kind: 'unmanaged',
      reason: "the file only delivers to the user's own Maildir",
      program: false,
    });
  });

  it('reports a "#" blackhole, an empty first line and a program line', () => {
    expect(classifyDotQmail(file08('.qmail-blackhole'))).toEqual({
      kind: 'unmanaged',
      reason: 'only comment lines: mail is accepted and silently dropped (blackhole): "#"',
      program: false,
    });
    expect(file08('.qmail-emptyline')).toBe('\n');
    expect(classifyDotQmail(file08('.qmail-emptyline'))).toEqual({
      kind: 'unmanaged',
      reason: 'the first line is empty: qmail-local defers every message ("first line of .qmail file is blank")',
      program: false,
    });
    // .qmail-prog existed until valias -d removed it; step 23 listed its content.
    const prog = dotQmailListing(S08, 23).get('.qmail-prog')!;
    expect(prog).toBe('|/usr/bin/true\n');
    expect(classifyDotQmail(prog)).toEqual({
      kind: 'unmanaged',
      reason: 'line 1 runs a program: "|/usr/bin/true"',
      program: true,
    });
  });

  it('classifies every file of the step-23 listing', () => {
    const kinds = Object.fromEntries(
      [...dotQmailListing(S08, 23)].map(([name, text]) => {
        const result = classifyDotQmail(text);
        return [
          name,
          result.kind === 'forward' ? result.to.join(',') : `unmanaged${result.program ? ' (program)' : ''}`,
        ];
      }),
    );
    expect(kinds).toEqual({
      '.qmail-blackhole': 'unmanaged',
      '.qmail-bob': 'bob@example.net',
      '.qmail-copy': 'unmanaged',
      '.qmail-default': 'unmanaged (program)',
      '.qmail-dot:upper': 'x@example.net',
      '.qmail-emptyline': 'unmanaged',
      '.qmail-info': 'alice@example.com,external@example.net',
      '.qmail-john:doe': 'jd@example.net',
      '.qmail-mixedcase': 'x@example.net',
      '.qmail-prog': 'unmanaged (program)',
      '.qmail-sales:team': 'x@example.net',
      '.qmail-with-dash': 'x@example.net',
    });
  });

  it('reports the catch-all lines vadddomain -e writes as program deliveries (golden 14)', () => {
    const text = goldenText('14-vadddomain-options-catchall', 'files/home/vpopmail/domains/fwd1.test/.qmail-default');
    expect(classifyDotQmail(text)).toEqual({
      kind: 'unmanaged',
      reason: 'line 1 runs a program: "| /home/vpopmail/bin/vdelivermail \'\' catchall@example.net"',
      program: true,
    });
  });
});

describe('classifyDotQmail: per-user <dir>/.qmail (qmailadmin style, read by vdelivermail)', () => {
  it('reads carol\'s forward with "./Maildir/" as keeping a copy (golden 15)', () => {
    const carol = goldenFile(S15, `${EXAMPLE_COM}/carol/.qmail`);
    expect(carol).toBe('&carol@example.net\n./Maildir/\n');
    expect(classifyDotQmail(carol, { userDir: `${EXAMPLE_COM}/carol`, perUser: true })).toEqual({
      kind: 'forward',
      to: ['carol@example.net'],
      keepCopy: true,
    });
    // "./Maildir/" only means the user's mailbox where vdelivermail chdir'd to it.
    expect(classifyDotQmail(carol, { userDir: `${EXAMPLE_COM}/carol` }).kind).toBe('unmanaged');
  });

  it("reads erin's forward-only file (golden 15)", () => {
    expect(
      classifyDotQmail(goldenFile(S15, `${EXAMPLE_COM}/erin/.qmail`), {
        userDir: `${EXAMPLE_COM}/erin`,
        perUser: true,
      }),
    ).toEqual({
      kind: 'forward',
      to: ['erin@example.net'],
      keepCopy: false,
    });
  });

  it("reports dave's comment-only file, which silently drops his mail (golden 15, before/)", () => {
    const dave = goldenText(S15, `before${EXAMPLE_COM}/dave/.qmail`);
    expect(classifyDotQmail(dave, { userDir: `${EXAMPLE_COM}/dave`, perUser: true })).toEqual({
      kind: 'unmanaged',
      reason: 'only comment lines: mail is accepted and silently dropped (blackhole): "# just a comment"',
      program: false,
    });
  });

  it("reads bob's forward with his absolute Maildir path (golden 06, before/)", () => {
    const bob = goldenText(S06, `before${EXAMPLE_COM}/bob/.qmail`);
    expect(classifyDotQmail(bob, { userDir: BOB_DIR, perUser: true })).toEqual({
      kind: 'forward',
      to: ['bob@example.net'],
      keepCopy: true,
    });
  });
});

describe('classifyDotQmail: edge cases qmail treats specially', () => {
  const base = file08('.qmail-bob');

  it('lowercases the domain of a target but keeps the local part', () => {
    expect(classifyDotQmail(base.replace('&bob@example.net', '&Bob@Example.NET'))).toEqual({
      kind: 'forward',
      to: ['Bob@example.net'],
      keepCopy: false,
    });
  });

  it('refuses an empty file, an empty inner line, a comment next to a forward and an invalid target', () => {
    expect(classifyDotQmail('')).toMatchObject({
      kind: 'unmanaged',
      reason: 'the file is empty: qmail delivers as if it did not exist',
    });
    expect(classifyDotQmail(`${base}\n${base}`)).toMatchObject({
      kind: 'unmanaged',
      reason: 'line 2 is empty (delivery may defer)',
    });
    expect(classifyDotQmail(`${base}${file08('.qmail-blackhole')}`)).toMatchObject({
      kind: 'unmanaged',
      reason: 'line 2 is a comment, which mailstate cannot keep: "#"',
    });
    expect(classifyDotQmail('&bob\n')).toMatchObject({
      kind: 'unmanaged',
      reason: 'line 1 "&bob": not an email address (user@domain)',
    });
    expect(classifyDotQmail('&bob@example.net \n')).toMatchObject({
      kind: 'unmanaged',
      reason: 'line 1 "&bob@example.net ": address contains white space',
    });
  });

  it('reads a last line without newline like qmail-local does', () => {
    expect(classifyDotQmail(base.trimEnd())).toEqual({ kind: 'forward', to: ['bob@example.net'], keepCopy: false });
  });
});
