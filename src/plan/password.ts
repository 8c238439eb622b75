import type { UserFieldChange } from '../model/change.js';
import type { PasswordMaterial } from '../model/change.js';
import type { PasswordSpec } from '../model/password.js';
import type { LiveUser } from '../model/state.js';
import { clearMatchesHash } from '../crypt/password.js';

export interface PasswordDiff {
  fields: UserFieldChange[];
  material?: PasswordMaterial;
}

/**
 * Hashes compare verbatim. A clear text compares by hashing it with the live hash's own salt;
 * where the server keeps clear passwords, the stored clear text must match too (CRAM-MD5 and
 * APOP check that field, not the hash).
 */
export function diffPassword(spec: PasswordSpec, live: LiveUser, clearPasswords: boolean): PasswordDiff {
  switch (spec.kind) {
    case 'unmanaged':
      return { fields: [] };
    case 'secret':
      throw new Error(`internal error: secret for ${live.name} was not resolved before planning`);
    case 'hash':
      return spec.hash === live.hash ? { fields: [] } : { fields: [{ field: 'password' }], material: spec };
    case 'clear': {
      const hashMatches = clearMatchesHash(spec.clear, live.hash) === true;
      const clearFieldMatches = !clearPasswords || live.clear === spec.clear;
      return hashMatches && clearFieldMatches ? { fields: [] } : { fields: [{ field: 'password' }], material: spec };
    }
  }
}
