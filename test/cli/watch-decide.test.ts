import { describe, expect, it } from 'vitest';
import { decide, type WatchMemory } from '../../src/cli/watch/decide.js';
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
