import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ioReason } from '../desired/io-reason.js';
import { inEffectRecord, lastNoteRecord, notedServers, notesRef, readNote } from '../git/notes.js';
import type { Repo } from '../git/repo.js';
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

/**
 * What the other servers noted on `commit` (their `watch --record-notes` refs, fetched from the
 * remote): a server whose newest record of that very commit says it is in effect there holds
 * every mailbox the commit places on it, because a watcher notes a commit in effect only after
 * its apply (move-ins first) succeeded, and a refused or failed one is noted as such. A note on
 * another commit proves nothing about this one's placement, so it is not used.
 */
export async function peerEvidenceFromNotes(repo: Repo, commit: string, ownHost: string): Promise<PeerEvidence> {
  const own = notesRef(ownHost).slice('mailstate/'.length);
  const servers = (await notedServers(repo).catch(() => [])).filter((server) => server !== own);
  const holding = new Set<string>();
  for (const server of servers) {
    const note = await readNote(repo, `mailstate/${server}`, commit);
    if (inEffectRecord(lastNoteRecord(note ?? ''))) holding.add(server);
  }
  return (server) => (holding.has(server) ? true : undefined);
}

/**
 * Either evidence showing the mailbox is enough (a snapshot taken before the move-in must not
 * outvote the destination's note); otherwise what the first knows, then the second.
 */
export function eitherEvidence(first: PeerEvidence, second: PeerEvidence): PeerEvidence {
  return (server, domain, user) => {
    const known = first(server, domain, user);
    if (known === true) return true;
    return second(server, domain, user) ?? known;
  };
}
