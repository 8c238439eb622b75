import type { Change, RedirectionChange, RelayChange, StructureChange, UserChange } from '../model/change.js';
import { assertNever, isRedirectionChange, isRelayChange, isStructureChange, isUserChange } from '../model/change.js';

/**
 * A plan as apply runs it. A domain's user changes are one step (one vpasswd rewrite, one cdb
 * build), and so are all relay changes (one tcp.smtp write, one tcprules compile); every other
 * change is a step of its own. Plan.changes stays the flat ordered list that the JSON plan and its
 * digest are made of; this shape is derived from it once, here, instead of by scans in apply.
 */
export type ApplyStep =
  | { kind: 'structure'; change: StructureChange }
  | { kind: 'users'; domain: string; changes: UserChange[] }
  | { kind: 'redirection'; change: RedirectionChange }
  | { kind: 'relay'; changes: RelayChange[] };

/** The steps in plan order; a batch stands where its first change is. */
export function applySteps(changes: readonly Change[]): ApplyStep[] {
  const steps: ApplyStep[] = [];
  const userSteps = new Map<string, UserChange[]>();
  let relay: RelayChange[] | undefined;
  for (const change of changes) {
    if (isStructureChange(change)) steps.push({ kind: 'structure', change });
    else if (isRedirectionChange(change)) steps.push({ kind: 'redirection', change });
    else if (isUserChange(change)) {
      const batch = userSteps.get(change.domain);
      if (batch) batch.push(change);
      else {
        const created = [change];
        userSteps.set(change.domain, created);
        steps.push({ kind: 'users', domain: change.domain, changes: created });
      }
    } else if (isRelayChange(change)) {
      if (relay) relay.push(change);
      else {
        relay = [change];
        steps.push({ kind: 'relay', changes: relay });
      }
    } else assertNever(change, 'change');
  }
  return steps;
}

/** The first change of a step: the one a failure or a stop before it is reported at. */
export function firstChangeOf(step: ApplyStep): Change {
  return 'change' in step ? step.change : step.changes[0]!;
}
