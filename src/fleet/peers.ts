import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ioReason } from '../desired/io-reason.js';
import { formatDiagnostic } from '../model/diagnostic.js';
import type { LiveState } from '../model/state.js';
import type { PeerEvidence } from '../plan/moves.js';
import { parseSnapshot } from '../snapshot/format.js';

/**
 * What the other servers of a fleet hold, from their snapshots (`DIR/<server>.json`, made by
 * `mailstate snapshot` on each): the evidence a source needs before it turns a moving user into
 * a forward. A server without a snapshot is unknown, so its arrivals are waited for; a snapshot
 * that cannot be read is an error, not an absence.
 */
export function peerEvidenceFromSnapshots(dir: string): PeerEvidence {
  const states = new Map<string, LiveState | undefined>();
  const stateOf = (server: string): LiveState | undefined => {
    if (states.has(server)) return states.get(server);
    const file = join(dir, `${server}.json`);
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new Error(`cannot read the snapshot ${file}: ${ioReason(error)}`);
    }
    let state: LiveState | undefined;
    if (text !== undefined) {
      const parsed = parseSnapshot(text, file);
      if (!parsed.ok) throw new Error(parsed.diagnostics.map(formatDiagnostic).join('; '));
      state = parsed.value.live;
    }
    states.set(server, state);
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
