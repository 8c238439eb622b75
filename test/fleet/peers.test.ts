/**
 * The evidence a move-out waits for (issue 14): the destination's snapshot shows the user as a
 * mailbox of its own, read again whenever the file changes (a watcher runs for months).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { peerEvidenceFromSnapshots } from '../../src/fleet/peers.js';
import type { LiveUser } from '../../src/model/state.js';
import { renderSnapshot, snapshotFromLive } from '../../src/snapshot/format.js';
import { liveDomain, liveState, liveUser } from '../support/builders.js';
import { tempDir } from '../support/gitops.js';

function writeSnapshot(file: string, users: LiveUser[]): void {
  const live = liveState([liveDomain('example.com', users)]);
  const snapshot = snapshotFromLive(live, [], () => '0'.repeat(64), {
    createdAt: '2026-12-04T00:00:00Z',
    host: 'mx2',
    keyId: 'k',
  });
  writeFileSync(file, renderSnapshot(snapshot));
}

describe('peer evidence from snapshots', () => {
  it('knows nothing without a snapshot, and sees a mailbox appear when the snapshot is replaced', () => {
    const dir = tempDir('mailstate-peers-');
    const evidence = peerEvidenceFromSnapshots(dir);
    expect(evidence('mx2', 'example.com', 'alice')).toBeUndefined();
    writeSnapshot(join(dir, 'mx2.json'), [liveUser('example.com', 'postmaster')]);
    expect(evidence('mx2', 'example.com', 'alice')).toBe(false);
    writeSnapshot(join(dir, 'mx2.json'), [liveUser('example.com', 'postmaster'), liveUser('example.com', 'alice')]);
    expect(evidence('mx2', 'example.com', 'alice')).toBe(true);
    expect(evidence('mx2', 'example.org', 'alice')).toBe(false);
  });

  it('a mailbox that itself forwards on to another server is not a destination', () => {
    const dir = tempDir('mailstate-peers-');
    const movedOn = liveUser('example.com', 'alice', {
      forward: { to: ['alice@example.com.mx3.internal'], keepCopy: false, style: 'domain', file: '/x/.qmail-alice' },
    });
    writeSnapshot(join(dir, 'mx2.json'), [movedOn]);
    expect(peerEvidenceFromSnapshots(dir)('mx2', 'example.com', 'alice')).toBe(false);
  });

  it('a snapshot that cannot be read is an error, not an absence', () => {
    const dir = tempDir('mailstate-peers-');
    writeFileSync(join(dir, 'mx2.json'), '{"snapshotVersion": 1}');
    expect(() => peerEvidenceFromSnapshots(dir)('mx2', 'example.com', 'alice')).toThrow(/mx2\.json/);
  });
});
