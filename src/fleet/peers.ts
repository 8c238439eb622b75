import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ioReason } from '../desired/io-reason.js';
import { formatDiagnostic } from '../model/diagnostic.js';
import type { LiveState } from '../model/state.js';
import type { PeerEvidence } from '../plan/moves.js';
import { parseSnapshot } from '../snapshot/format.js';

/** A peer snapshot that exists but cannot be used: the plan stops (the reconcile layer refuses it). */
export class PeerSnapshotError extends Error {}

/**
 * What the other servers of a fleet hold, from their snapshots (`DIR/<server>.json`, made by
 * `mailstate snapshot` on each): the evidence a source needs before it turns a moving user into
 * a forward. A server without a snapshot is unknown, so its arrivals are waited for; a snapshot
 * that cannot be read is an error, not an absence.
 */
export function peerEvidenceFromSnapshots(dir: string): PeerEvidence {
  // A watcher asks for as long as it runs, and the snapshots are replaced meanwhile: each is read
  // again when its file changed.
  const states = new Map<string, { stamp: string; state: LiveState | undefined }>();
  const stateOf = (server: string): LiveState | undefined => {
    const file = join(dir, `${server}.json`);
    let stamp = 'absent';
    try {
      const info = statSync(file);
      stamp = `${info.ino}:${info.size}:${info.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new PeerSnapshotError(`cannot read the snapshot ${file}: ${ioReason(error)}`);
    }
    const known = states.get(server);
    if (known?.stamp === stamp) return known.state;
    let text: string | undefined;
    try {
      text = stamp === 'absent' ? undefined : readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new PeerSnapshotError(`cannot read the snapshot ${file}: ${ioReason(error)}`);
    }
    let state: LiveState | undefined;
    if (text !== undefined) {
      const parsed = parseSnapshot(text, file);
      if (!parsed.ok) throw new PeerSnapshotError(parsed.diagnostics.map(formatDiagnostic).join('; '));
      state = parsed.value.live;
    }
    states.set(server, { stamp, state });
    return state;
  };
  return (server, domain, user) => {
    const state = stateOf(server);
    if (!state) return undefined;
    const live = state.domains.get(domain)?.users.get(user);
    if (!live) return false;
    // A mailbox that itself forwards to user@<domain>.<a route> has moved on: not a destination.
    const forward = live.forward;
    return !(forward?.style === 'domain' && forward.to.some((to) => to.startsWith(`${user}@${domain}.`)));
  };
}
