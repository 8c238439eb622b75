import { describe, expect, it } from 'vitest';
import { HASH6, lines, yaml } from './helpers.js';

/** One case per failure: the YAML, then exactly the diagnostics the CLI prints for it. */
const cases: Array<[string, string, string[]]> = [
  // --- YAML itself
  ['empty file', '', ['mailstate.yaml:1:1: error: the file is empty (write at least version: 1)']],
  ['comments only', '# nothing here\n', ['mailstate.yaml:1:1: error: the file is empty (write at least version: 1)']],
  [
    'a list instead of a map',
    '- a\n- b\n',
    ['mailstate.yaml:1:1: error: the file must be a map of settings (version: 1, domains: …), not a list'],
  ],
  [
    'unclosed flow list',
    'version: 1\nrelay: ["127.",\n',
    [
      'mailstate.yaml:3:1: error: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
  ],
  [
    'tab indentation',
    'version: 1\ndomains:\n\texample.com: {}\n',
    ['mailstate.yaml:3:1: error: YAML: Tabs are not allowed as indentation'],
  ],
  [
    'two documents',
    'version: 1\n---\nversion: 1\n',
    ['mailstate.yaml:2:1: error: YAML: the file holds more than one YAML document (---); mailstate reads one'],
  ],
  [
    'duplicate keys',
    yaml`
      version: 1
      version: 1
      domains:
        example.com:
          users:
            bob: {}
            bob: { quota: 1G, quota: 2G }
        example.com: {}
    `,
    [
      'mailstate.yaml:2:1: error: duplicate key "version" in the top level (first at line 1)',
      'mailstate.yaml:7:7: error: user "bob" is declared twice (first at line 6)',
      'mailstate.yaml:7:25: error: duplicate key "quota" (first at line 7)',
      'mailstate.yaml:8:3: error: domain "example.com" is declared twice (first at line 4)',
    ],
  ],
  [
    'alias bomb',
    yaml`
      version: 1
      a: &a [x, x, x, x, x, x, x, x, x, x]
      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
    `,
    ['mailstate.yaml:3:8: error: YAML aliases: Excessive alias count indicates a resource exhaustion attack'],
  ],
  // --- schema
  [
    'version missing',
    'domains: {}\n',
    ['mailstate.yaml:1:1: error: missing required key "version" (write version: 1 at the top of the file)'],
  ],
  ['version 2', 'version: 2\n', ['mailstate.yaml:1:10: error: version: must be 1, not 2']],
  ['version as a string', 'version: "1"\n', ['mailstate.yaml:1:10: error: version: must be 1, not "1"']],
  [
    'unknown top-level key',
    'version: 1\ndomain: {}\n',
    [
      'mailstate.yaml:2:1: error: unknown key "domain" in the top level (allowed: version, vpopmail, qmail, servers, defaults, policy, relay, include, domains)',
    ],
  ],
  [
    'unknown user key',
    yaml`
      version: 1
      domains:
        example.com:
          users:
            alice:
              quta: 1G
    `,
    [
      'mailstate.yaml:6:9: error: unknown key "quta" in user "alice" (allowed: password, quota, comment, flags, forward, server)',
    ],
  ],
  [
    'unknown domain key',
    'version: 1\ndomains:\n  example.com:\n    user: {}\n',
    [
      'mailstate.yaml:4:5: error: unknown key "user" in domain "example.com" (allowed: server, spread, defaults, aliasDomains, users, aliases)',
    ],
  ],
  [
    'unknown forward key',
    'version: 1\ndomains:\n  example.com:\n    users:\n      alice: { forward: { to: [a@example.org], keep: true } }\n',
    ['mailstate.yaml:5:48: error: unknown key "keep" in forward of user "alice" (allowed: to, keepCopy)'],
  ],
  [
    'unknown defaults key',
    'version: 1\ndefaults: { flags: [] }\ndomains:\n  example.com:\n    defaults: { comment: x }\n',
    [
      'mailstate.yaml:2:13: error: unknown key "flags" in defaults (allowed: quota, placement)',
      'mailstate.yaml:5:17: error: unknown key "comment" in defaults of domain "example.com" (allowed: quota)',
    ],
  ],
  [
    'forward without to',
    'version: 1\ndomains:\n  example.com:\n    users:\n      alice: { forward: { keepCopy: true } }\n',
    ['mailstate.yaml:5:25: error: forward of user "alice" is missing required key "to"'],
  ],
  [
    'vpopmail without home, relative qmail home',
    'version: 1\nvpopmail: {}\nqmail: { home: var/qmail }\n',
    [
      'mailstate.yaml:2:11: error: vpopmail is missing required key "home"',
      'mailstate.yaml:3:16: error: home: must be an absolute path (starting with "/"), not "var/qmail"',
    ],
  ],
  [
    'policy types and range',
    'version: 1\npolicy: { prune: yes, maxChangePercent: 130 }\n',
    [
      'mailstate.yaml:2:18: error: prune: must be true or false, not "yes"',
      'mailstate.yaml:2:41: error: maxChangePercent: must be from 0 to 100, not 130',
    ],
  ],
  [
    'maxChangePercent fraction',
    'version: 1\npolicy: { maxChangePercent: 12.5 }\n',
    ['mailstate.yaml:2:29: error: maxChangePercent: must be a whole number, not 12.5'],
  ],
  [
    'maxChanges zero',
    'version: 1\npolicy:\n  maxChanges: 0\n',
    ['mailstate.yaml:3:15: error: maxChanges: must be at least 1, not 0'],
  ],
  [
    'maxChanges fraction',
    'version: 1\npolicy: { maxChanges: 2.5 }\n',
    ['mailstate.yaml:2:23: error: maxChanges: must be a whole number, not 2.5'],
  ],
  [
    'maxChanges text',
    'version: 1\npolicy: { maxChanges: "100" }\n',
    ['mailstate.yaml:2:23: error: maxChanges: must be a whole number, not "100"'],
  ],
  [
    'relay: with nothing',
    'version: 1\nrelay:\n',
    [
      'mailstate.yaml:2:1: error: relay: must be a list, not empty (write relay: [] to manage tcp.smtp with no relays, or leave the key out to leave tcp.smtp alone)',
    ],
  ],
  [
    'relay prefix read as a number',
    'version: 1\nrelay: [127., 10.]\n',
    [
      'mailstate.yaml:2:9: error: relay: must be a string, not 127 (write it in quotes: "127.")',
      'mailstate.yaml:2:15: error: relay: must be a string, not 10 (write it in quotes: "10.")',
    ],
  ],
  [
    'comment read as a number',
    'version: 1\ndomains:\n  example.com:\n    users:\n      alice: { comment: 2024 }\n',
    ['mailstate.yaml:5:25: error: comment: must be a string, not 2024 (write it in quotes: "2024")'],
  ],
  [
    'user as a list, domain as a string',
    'version: 1\ndomains:\n  example.com:\n    users:\n      bob: [x]\n  example.org: yes\n',
    [
      'mailstate.yaml:5:12: error: user "bob": must be a map or empty, not a list',
      'mailstate.yaml:6:16: error: domain "example.org": must be a map or empty, not "yes"',
    ],
  ],
  [
    'unknown flag',
    'version: 1\ndomains:\n  example.com:\n    users:\n      alice: { flags: [no_imapp] }\n',
    [
      'mailstate.yaml:5:24: error: flags: "no_imapp" is not a vpopmail flag (allowed: no_password_change, no_pop, no_webmail, no_imap, bounce_mail, no_relay, no_dialup, user0, user1, user2, user3, no_smtp, qa_admin, override, no_spamassassin, delete_spam, sa_admin, sa_expert, no_maildrop)',
    ],
  ],
  [
    'empty forward and alias lists',
    'version: 1\ndomains:\n  example.com:\n    users:\n      alice: { forward: { to: [] } }\n    aliases:\n      sales: []\n',
    [
      'mailstate.yaml:5:31: error: to: must not be empty',
      'mailstate.yaml:7:14: error: alias "sales": must not be empty',
    ],
  ],
  [
    'too many forward targets',
    `version: 1\ndomains:\n  example.com:\n    users:\n      alice: { forward: { to: [${Array.from({ length: 101 }, (_, i) => `u${i}@example.org`).join(', ')}] } }\n`,
    ['mailstate.yaml:5:31: error: to: lists 101 entries; at most 100 are allowed'],
  ],
  ['empty include pattern', 'version: 1\ninclude: [""]\n', ['mailstate.yaml:2:11: error: include: must not be empty']],
  // --- rules
  [
    'duplicate list items',
    yaml`
      version: 1
      relay: [10.0.0.5, "10.0.0.5"]
      domains:
        example.com:
          aliasDomains: [example.net, example.net]
          users:
            alice:
              flags: [no_imap, no_pop, no_imap]
              forward: { to: [a@example.org, a@EXAMPLE.org] }
          aliases:
            sales: [b@example.org, c@example.org, b@example.org]
    `,
    [
      'mailstate.yaml:2:19: error: relay: "10.0.0.5" is listed twice (first at line 2)',
      'mailstate.yaml:5:33: error: aliasDomains: "example.net" is listed twice (first at line 5)',
      'mailstate.yaml:8:34: error: flags: "no_imap" is listed twice (first at line 8)',
      'mailstate.yaml:9:40: error: to: "a@EXAMPLE.org" is listed twice (first at line 9)',
      'mailstate.yaml:11:45: error: alias "sales": "b@example.org" is listed twice (first at line 11)',
    ],
  ],
  [
    'alias domains that clash',
    yaml`
      version: 1
      domains:
        example.com:
          aliasDomains: [example.org, example.net]
        example.org: {}
        example.info:
          aliasDomains: [example.net, EXAMPLE.biz]
    `,
    [
      'mailstate.yaml:4:20: error: aliasDomains: "example.org" is also declared as a domain (at line 5)',
      'mailstate.yaml:7:20: error: aliasDomains: "example.net" is already an alias domain of "example.com" (at line 4)',
      'mailstate.yaml:7:33: error: aliasDomains: "EXAMPLE.biz" is not valid: domain name must be lowercase: write "example.biz"',
    ],
  ],
  [
    "alias with a user's name",
    'version: 1\ndomains:\n  example.com:\n    users:\n      bob: {}\n    aliases:\n      bob: [x@example.org]\n',
    [
      'mailstate.yaml:7:7: error: alias "bob" has the same name as a user of domain "example.com" (the alias would shadow the mailbox)',
    ],
  ],
  [
    'catch-all alias names',
    'version: 1\ndomains:\n  example.com:\n    aliases:\n      default: [x@example.org]\n      list-default: [x@example.org]\n',
    [
      'mailstate.yaml:5:7: error: alias "default": "default" would be a qmail wildcard (.qmail-default); catch-alls are not managed',
      'mailstate.yaml:6:7: error: alias "list-default": "list-default" would be a qmail wildcard (.qmail-list-default); catch-alls are not managed',
    ],
  ],
  [
    'bad domain names',
    'version: 1\ndomains:\n  Example.COM: {}\n  localhost: {}\n  a_b.example: {}\n',
    [
      'mailstate.yaml:3:3: error: domain "Example.COM": domain name must be lowercase: write "example.com"',
      'mailstate.yaml:4:3: error: domain "localhost": domain name needs at least one "."',
      'mailstate.yaml:5:3: error: domain "a_b.example": domain name label "a_b" is not valid (a-z, 0-9 and inner "-" only)',
    ],
  ],
  [
    'reserved and short user names',
    'version: 1\ndomains:\n  example.com:\n    users:\n      x: {}\n      vpasswd: {}\n      Bob: {}\n',
    [
      'mailstate.yaml:5:7: error: user "x": one-character user names are refused by vpopmail (hashed user directories)',
      'mailstate.yaml:6:7: error: user "vpasswd": "vpasswd" is reserved by vpopmail',
      'mailstate.yaml:7:7: error: user "Bob": name must be lowercase (vpopmail lowercases it): write "bob"',
    ],
  ],
  [
    'comment too long',
    `version: 1\ndomains:\n  example.com:\n    users:\n      alice: { comment: ${'x'.repeat(65)} }\n`,
    ['mailstate.yaml:5:25: error: comment is longer than 64 bytes'],
  ],
  [
    'password forms',
    yaml`
      version: 1
      domains:
        example.com:
          users:
            p1: { password: hunter2 }
            p2: { password: { env: 1BAD } }
            p3: { password: { env: A, file: b } }
            p4: { password: {} }
            p5: { password: { envv: X } }
            p6: { password: 123456 }
            p7: { password: }
            p8: { password: "" }
            p9: { password: { file: "" } }
    `,
    [
      'mailstate.yaml:5:23: error: password: not a crypt hash vpopmail can verify (accepted: SHA-512 $6$, SHA-256 $5$, MD5 $1$, bcrypt $2y$ or DES); for a clear-text password write { env: NAME } or { file: path }',
      'mailstate.yaml:6:30: error: env: the value is not an environment variable name (letters, digits and _, not starting with a digit); it is not shown, in case it is a password',
      'mailstate.yaml:7:33: error: password: give env or file, not both',
      'mailstate.yaml:8:23: error: password: write { env: NAME } or { file: path }',
      'mailstate.yaml:9:25: error: unknown key "envv" in password (allowed: env, file)',
      'mailstate.yaml:10:23: error: password: must be a crypt hash, { env: NAME } or { file: path }, not a number',
      'mailstate.yaml:11:13: error: password: is empty; leave the key out to keep the current password, or write a crypt hash, { env: NAME } or { file: path }',
      'mailstate.yaml:12:23: error: password: is empty; leave the key out to keep the current password',
      'mailstate.yaml:13:31: error: file: must be a path, not ""',
    ],
  ],
  [
    'password file outside the directory (a warning)',
    `version: 1\ndomains:\n  example.com:\n    users:\n      alice: { password: ${HASH6} }\n      bob: { password: { file: ../secrets/bob } }\n`,
    ['mailstate.yaml:6:32: warning: file: "../secrets/bob" is outside the directory of mailstate.yaml'],
  ],
];

describe('diagnostics', () => {
  it.each(cases)('%s', (_name, text, expected) => {
    expect(lines(text)).toEqual(expected);
  });

  it('never repeats a password value, valid or not', () => {
    const text = yaml`
      version: 1
      domains:
        example.com:
          users:
            alice: { password: "S3cret:pass" }
            bob: { password: "$6$short$toolittle" }
    `;
    const out = lines(text).join('\n');
    expect(out).not.toContain('S3cret');
    expect(out).not.toContain('toolittle');
    expect(lines(text)).toHaveLength(2);
  });

  it('reports every problem of a file at once, in file order', () => {
    const text = yaml`
      version: 2
      polcy: {}
      relay: [127., ""]
      domains:
        Example.com:
          users:
            Alice: { quta: 1G }
            carol:
              password: hunter2
              quota: 0
              comment: "a\nb"
              flags: [no_imapp]
              forward: { to: ["|/bin/sh"], keepCopy: maybe }
          aliases:
            carol: [x@example.org]
    `;
    expect(lines(text)).toEqual([
      'mailstate.yaml:1:10: error: version: must be 1, not 2',
      'mailstate.yaml:2:1: error: unknown key "polcy" in the top level (allowed: version, vpopmail, qmail, servers, defaults, policy, relay, include, domains)',
      'mailstate.yaml:3:9: error: relay: must be a string, not 127 (write it in quotes: "127.")',
      'mailstate.yaml:3:15: error: relay: "" is refused: an empty relay prefix matches every client: that is an open relay',
      'mailstate.yaml:5:3: error: domain "Example.com": domain name must be lowercase: write "example.com"',
      'mailstate.yaml:7:7: error: user "Alice": name must be lowercase (vpopmail lowercases it): write "alice"',
      'mailstate.yaml:7:16: error: unknown key "quta" in user "Alice" (allowed: password, quota, comment, flags, forward, server)',
      'mailstate.yaml:9:19: error: password: not a crypt hash vpopmail can verify (accepted: SHA-512 $6$, SHA-256 $5$, MD5 $1$, bcrypt $2y$ or DES); for a clear-text password write { env: NAME } or { file: path }',
      'mailstate.yaml:10:16: error: quota: 0 is not a quota (vpopmail would store an empty quota field): write none for no limit, or a size such as 100M',
      'mailstate.yaml:11:18: error: comment contains a control character or newline',
      'mailstate.yaml:12:17: error: flags: "no_imapp" is not a vpopmail flag (allowed: no_password_change, no_pop, no_webmail, no_imap, bounce_mail, no_relay, no_dialup, user0, user1, user2, user3, no_smtp, qa_admin, override, no_spamassassin, delete_spam, sa_admin, sa_expert, no_maildrop)',
      'mailstate.yaml:13:25: error: to: "|/bin/sh" is refused: program deliveries ("|command") are not allowed',
      'mailstate.yaml:13:48: error: keepCopy: must be true or false, not "maybe"',
      'mailstate.yaml:15:7: error: alias "carol" has the same name as a user of domain "Example.com" (the alias would shadow the mailbox)',
    ]);
  });
});
