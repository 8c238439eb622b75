import { describe, expect, it } from 'vitest';
import type { FileDiffs } from '../../src/model/file-diff.js';
import { fileDiffsToJson, renderFileDiffs, renderFileDiffsMarkdown } from '../../src/render/file-diffs.js';
import { redactVpasswdLine, textOf, textPatch } from '../../src/render/file-patch.js';

const HASH = '$6$abcdefgh$xCmU6eXePqd8uT3.jYlk3Fgv/roflqiCi/twHrvHhPTT4qT0rTqu/3ZTFEf6uqFcl7eKyk81ngZEadU/ehEy51';
const line = (name: string, hash: string, clear: string) =>
  `${name}:${hash}:1:0:${name}:/home/vpopmail/domains/d.test/${name}:NOQUOTA:${clear}`;

describe('textPatch', () => {
  it('is a unified diff with three lines of context, a/ and b/ before the absolute path', () => {
    const before = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n';
    const after = 'l1\nl2\nl3\nl4\nL5\nl6\nl7\nl8\n';
    expect(textPatch('/var/qmail/control/rcpthosts', before, after)).toBe(
      [
        '--- a/var/qmail/control/rcpthosts',
        '+++ b/var/qmail/control/rcpthosts',
        '@@ -2,7 +2,7 @@',
        ' l2',
        ' l3',
        ' l4',
        '-l5',
        '+L5',
        ' l6',
        ' l7',
        ' l8',
        '',
      ].join('\n'),
    );
  });

  it('diffs a new file against /dev/null and marks a missing final newline', () => {
    expect(textPatch('/d/lastauth', undefined, '0.0.0.0')).toBe(
      '--- /dev/null\n+++ b/d/lastauth\n@@ -0,0 +1,1 @@\n+0.0.0.0\n\\ No newline at end of file\n',
    );
  });

  it('redacts vpasswd: a password change is a changed line, but neither hash nor clear text shows', () => {
    const before = `${line('alice', HASH, 'secret6')}\n${line('bob', '$1$xyz$abc', '')}\n`;
    const after = `${line('alice', '$6$other$hash', 'secret7')}\n${line('bob', '$1$xyz$abc', '')}\n`;
    const patch = textPatch('/home/vpopmail/domains/d.test/vpasswd', before, after);
    expect(patch.split('\n').slice(2)).toEqual([
      '@@ -1,2 +1,2 @@',
      `-${line('alice', '<hash>', '<clear>')}`,
      `+${line('alice', '<hash>', '<clear>')}`,
      ` ${line('bob', '<hash>', '')}`,
      '',
    ]);
    for (const secret of [HASH, 'secret6', 'secret7', '$6$other$hash', '$1$xyz$abc'])
      expect(patch).not.toContain(secret);
  });

  it('redacts only files named vpasswd', () => {
    expect(textPatch('/d/notes', undefined, 'a:b:c\n')).toContain('+a:b:c\n');
  });

  it('writes control and bidirectional characters of a line as \\u escapes', () => {
    const patch = textPatch('/d/.qmail-x', undefined, '&a\u001b[2J@x.test\u202e\tok\n');
    expect(patch).toContain('+&a\\u001b[2J@x.test\\u202e\tok\n');
    expect(patch).not.toContain('\u001b');
  });
});

describe('redactVpasswdLine', () => {
  it.each([
    [line('a', HASH, 'pw:with:colons'), line('a', '<hash>', '<clear>')],
    [line('a', HASH, ''), line('a', '<hash>', '')],
    ['a:x:1:0:a:/d/a:NOQUOTA', 'a:<hash>:1:0:a:/d/a:NOQUOTA'],
    ['a::1:0:a:/d/a:NOQUOTA', 'a::1:0:a:/d/a:NOQUOTA'],
    ['no colon at all', 'no colon at all'],
  ])('%s -> %s', (input, output) => {
    expect(redactVpasswdLine(input)).toBe(output);
  });
});

describe('textOf', () => {
  it('reads UTF-8, falls back to Latin-1, and calls bytes with a NUL binary', () => {
    expect(textOf(Buffer.from('Zoë\n'))).toBe('Zoë\n');
    expect(textOf(Buffer.from([0x5a, 0x6f, 0xeb, 0x0a]))).toBe('Zoë\n');
    expect(textOf(Buffer.from([1, 0, 2]))).toBeUndefined();
  });
});

const QMAIL_PATCH = textPatch('/h/domains/d/.qmail-x', '&a@b.c\n', '&``` x@b.c\n');

