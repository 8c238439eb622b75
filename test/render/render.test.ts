import { describe, expect, it } from 'vitest';
import { summarise, type Change, type Plan } from '../../src/model/change.js';
import { FLAG_BITS } from '../../src/model/flags.js';
import { renderJson } from '../../src/render/json.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { planDigest } from '../../src/render/digest.js';
import { renderText } from '../../src/render/text.js';
import { HASH_SECRET6, HOME } from '../support/builders.js';

const D = 'example.com';

function planOf(changes: Change[], extra: Partial<Plan> = {}): Plan {
  return {
    changes,
    unmanaged: [],
    unmanagedDomains: [],
    warnings: [],
    thresholdBreaches: [],
    policyBreaches: [],
    thresholdExemptions: [],
    summary: summarise(changes),
    ...extra,
  };
}

const everyKind: Change[] = [
  { kind: 'add-domain', domain: 'new.example', dir: `${HOME}/domains/new.example` },
  { kind: 'add-alias-domain', domain: 'new.example', alias: 'new.example.net' },
  {
    kind: 'add-user',
    domain: 'new.example',
    user: { name: 'postmaster', comment: 'Postmaster', quota: 'NOQUOTA', flags: 0 },
    password: { kind: 'hash', hash: HASH_SECRET6 },
  },
  { kind: 'rebuild-vpasswd-cdb', domain: 'new.example', reason: 'users changed' },
  {
    kind: 'delete-forward',
    domain: D,
    name: 'bob',
    before: { to: ['b@example.net'], keepCopy: false },
    file: `${HOME}/domains/${D}/.qmail-bob`,
  },
  { kind: 'delete-alias', domain: D, name: 'old', before: ['x@example.org'], file: `${HOME}/domains/${D}/.qmail-old` },
  {
    kind: 'delete-user',
    domain: D,
    name: 'bob',
    dir: `${HOME}/domains/${D}/bob`,
    archiveParent: `${HOME}/archive/${D}`,
  },
  {
    kind: 'add-user',
    domain: D,
    user: { name: 'carol', comment: 'Carol C', quota: '1073741824S', flags: FLAG_BITS.no_imap | FLAG_BITS.no_pop },
    password: { kind: 'clear', clear: 'TOPSECRET', source: 'env:CAROL_PW' },
  },
  {
    kind: 'modify-user',
    domain: D,
    name: 'alice',
    fields: [
      { field: 'password' },
      { field: 'comment', before: 'alice', after: 'Alice "A" Smith' },
      { field: 'quota', before: 'NOQUOTA', after: '104857600S,500C' },
      { field: 'flags', before: FLAG_BITS.no_pop, after: FLAG_BITS.no_imap },
    ],
    after: { name: 'alice', comment: 'Alice "A" Smith', quota: '104857600S,500C', flags: FLAG_BITS.no_imap },
    password: { kind: 'hash', hash: HASH_SECRET6 },
  },
  { kind: 'rebuild-vpasswd-cdb', domain: D, reason: 'users changed' },
  { kind: 'add-forward', domain: D, name: 'carol', after: { to: ['c@example.net', 'd@example.net'], keepCopy: true } },
  {
    kind: 'modify-forward',
    domain: D,
    name: 'alice',
    before: { to: ['a@example.net'], keepCopy: false },
    after: { to: ['z@example.net'], keepCopy: true },
    file: `${HOME}/domains/${D}/.qmail-alice`,
  },
  { kind: 'add-alias', domain: D, name: 'sales', to: ['alice@example.com', 'bob@example.org'] },
  {
    kind: 'modify-alias',
    domain: D,
    name: 'info',
    before: ['a@example.org', 'b@example.org'],
    after: ['b@example.org', 'c@example.org'],
  },
  { kind: 'delete-relay', address: '10.9.', line: 3 },
  { kind: 'add-relay', address: '10.0.0.5' },
  { kind: 'rebuild-tcp-smtp-cdb', reason: 'relay rules changed' },
];

