import type { Change } from '../model/change.js';
import type { DesiredRelay, LiveRelay, Policy, UnmanagedObject } from '../model/state.js';

export interface RelayDiff {
  changes: Change[];
  unmanaged: UnmanagedObject[];
}

/**
 * Relay rules are managed only when `relay:` is declared. Lines mailstate did not write are never
 * touched. tcp.smtp.cdb is rebuilt once, only when the rules change or the cdb is out of date.
 */
export function diffRelay(desired: readonly DesiredRelay[] | undefined, live: LiveRelay, policy: Policy): RelayDiff {
  if (desired === undefined) return { changes: [], unmanaged: [] };
  const changes: Change[] = [];
  const unmanaged: UnmanagedObject[] = [];
  const liveAddresses = new Set<string>();
  const wanted = new Set(desired.map((relay) => relay.address));
  for (const line of live.lines) {
    if (line.kind !== 'relay') continue;
    if (wanted.has(line.address) && !liveAddresses.has(line.address)) {
      liveAddresses.add(line.address);
      continue;
    }
    if (!policy.prune) {
      unmanaged.push({
        kind: 'relay-rule',
        name: line.address,
        file: live.file,
        reason: 'not declared (policy.prune is false)',
      });
      continue;
    }
    // Also drops a second copy of a declared rule: the first record of a key wins in the cdb anyway.
    changes.push({ kind: 'delete-relay', address: line.address, line: line.line });
  }
  for (const relay of desired) {
    if (!liveAddresses.has(relay.address)) changes.push({ kind: 'add-relay', address: relay.address });
  }
  if (changes.length > 0) changes.push({ kind: 'rebuild-tcp-smtp-cdb', reason: 'relay rules changed' });
  else if (live.cdbStale)
    changes.push({ kind: 'rebuild-tcp-smtp-cdb', reason: 'tcp.smtp.cdb is missing or older than tcp.smtp' });
  return { changes, unmanaged };
}