const SAMPLE: FileDiffs = {
  diffs: [
    { kind: 'mkdir', path: '/h/archive' },
    { kind: 'move', from: '/h/domains/d/bob', to: '/h/archive/d/bob-<UTC time>', archive: true },
    {
      kind: 'text',
      path: '/h/domains/d/.qmail-x',
      diff: QMAIL_PATCH,
    },
    { kind: 'binary', path: '/h/domains/d/vpasswd.cdb', created: false },
    { kind: 'remove', path: '/h/domains/d/u/Maildir/maildirsize' },
    { kind: 'run', argv: ['tcprules', '/h/etc/tcp.smtp.cdb', '/h/etc/tcp.smtp.tmp'] },
  ],
};

describe('renderFileDiffs', () => {
  it('prints the diffs in apply order, one line for everything that is not a text diff', () => {
    expect(renderFileDiffs(SAMPLE)).toBe(
      [
        'Files apply would change (files driver, dry run):',
        '',
        'mkdir /h/archive',
        'archive: mv /h/domains/d/bob /h/archive/d/bob-<UTC time>',
        '--- a/h/domains/d/.qmail-x',
        '+++ b/h/domains/d/.qmail-x',
        '@@ -1,1 +1,1 @@',
        '-&a@b.c',
        '+&``` x@b.c',
        'binary file rebuilt: /h/domains/d/vpasswd.cdb',
        'rm /h/domains/d/u/Maildir/maildirsize',
        'run: tcprules /h/etc/tcp.smtp.cdb /h/etc/tcp.smtp.tmp',
        '',
      ].join('\n'),
    );
  });

  it('colours + and - lines and hunk headers with the style given, never the file headers', () => {
    const style = { add: (s: string) => `<g>${s}`, remove: (s: string) => `<r>${s}`, change: (s: string) => `<y>${s}` };
    const lines = renderFileDiffs(SAMPLE, style).split('\n');
    expect(lines.slice(4, 9)).toEqual([
      '--- a/h/domains/d/.qmail-x',
      '+++ b/h/domains/d/.qmail-x',
      '<y>@@ -1,1 +1,1 @@',
      '<r>-&a@b.c',
      '<g>+&``` x@b.c',
    ]);
  });

  it('says when nothing would change, and when the dry run stopped', () => {
    expect(renderFileDiffs({ diffs: [], stopped: 'add-user x (d) failed: EACCES' })).toBe(
      'Files apply would change (files driver, dry run):\n\nNo file would change.\n\nThe dry run stopped: add-user x (d) failed: EACCES. apply would stop there too; what it would write before that is shown.\n',
    );
  });
});

describe('renderFileDiffsMarkdown', () => {
  it('folds each text file under its path, in a diff fence no line of the file can close', () => {
    expect(renderFileDiffsMarkdown(SAMPLE)).toBe(
      [
        '### Files apply would change',
        '',
        '<details><summary>/h/domains/d/.qmail-x</summary>',
        '',
        '````diff',
        '--- a/h/domains/d/.qmail-x',
        '+++ b/h/domains/d/.qmail-x',
        '@@ -1,1 +1,1 @@',
        '-&a@b.c',
        '+&``` x@b.c',
        '````',
        '',
        '</details>',
        '',
        '```text',
        'mkdir /h/archive',
        'archive: mv /h/domains/d/bob /h/archive/d/bob-<UTC time>',
        'binary file rebuilt: /h/domains/d/vpasswd.cdb',
        'rm /h/domains/d/u/Maildir/maildirsize',
        'run: tcprules /h/etc/tcp.smtp.cdb /h/etc/tcp.smtp.tmp',
        '```',
        '',
      ].join('\n'),
    );
  });

  it('escapes HTML in a summary', () => {
    const path = '/h/domains/d/.qmail-<b>&';
    const md = renderFileDiffsMarkdown({ diffs: [{ kind: 'text', path, diff: textPatch(path, undefined, 'x\n') }] });
    expect(md).toContain('<details><summary>/h/domains/d/.qmail-&#60;b&#62;&#38;</summary>');
  });
});

describe('fileDiffsToJson', () => {
  it('says where a dry run stopped', () => {
    expect(fileDiffsToJson({ diffs: [], stopped: 'x failed' })).toEqual({
      fileDiffs: [],
      fileOperations: [],
      fileDiffsStopped: 'x failed',
    });
  });

  it('gives fileDiffs (text and binary files) and fileOperations (the one-line rest)', () => {
    expect(fileDiffsToJson(SAMPLE)).toEqual({
      fileDiffs: [
        { path: '/h/domains/d/.qmail-x', diff: QMAIL_PATCH },
        { path: '/h/domains/d/vpasswd.cdb', binary: true },
      ],
      fileOperations: [
        'mkdir /h/archive',
        'archive: mv /h/domains/d/bob /h/archive/d/bob-<UTC time>',
        'rm /h/domains/d/u/Maildir/maildirsize',
        'run: tcprules /h/etc/tcp.smtp.cdb /h/etc/tcp.smtp.tmp',
      ],
    });
  });
});
