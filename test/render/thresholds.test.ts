import { describe, expect, it } from 'vitest';
import { summarise, type Plan } from '../../src/model/change.js';
import { planDigest } from '../../src/render/digest.js';
import { renderJson } from '../../src/render/json.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderText } from '../../src/render/text.js';

const D = 'example.com';

function planOf(extra: Partial<Plan> = {}): Plan {
  const changes = [{ kind: 'delete-relay' as const, address: '127.', line: 1 }];
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

const everyLimit = planOf({
  thresholdBreaches: [{ domain: D, liveUsers: 20, affectedUsers: 12, percent: 60, limit: 30 }],
  policyBreaches: [
    { kind: 'max-changes', changes: 120, limit: 100 },
    { kind: 'relay-percent', liveRules: 12, affectedRules: 5, percent: 41.7, limit: 30 },
    { kind: 'loopback-relay', address: '127.' },
  ],
  thresholdExemptions: [
    { domain: 'small.test', subject: 'users', live: 5, affected: 4, percent: 80, limit: 30, minimum: 10 },
    { subject: 'relay rules', live: 3, affected: 2, percent: 66.7, limit: 30, minimum: 10 },
  ],
});

const LINES = [
  'Warning: example.com: 12 of 20 users (60%) deleted or changed, over policy.maxChangePercent 30%: apply refuses this without --force.',
  'Warning: the plan makes 120 changes (adds, changes and deletes), over policy.maxChanges 100: apply refuses this without --force.',
  'Warning: relay rules: 5 of 12 (41.7%) deleted, over policy.maxChangePercent 30%: apply refuses this without --force.',
  'Warning: the loopback relay rule 127. is deleted, so local programs (qmail-inject over SMTP, webmail on the host) would lose relaying: apply refuses this without --force.',
  'Warning: small.test: 4 of 5 users (80%) deleted or changed, over policy.maxChangePercent 30%, allowed because the domain has fewer than 10 users.',
  'Warning: relay rules: 2 of 3 (66.7%) deleted, over policy.maxChangePercent 30%, allowed because there are fewer than 10 relay rules.',
];

describe('the safety limits in a plan', () => {
  it('text: one line per breach, then the exemptions, before the summary', () => {
    const text = renderText(everyLimit).trimEnd().split('\n\n');
    expect(text.at(-2)!.split('\n')).toEqual(LINES);
    expect(text.at(-1)).toBe('Plan: 0 to add, 0 to change, 1 to delete, 0 CDB rebuilds.');
  });

  it('Markdown: each line is a warning', () => {
    const md = renderMarkdown(everyLimit);
    for (const line of LINES) expect(md).toContain(`\n> [!WARNING]\n> ${line}\n`);
  });

  it('JSON: policyBreaches and thresholdExemptions beside thresholdBreaches', () => {
    const json = JSON.parse(renderJson(everyLimit));
    expect(json.formatVersion).toBe(1);
    expect(json.thresholdBreaches).toEqual(everyLimit.thresholdBreaches);
    expect(json.policyBreaches).toEqual(everyLimit.policyBreaches);
    expect(json.thresholdExemptions).toEqual(everyLimit.thresholdExemptions);
  });

  it('JSON without any: the same keys as before they existed, and the same digest', () => {
    const quiet = planOf();
    expect(Object.keys(JSON.parse(renderJson(quiet)))).toEqual([
      'formatVersion',
      'digest',
      'summary',
      'changes',
      'thresholdBreaches',
      'unmanaged',
      'unmanagedDomains',
      'warnings',
    ]);
    expect(renderText(quiet)).not.toContain('Warning');
    // The digest covers the changes and the users' breaches, as `jq '{formatVersion, changes, thresholdBreaches}'` does.
    expect(planDigest(everyLimit)).toBe(planDigest({ ...quiet, thresholdBreaches: everyLimit.thresholdBreaches }));
  });
});
