import type { PasswordMaterial, UserFieldChange } from '../model/change.js';
import type { PasswordSpec } from '../model/password.js';
import type { LivePassword, LiveUser } from '../model/state.js';
import { clearMatchesHash } from '../crypt/password.js';

/** How passwords compare when the live state is not the server's vpasswd (a snapshot or a base revision). */
export interface PasswordComparison {
  /**
   * The keyed digest of a hash, as a snapshot stores it (HMAC-SHA256 under the server's key).
   * Absent when no key was given: hash-valued passwords are then not comparable with a snapshot.
   */
  hashDigest?: (hash: string) => string;
}

export interface PasswordDiff {
  fields: UserFieldChange[];
  material?: PasswordMaterial;
  /** Set when the password could not be compared: reported as a warning, never as a change. */
  notComparable?: string;
}

/** The phrase plans use for a password a snapshot cannot tell about. */
export const NOT_COMPARABLE = '(not comparable from a snapshot)';

const SAME: PasswordDiff = { fields: [] };

function changed(spec: PasswordMaterial): PasswordDiff {
  return { fields: [{ field: 'password' }], material: spec };
}

/**
 * Against the server, hashes compare verbatim and a clear text compares by hashing it with the
 * live hash's own salt; where the server keeps clear passwords, the stored clear text must match
 * too (CRAM-MD5 and APOP check that field, not the hash). Against a snapshot or a base revision, see `withoutVpasswd`.
 */
export function diffPassword(
  spec: PasswordSpec,
  live: LiveUser,
  clearPasswords: boolean,
  comparison: PasswordComparison = {},
): PasswordDiff {
  if (spec.kind === 'unmanaged') return SAME;
  if (spec.kind === 'secret')
    throw new Error(`internal error: secret for ${live.name} was not resolved before planning`);
  const password = live.password;
  if (password.kind !== 'vpasswd') return withoutVpasswd(spec, password, comparison);
  if (spec.kind === 'hash') return spec.hash === password.hash ? SAME : changed(spec);
  const hashMatches = clearMatchesHash(spec.clear, password.hash) === true;
  const clearFieldMatches = !clearPasswords || password.clear === spec.clear;
  return hashMatches && clearFieldMatches ? SAME : changed(spec);
}

/**
 * A snapshot holds HMAC(key, hash): a desired hash compares by its own digest when the key is
 * known. A clear text cannot be checked against a digest (the salt is not in it), and without the
 * key no hash can: both are reported as not comparable rather than guessed either way. A base
 * revision compares by reference: the same hash, or the same `env:`/`file:` source.
 */
function withoutVpasswd(
  spec: PasswordMaterial,
  known: Exclude<LivePassword, { kind: 'vpasswd' }>,
  comparison: PasswordComparison,
): PasswordDiff {
  if (known.kind === 'declared') {
    const base = known.spec;
    if (spec.kind === 'hash') return base.kind === 'hash' && base.hash === spec.hash ? SAME : changed(spec);
    return (base.kind === 'clear' || base.kind === 'secret') && base.source === spec.source ? SAME : changed(spec);
  }
  if (spec.kind === 'clear') {
    return {
      fields: [],
      notComparable: `a clear text (${spec.source}) cannot be checked against the digest of a hash; apply on the server compares it`,
    };
  }
  if (!comparison.hashDigest) {
    return {
      fields: [],
      notComparable: 'no key to compare hashes with the snapshot (set MAILSTATE_KEY or --key-file)',
    };
  }
  return comparison.hashDigest(spec.hash) === known.digest ? SAME : changed(spec);
}
