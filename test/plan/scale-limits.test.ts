import { describe, expect, it } from 'vitest';
import { diffState } from '../../src/plan/plan.js';
import { renderJson } from '../../src/render/json.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderText } from '../../src/render/text.js';
import { desiredDomain, desiredState, desiredUser, liveDomain, liveState, liveUser } from '../support/builders.js';
import { COUNTED_WORK } from '../support/budget.js';

const D = 'example.com';
const N = 200_000;

function names(): string[] {
  const out: string[] = [];
  for (let i = 0; i < N; i++) out.push(`u${String(i).padStart(6, '0')}`);
  return out;
}

/** A spread of an unbounded array into a call (push(...xs)) overflows the stack past ~130k items. */
describe('diffState at scale', () => {
  it(
    'plans 200,000 user additions in one domain without overflowing the stack',
    () => {
      const desired = desiredState([
        desiredDomain(D, [desiredUser('postmaster'), ...names().map((name) => desiredUser(name))]),
      ]);
      const live = liveState([liveDomain(D, [liveUser(D, 'postmaster')])]);
      const result = diffState(desired, live);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.value.summary.add).toBe(N);
      expect(result.value.changes.length).toBe(N + 1);
      expect(result.value.changes.at(-1)?.kind).toBe('rebuild-vpasswd-cdb');
    },
    COUNTED_WORK,
  ); // a fixed 200,000 users (test/support/budget.ts)

  it(
    'plans 200,000 deletions of undeclared live users with prune',
    () => {
      const desired = desiredState([desiredDomain(D, [desiredUser('postmaster')])], {
        policy: { prune: true, maxChangePercent: 100 },
      });
      const live = liveState([liveDomain(D, [liveUser(D, 'postmaster'), ...names().map((name) => liveUser(D, name))])]);
      const result = diffState(desired, live);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.value.summary.delete).toBe(N);
      expect(result.value.changes.length).toBe(N + 1);
    },
    COUNTED_WORK,
  ); // a fixed 200,000 users (test/support/budget.ts)

  it(
    'reports 200,000 undeclared live users as unmanaged without prune',
    () => {
      const desired = desiredState([desiredDomain(D, [desiredUser('postmaster')])], {
        policy: { prune: false, maxChangePercent: 100 },
      });
      const unmanaged = names().map((name) => ({
        domain: D,
        kind: 'dot-qmail' as const,
        name,
        file: `/x/.qmail-${name}`,
        reason: 'test',
      }));
      const live = liveState([liveDomain(D, [liveUser(D, 'postmaster')], { unmanaged })]);
      const result = diffState(desired, live);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.value.unmanaged.length).toBeGreaterThanOrEqual(N);
    },
    COUNTED_WORK,
  ); // a fixed 200,000 users (test/support/budget.ts)

  it(
    'plans 200,000 relay additions',
    () => {
      const relay = names().map((_, i) => ({
        address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        source: { file: 'mailstate.yaml', line: 1, col: 1 },
      }));
      const desired = desiredState([], { relay });
      const result = diffState(desired, liveState([]));
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.value.changes.length).toBe(N + 1);
      expect(result.value.changes.at(-1)?.kind).toBe('rebuild-tcp-smtp-cdb');
    },
    COUNTED_WORK,
  ); // a fixed 200,000 users (test/support/budget.ts)

  it(
    'renders a 200,000-change plan as text, Markdown and JSON',
    () => {
      const desired = desiredState([
        desiredDomain(D, [desiredUser('postmaster'), ...names().map((name) => desiredUser(name))]),
      ]);
      const result = diffState(desired, liveState([liveDomain(D, [liveUser(D, 'postmaster')])]));
      if (!result.ok) throw new Error('plan failed');
      expect(renderText(result.value)).toContain('u199999');
      const md = renderMarkdown(result.value);
      expect(md).toContain(`Full plan (${N + 1} changes)`);
      expect(md).toContain('u199999');
      expect(renderJson(result.value)).toContain('u199999');
    },
    COUNTED_WORK,
  ); // a fixed 200,000 users (test/support/budget.ts)
});