describe('text plan', () => {
  it('renders every change kind Terraform-style, grouped by domain, with the summary line', () => {
    const plan = planOf(everyKind, {
      unmanagedDomains: ['other.example'],
      unmanaged: [
        {
          domain: D,
          kind: 'catch-all',
          name: 'default',
          file: `${HOME}/domains/${D}/.qmail-default`,
          reason: "catch-all: | /home/vpopmail/bin/vdelivermail '' delete",
        },
      ],
    });
    expect(renderText(plan)).toBe(
      [
        'new.example',
        `  + domain new.example (${HOME}/domains/new.example)`,
        '  + alias domain new.example.net -> new.example',
        '  + user postmaster',
        '      comment:  "Postmaster"',
        '      quota:    none',
        '      flags:    none',
        '      password: (set from hash)',
        '  * rebuild vpasswd.cdb (users changed)',
        '',
        'example.com',
        '  - forward bob (was -> b@example.net)',
        '  - alias old (was -> x@example.org)',
        `  - user bob (mailbox ${HOME}/domains/example.com/bob archived to ${HOME}/archive/example.com/bob-<UTC time>/)`,
        '  + user carol',
        '      comment:  "Carol C"',
        '      quota:    1G',
        '      flags:    no_pop, no_imap',
        '      password: (set from env:CAROL_PW)',
        '  ~ user alice',
        '      password: (changed)',
        '      comment:  "alice" -> "Alice \\"A\\" Smith"',
        '      quota:    none -> 100M + 500 messages',
        '      flags:    +no_imap -no_pop',
        '  * rebuild vpasswd.cdb (users changed)',
        '  + forward carol -> c@example.net, d@example.net (keeps a copy)',
        '  ~ forward alice: +z@example.net -a@example.net, now keeps a copy',
        '  + alias sales -> alice@example.com, bob@example.org',
        '  ~ alias info: +c@example.org -a@example.org',
        '',
        'relay (tcp.smtp)',
        '  - relay 10.9. (tcp.smtp line 3)',
        '  + relay 10.0.0.5',
        '  * rebuild tcp.smtp.cdb (relay rules changed)',
        '',
        'Left alone (not managed by mailstate):',
        '  domains not in the YAML: other.example',
        `  example.com: catch-all "default" (${HOME}/domains/example.com/.qmail-default): catch-all: | /home/vpopmail/bin/vdelivermail '' delete`,
        '',
        'Plan: 7 to add, 3 to change, 4 to delete, 3 CDB rebuilds.',
        '',
      ].join('\n'),
    );
  });

  it('says so when nothing changes', () => {
    expect(renderText(planOf([]))).toBe('No changes. The live state matches mailstate.yaml.\n');
  });

  it('warns about a threshold breach', () => {
    const plan = planOf([], {
      thresholdBreaches: [{ domain: D, liveUsers: 20, affectedUsers: 12, percent: 60, limit: 30 }],
    });
    expect(renderText(plan)).toContain(
      'Warning: example.com: 12 of 20 users (60%) deleted or changed, over policy.maxChangePercent 30%: apply refuses this without --force.',
    );
  });
});

describe('markdown plan', () => {
  it('leads with the counts, calls out destructive changes and folds the full plan', () => {
    const md = renderMarkdown(planOf(everyKind));
    const lines = md.split('\n');
    expect(lines.slice(0, 9)).toEqual([
      '## mailstate plan',
      '',
      '**Plan: 7 to add, 3 to change, 4 to delete, 3 CDB rebuilds.**',
      '',
      '> [!CAUTION]',
      '> 4 destructive changes:',
      '> - `example.com`: forward bob (was -> b@example.net)',
      '> - `example.com`: alias old (was -> x@example.org)',
      // Made inert for the PR page: a bare <UTC time> would be swallowed as an HTML tag.
      `> - \`example.com\`: user bob (mailbox ${HOME}/domains/example.com/bob archived to ${HOME}/archive/example.com/bob-&#60;UTC time>/)`,
    ]);
    expect(md).toContain(
      '<details><summary>Full plan (17 changes)</summary>\n\n```diff\nnew.example\n  + domain new.example',
    );
    expect(md.trimEnd().split('\n').slice(-3)).toEqual([
      '</details>',
      '',
      `<sub>Plan digest (sha256): <code>${planDigest(planOf(everyKind))}</code></sub>`,
    ]);
  });
});

describe('json plan', () => {
  it('is versioned and never carries a hash or a clear-text password', () => {
    const json = renderJson(planOf(everyKind));
    expect(json).not.toContain(HASH_SECRET6);
    expect(json).not.toContain('TOPSECRET');
    const parsed = JSON.parse(json);
    expect(parsed.formatVersion).toBe(1);
    expect(parsed.summary).toEqual({ add: 7, change: 3, delete: 4, cdbRebuilds: 3 });
    expect(parsed.changes[7].password).toEqual({ kind: 'clear', source: 'env:CAROL_PW' });
    expect(parsed.changes[8].password).toEqual({ kind: 'hash' });
  });
});

describe('text from a live server in the plan', () => {
  it('reaches the terminal and the PR comment with control, C1 and bidi characters escaped', () => {
    const comment = 'evil\u202Egnp.exe\u001b[31m\u009b';
    const plan = planOf(
      [
        {
          kind: 'modify-user',
          domain: D,
          name: 'alice',
          fields: [{ field: 'comment', before: comment, after: 'Alice' }],
          after: { name: 'alice', comment: 'Alice', quota: 'NOQUOTA', flags: 0 },
        },
      ],
      {
        unmanaged: [
          {
            domain: D,
            kind: 'dot-qmail',
            name: 'x\u001b]0;pwn\u0007',
            file: `${HOME}/domains/${D}/.qmail-x\u001b]0;pwn\u0007`,
            reason: 'a program delivery',
          },
        ],
      },
    );
    const text = renderText(plan);
    expect(text).toContain('comment:  "evil\\u202egnp.exe\\u001b[31m\\u009b" -> "Alice"');
    expect(text).toContain(
      `dot-qmail "x\\u001b]0;pwn\\u0007" ("${HOME}/domains/${D}/.qmail-x\\u001b]0;pwn\\u0007"): a program delivery`,
    );
    for (const output of [text, renderMarkdown(plan)])
      expect(output).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
  });
});
