import type { Change } from '../model/change.js';

/**
 * Per-domain buckets in the order apply must run them: structure first, removals before
 * additions (a name freed by a deleted alias can be reused by a new user), the single cdb
 * rebuild once every vpasswd edit is in, and mail redirection (forwards, aliases) last so that
 * mail is only pointed at users that exist.
 */
export interface DomainChanges {
  structure: Change[];
  removals: Change[];
  userDeletions: Change[];
  userAdditions: Change[];
  userModifications: Change[];
  cdb: Change[];
  redirections: Change[];
}

export function emptyDomainChanges(): DomainChanges {
  return {
    structure: [],
    removals: [],
    userDeletions: [],
    userAdditions: [],
    userModifications: [],
    cdb: [],
    redirections: [],
  };
}

export function flattenDomainChanges(buckets: DomainChanges): Change[] {
  return [
    ...buckets.structure,
    ...buckets.removals,
    ...buckets.userDeletions,
    ...buckets.userAdditions,
    ...buckets.userModifications,
    ...buckets.cdb,
    ...buckets.redirections,
  ];
}
