import { describe, expect, it } from 'vitest';
import { parseTcpRules } from '../../src/formats/tcp-rules.js';
import { goldenFile, goldenText, S10 } from '../live/golden.js';

const FILE = '/home/vpopmail/etc/tcp.smtp';

describe('parseTcpRules', () => {
  it('recognises the managed relay lines of the brief\'s tcp.smtp and keeps ":allow" verbatim (golden 10)', () => {
    const parsed = parseTcpRules(goldenFile(S10, FILE), FILE);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.lines).toEqual([
      { kind: 'relay', address: '127.', line: 1, text: '127.:allow,RELAYCLIENT=""' },
      { kind: 'relay', address: '192.168.1.', line: 2, text: '192.168.1.:allow,RELAYCLIENT=""' },
      { kind: 'relay', address: '10.0.0.5', line: 3, text: '10.0.0.5:allow,RELAYCLIENT=""' },
      { kind: 'relay', address: '172.16.', line: 4, text: '172.16.:allow,RELAYCLIENT=""' },
      { kind: 'other', text: ':allow', line: 5 },
    ]);
  });

  it('keeps every line of the tcprules encoding demo, recognising only exact relay rules (golden 10)', () => {
    const parsed = parseTcpRules(goldenText(S10, 'files/tmp/tcprules-demo/rules'), '/tmp/tcprules-demo/rules');
    // Comments, "deny", extra variables, host names, info@ip and a blank-only line are all kept as they are.
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.lines.map((l) => (l.kind === 'relay' ? `relay ${l.address}` : `other ${l.text}`))).toEqual([
      'other # comment line',
      'relay 127.0.0.1',
      'relay 10.1.2.3-5',
      'relay 10.9-10.',
      'other 192.0.2.66:deny',
      'other 192.0.2.:allow,RELAYCLIENT="",RBLSMTPD="-blocked",QMAILQUEUE="/var/qmail/bin/qmail-queue"',
      'other =mail.example.net:allow,RELAYCLIENT=""',
      'other =.example.org:allow',
      "other postfix@192.0.2.1:allow,X='single quoted'",
      'other 192.0.2.7:allow,RELAYCLIENT="",RELAYCLIENT="second"',
      'other    ',
      'other :allow',
    ]);
    expect(parsed.lines.map((l) => l.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('warns about a line without ":", which tcprules silently skips (step 17 compiled such a file to an empty cdb)', () => {
    // A hand edit of the golden file: the ":" of line 2 deleted.
    const text = goldenFile(S10, FILE).replace('192.168.1.:allow', '192.168.1.allow');
    const parsed = parseTcpRules(text, FILE);
    expect(parsed.lines[1]).toEqual({ kind: 'other', text: '192.168.1.allow,RELAYCLIENT=""', line: 2 });
    expect(parsed.diagnostics).toEqual([
      {
        severity: 'warning',
        code: 'tcp-smtp-skipped-line',
        message: 'tcp.smtp line 2 has no ":", so tcprules silently skips it: "192.168.1.allow,RELAYCLIENT=\\"\\""',
        file: FILE,
        line: 2,
      },
    ]);
  });

  it('does not take a rule with trailing blanks or a different value for its own', () => {
    const text = goldenFile(S10, FILE)
      .replace('10.0.0.5:allow,RELAYCLIENT=""', '10.0.0.5:allow,RELAYCLIENT="" ')
      .replace('127.:allow,RELAYCLIENT=""', '127.:allow,RELAYCLIENT="x"');
    const parsed = parseTcpRules(text, FILE);
    expect(parsed.lines.filter((l) => l.kind === 'relay').map((l) => l.line)).toEqual([2, 4]);
    expect(parsed.diagnostics).toEqual([]);
  });
});
