/**
 * crypt(3) formats vpopmail can verify (vchkpw compares crypt(clear, stored) with stored).
 * Only these are accepted in mailstate.yaml, so that a typo or a clear text pasted into the
 * `password:` field is caught at review time instead of locking a user out.
 */
const HASH_FORMATS: Array<[string, RegExp]> = [
  ['SHA-512 ($6$)', /^\$6\$(rounds=\d{4,9}\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{86}$/],
  ['SHA-256 ($5$)', /^\$5\$(rounds=\d{4,9}\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{43}$/],
  ['MD5 ($1$)', /^\$1\$[./0-9A-Za-z]{1,8}\$[./0-9A-Za-z]{22}$/],
  ['bcrypt ($2y$)', /^\$2[aby]\$\d{2}\$[./0-9A-Za-z]{53}$/],
  ['DES', /^[./0-9A-Za-z]{13}$/],
];

export function hashFormat(hash: string): string | undefined {
  return HASH_FORMATS.find(([, pattern]) => pattern.test(hash))?.[0];
}

/** A password as the desired state gives it, resolved: never rendered, only compared and applied. */
export type PasswordSpec =
  | { kind: 'hash'; hash: string }
  | { kind: 'clear'; clear: string; source: string }
  /** `{ env: NAME }` or `{ file: path }` before it is read: see desired/secrets.ts. */
  | { kind: 'secret'; ref: SecretRef; source: string }
  /** `password:` omitted: an existing user's password is left as it is. */
  | { kind: 'unmanaged' };

/** Where a clear-text password comes from; read only when a plan needs it. */
export type SecretRef = { env: string } | { file: string };
