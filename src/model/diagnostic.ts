/** Where a value came from in the desired-state files; line and col are 1-based. */
export interface SourceLocation {
  file: string;
  line?: number;
  col?: number;
}

/** Every diagnostic code mailstate gives: stable ids for machines (JSON plans, CI), one per kind of problem. */
export const DIAGNOSTIC_CODES = [
  'alias-domain-conflict',
  'alias-shadows-user',
  'archived-mailbox-still-delivered',
  'assign-after-end',
  'assign-duplicate',
  'assign-malformed',
  'assign-missing',
  'assign-unterminated',
  'domain-dir-missing',
  'domain-dir-unsafe',
  'domain-is-alias',
  'duplicate-alias-domain',
  'duplicate-domain',
  'duplicate-item',
  'duplicate-key',
  'duplicate-route',
  'include-no-match',
  'invalid-include',
  'invalid-name',
  'invalid-placement',
  'invalid-relay',
  'invalid-target',
  'invalid-value',
  'live-conflict',
  'move-awaiting-release',
  'move-waiting',
  'not-utf8',
  'password-not-comparable',
  'password-required',
  'postmaster-required',
  'read-error',
  'schema',
  'secret-empty',
  'secret-invalid',
  'secret-missing',
  'secret-outside',
  'secret-readable',
  'secret-unreadable',
  'secret-unresolved',
  'snapshot-invalid',
  'tcp-smtp-skipped-line',
  'unknown-server',
  'unreadable',
  'users-cdb-corrupt',
  'vpasswd-cdb-corrupt',
  'vpasswd-duplicate',
  'vpasswd-line-too-long',
  'vpasswd-malformed',
  'vpasswd-malformed-line',
  'vpasswd-malformed-user',
  'vpasswd-mixed-fields',
  'vpasswd-no-newline',
  'vpasswd-quota',
  'vpasswd-unsafe-user',
  'wide-relay',
  'yaml',
] as const;

export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

/**
 * A user-facing problem. Validation and the live reader return these instead of throwing, so a
 * run can report every problem at once.
 */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Stable machine-readable id (DIAGNOSTIC_CODES). */
  code: DiagnosticCode;
  message: string;
  file?: string;
  line?: number;
  col?: number;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${[d.file, d.line, d.col].filter((part) => part !== undefined).join(':')}: ` : '';
  return `${where}${d.severity}: ${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

export type Result<T> = { ok: true; value: T; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };
