import { describe, expect, it } from 'vitest';
import { withinCpuTime } from '../support/cpu-time.js';
import { HASH6, lines, yaml } from './helpers.js';

/** Inputs a malicious or careless pull request could carry; each must be refused with a clear message. */
describe('hostile inputs', () => {
  it('refuses deliveries to programs and files, and injected lines', () => {
    const text = yaml`
      version: 1
      domains:
        example.com:
          users:
            alice:
              comment: "Alice\nSmith"
              forward: { to: ["|/bin/sh -c 'rm -rf /'", /etc/passwd, ./Maildir/, "bob@example.org\n|/bin/sh", "&bob@example.org", "#x@example.org"] }
          aliases:
            root: ["|/usr/bin/id", "/root/Maildir/", "a b@example.org"]
    `;
    expect(lines(text)).toEqual([
      'mailstate.yaml:6:18: error: comment contains a control character or newline',
      'mailstate.yaml:7:25: error: to: "|/bin/sh -c \'rm -rf /\'" is refused: program deliveries ("|command") are not allowed',
      'mailstate.yaml:7:51: error: to: "/etc/passwd" is refused: file and Maildir deliveries are not allowed',
      'mailstate.yaml:7:64: error: to: "./Maildir/" is refused: file and Maildir deliveries are not allowed',
      'mailstate.yaml:7:76: error: to: "bob@example.org\\n|/bin/sh" is refused: address contains a control character',
      'mailstate.yaml:7:105: error: to: "&bob@example.org" is refused: write the address without the leading "&"',
      'mailstate.yaml:7:125: error: to: "#x@example.org" is refused: comment lines are not allowed',
      'mailstate.yaml:9:14: error: alias "root": "|/usr/bin/id" is refused: program deliveries ("|command") are not allowed',
      'mailstate.yaml:9:30: error: alias "root": "/root/Maildir/" is refused: file and Maildir deliveries are not allowed',
      'mailstate.yaml:9:48: error: alias "root": "a b@example.org" is refused: address contains white space',
    ]);
  });

  it('refuses names that escape directories or read as options', () => {
    const text = yaml`
      version: 1
      domains:
        example.com:
          users:
            ../x: {}
            -rf: {}
            "a/b": {}
            ".hidden": {}
            "a:b": {}
            "a\nb": {}
            "bob*": {}
            ROOT: {}
          aliases:
            "../../etc/x": [a@example.org]
            "-x": [a@example.org]
        ../evil.com: {}
        "EVIL.COM": {}
    `;
    expect(lines(text)).toEqual([
      'mailstate.yaml:5:7: error: user "../x": name contains "/"',
      'mailstate.yaml:6:7: error: user "-rf": name starts with "-" (vpopmail binaries would read it as an option)',
      'mailstate.yaml:7:7: error: user "a/b": name contains "/"',
      'mailstate.yaml:8:7: error: user ".hidden": name starts with "."',
      'mailstate.yaml:9:7: error: user "a:b": name contains ":"',
      'mailstate.yaml:10:7: error: user "a\\nb": name contains a control character',
      'mailstate.yaml:11:7: error: user "bob*": name may only contain a-z, 0-9 and . _ + = ! # & \' ^ { } ~ -',
      'mailstate.yaml:12:7: error: user "ROOT": name must be lowercase (vpopmail lowercases it): write "root"',
      'mailstate.yaml:14:7: error: alias "../../etc/x": name contains "/"',
      'mailstate.yaml:15:7: error: alias "-x": name starts with "-" (vpopmail binaries would read it as an option)',
      'mailstate.yaml:16:3: error: domain "../evil.com": domain name label "" is not valid (a-z, 0-9 and inner "-" only)',
      'mailstate.yaml:17:3: error: domain "EVIL.COM": domain name must be lowercase: write "evil.com"',
    ]);
  });

  it('refuses a hash with ":" (it would split the vpasswd line) without echoing it', () => {
    const text = `version: 1\ndomains:\n  example.com:\n    users:\n      alice: { password: "${HASH6}:0:0:x" }\n`;
    const out = lines(text);
    expect(out).toEqual([
      'mailstate.yaml:5:26: error: password: not a crypt hash vpopmail can verify (accepted: SHA-512 $6$, SHA-256 $5$, MD5 $1$, bcrypt $2y$ or DES); for a clear-text password write { env: NAME } or { file: path }',
    ]);
    expect(out.join('')).not.toContain('abcdefgh');
  });

  it('refuses open or malformed relay rules', () => {
    const text =
      'version: 1\nrelay: ["", "0-255.", "1.2.3.4:allow,X=1", "10.0.0.0/8", "host.example.com", "::1", " 10.0.0.1"]\n';
    expect(lines(text)).toEqual([
      'mailstate.yaml:2:9: error: relay: "" is refused: an empty relay prefix matches every client: that is an open relay',
      'mailstate.yaml:2:13: error: relay: "0-255." is refused: a range in the first octet is too wide for a relay rule',
      'mailstate.yaml:2:23: error: relay: "1.2.3.4:allow,X=1" is refused: relay address contains ":" (IPv6 and extra tcprules instructions are not supported)',
      'mailstate.yaml:2:44: error: relay: "10.0.0.0/8" is refused: relay address must be an IPv4 address or prefix such as 10.0.0.5 or 192.168.1.',
      'mailstate.yaml:2:58: error: relay: "host.example.com" is refused: relay address must be an IPv4 address or prefix such as 10.0.0.5 or 192.168.1.',
      'mailstate.yaml:2:78: error: relay: "::1" is refused: relay address contains ":" (IPv6 and extra tcprules instructions are not supported)',
      'mailstate.yaml:2:85: error: relay: " 10.0.0.1" is refused: relay address contains white space or a control character',
    ]);
  });

  it('refuses environment names and secret paths that could be abused', () => {
    const text =
      'version: 1\ndomains:\n  example.com:\n    users:\n      alice: { password: { env: "PATH; rm -rf /" } }\n      bob: { password: { file: "x\\ny" } }\n';
    expect(lines(text)).toEqual([
      'mailstate.yaml:5:33: error: env: the value is not an environment variable name (letters, digits and _, not starting with a digit); it is not shown, in case it is a password',
      'mailstate.yaml:6:32: error: file: the path contains a control character',
    ]);
  });

  it('fails fast on an alias bomb', () => {
    let text = 'version: 1\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i < 12; i++)
      text += `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    // CPU time, not wall time (test/support/cpu-time.ts): expanded, the bomb would be 9^12 nodes.
    expect(withinCpuTime(2000, () => lines(text))).toEqual([
      'mailstate.yaml:3:10: error: YAML aliases: Excessive alias count indicates a resource exhaustion attack',
    ]);
  });

  it('refuses absurdly deep nesting without overflowing the stack', () => {
    expect(lines(`version: 1\nx: ${'['.repeat(150)}${']'.repeat(150)}\n`)).toEqual([
      'mailstate.yaml:2:103: error: YAML: nested more than 100 levels deep',
    ]);
    expect(lines(`version: 1\nx: ${'['.repeat(200_000)}\n`)).toEqual([
      'mailstate.yaml:1:1: error: YAML: the document is nested too deeply',
    ]);
    expect(lines(`version: 1\nx: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`)).toEqual([
      'mailstate.yaml:1:1: error: YAML: the document is nested too deeply',
    ]);
  });

  it('reads CRLF files like LF files', () => {
    const text = `version: 1\ndomains:\n  example.com:\n    users:\n      bob: { comment: Bob B }\n      Eve: {}\n`;
    expect(lines(text.replace(/\n/g, '\r\n'))).toEqual(lines(text));
    expect(lines(text)).toEqual([
      'mailstate.yaml:6:7: error: user "Eve": name must be lowercase (vpopmail lowercases it): write "eve"',
    ]);
  });

  it('does not let __proto__ or constructor keys change objects', () => {
    const text =
      'version: 1\n__proto__: { polluted: true }\ndomains:\n  example.com:\n    users:\n      constructor: { comment: c }\n';
    expect(lines(text)).toEqual([
      'mailstate.yaml:2:1: error: unknown key "__proto__" in the top level (allowed: version, vpopmail, qmail, servers, defaults, policy, relay, include, domains)',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
