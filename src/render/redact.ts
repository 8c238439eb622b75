import type { Change } from '../model/change.js';

/** Bumped on any incompatible change of the JSON plan layout; documented in README. */
export const PLAN_FORMAT_VERSION = 1;

/** A change with its password material replaced by where it came from: never a hash, never a clear text. */
export function redactChange(change: Change): unknown {
  if (change.kind === 'add-user' || change.kind === 'move-in') {
    const { password, ...rest } = change;
    return {
      ...rest,
      password: password.kind === 'hash' ? { kind: 'hash' } : { kind: 'clear', source: password.source },
    };
  }
  if (change.kind === 'modify-user' && change.password) {
    const { password, ...rest } = change;
    return {
      ...rest,
      password: password.kind === 'hash' ? { kind: 'hash' } : { kind: 'clear', source: password.source },
    };
  }
  return change;
}
