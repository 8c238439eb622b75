import { describe, expect, it } from 'vitest';
import { decide, remember, type WatchMemory } from '../../src/cli/watch/decide.js';
import { deservesNote, noteText } from '../../src/cli/watch/git-note.js';
import { afterPull } from '../../src/cli/watch/pull.js';
import type { ConvergeOutcome, ConvergeResult } from '../../src/reconcile/index.js';
import type { Trigger } from '../../src/cli/watch/log.js';

const memory = (extra: Partial<WatchMemory> = {}): WatchMemory => ({
  lastTip: 'a',
  inEffect: 'a',
  invalidCommits: new Set(),
  ...extra,
});
const triggers = (...list: Trigger[]) => new Set(list);

describe("the watcher's decision (pure)", () => {
  it('reconciles a new tip, naming the pull or commit that brought it', () => {
    expect(decide(memory(), 'b', triggers('commit'))).toEqual({ kind: 'reconcile', target: 'b', trigger: 'commit' });
    expect(decide(memory(), 'b', triggers('commit', 'pull'))).toEqual({
      kind: 'reconcile',
      target: 'b',
      trigger: 'pull',
    });
    expect(decide(memory(), 'b', triggers('resync'))).toEqual({ kind: 'reconcile', target: 'b', trigger: 'resync' });
  });

  it('skips a ref event that did not move the tip, but re-checks it on start, retry and resync', () => {
    expect(decide(memory(), 'a', triggers('commit', 'pull'))).toEqual({ kind: 'skip' });
    expect(decide(memory(), 'a', triggers('commit', 'resync'))).toEqual({
      kind: 'reconcile',
      target: 'a',
      trigger: 'resync',
    });
    expect(decide(memory(), 'a', triggers('retry', 'resync'))).toEqual({
      kind: 'reconcile',
      target: 'a',
      trigger: 'retry',
    });
    expect(decide(memory({ lastTip: undefined }), 'a', triggers('start'))).toEqual({
      kind: 'reconcile',
      target: 'a',
      trigger: 'start',
    });
  });

  it('holds the server to the commit in effect while the tip does not validate, and waits when there is none', () => {
    const invalid = new Set(['b']);
    expect(decide(memory({ lastTip: 'b', invalidCommits: invalid }), 'b', triggers('resync'))).toEqual({
      kind: 'reconcile',
      target: 'a',
      trigger: 'resync',
    });
    expect(
      decide(memory({ lastTip: 'b', inEffect: undefined, invalidCommits: invalid }), 'b', triggers('resync')),
    ).toEqual({ kind: 'skip' });
  });
});

describe("the watcher's memory after a converge (pure)", () => {
  it('moves the commit in effect only when the outcome leaves the server at the target', () => {
    expect(remember(memory(), 'b', 'b', 'applied').inEffect).toBe('b');
    expect(remember(memory(), 'b', 'b', 'no-changes').inEffect).toBe('b');
    for (const outcome of ['failed', 'refused', 'busy', 'error', 'drift'] as const)
      expect(remember(memory(), 'b', 'b', outcome).inEffect, outcome).toBe('a');
  });

  it('keeps a commit whose moves wait for their new server out of effect, so that it is applied again', () => {
    expect(remember(memory(), 'b', 'b', 'no-changes', 1).inEffect).toBe('a');
    expect(remember(memory(), 'b', 'b', 'applied', 2).inEffect).toBe('a');
    expect(remember(memory(), 'b', 'b', 'applied', 0).inEffect).toBe('b');
  });

  it('marks the tip invalid, never the last good commit held in its place', () => {
    expect([...remember(memory(), 'b', 'b', 'invalid').invalidCommits]).toEqual(['b']);
    const held = memory({ invalidCommits: new Set(['b']) });
    expect([...remember(held, 'b', 'a', 'invalid').invalidCommits]).toEqual(['b']);
    // The memory given is not changed in place.
    expect([...held.invalidCommits]).toEqual(['b']);
  });
});

describe('a pull (pure)', () => {
  it('logs a fast-forward and asks for a reconcile', () => {
    expect(afterPull({ kind: 'fast-forwarded', from: 'a', to: 'b' }, 'old problem')).toEqual({
      event: { event: 'pull', outcome: 'fast-forwarded', from: 'a', to: 'b' },
      moved: true,
      problem: undefined,
    });
    expect(afterPull({ kind: 'up-to-date', commit: 'a' }, undefined)).toEqual({ moved: false, problem: undefined });
  });

  it('logs a problem once, however many intervals it lasts, and again once it changes', () => {
    const first = afterPull({ kind: 'refused', reason: 'not a fast-forward' }, undefined);
    expect(first.event).toEqual({ event: 'pull', outcome: 'refused', reason: 'not a fast-forward' });
    const again = afterPull({ kind: 'refused', reason: 'not a fast-forward' }, first.problem);
    expect(again).toEqual({ moved: false, problem: 'not a fast-forward' });
    const failed = afterPull(new Error('remote unreachable'), again.problem);
    expect(failed.event).toEqual({ event: 'pull', outcome: 'failed', reason: 'remote unreachable' });
  });
});

describe('which reconciles get a git note (pure)', () => {
  const result = (outcome: ConvergeOutcome, driftCheck: boolean): ConvergeResult => ({
    outcome,
    diagnostics: [],
    driftCheck,
  });

  it('notes what was applied, a commit found in effect the first time, and one that could not be applied; not a drift check that found nothing', () => {
    expect(deservesNote(result('applied', false))).toBe(true);
    expect(deservesNote(result('applied', true))).toBe(true);
    expect(deservesNote(result('no-changes', false))).toBe(true);
    expect(deservesNote(result('no-changes', true))).toBe(false);
    // What status --fleet must show of a server held at an older commit.
    expect(deservesNote(result('failed', false))).toBe(true);
    expect(deservesNote(result('invalid', false))).toBe(true);
    expect(deservesNote(result('refused', false))).toBe(true);
    // Transient or only reported: the next reconcile says more.
    expect(deservesNote(result('busy', false))).toBe(false);
    expect(deservesNote(result('error', false))).toBe(false);
    expect(deservesNote(result('drift', true))).toBe(false);
  });

  it('says what happened, where, when and with which plan', () => {
    const text = noteText(
      {
        commit: 'c0ffee',
        time: '2026-12-03T12:00:00.000Z',
        outcome: 'applied',
        trigger: 'commit',
        durationMs: 12,
        counts: { add: 1, change: 2, delete: 0, move: 0, cdbRebuilds: 1 },
        digest: 'abc123',
      },
      'mx1',
    );
    expect(text).toBe(
      'mailstate: applied (1 added, 2 changed, 0 deleted) on mx1 at 2026-12-03T12:00:00.000Z; plan digest abc123',
    );
  });
});
