/** Where a value came from in the desired-state files; line and col are 1-based. */
export interface SourceLocation {
  file: string;
  line?: number;
  col?: number;
}

/**
 * A user-facing problem. Validation and the live reader return these instead of throwing, so a
 * run can report every problem at once.
 */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Stable machine-readable id, e.g. `schema`, `duplicate-user`, `vpasswd-malformed`. */
  code: string;
  message: string;
  file?: string;
  line?: number;
  col?: number;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? [d.file, d.line, d.col].filter((part) => part !== undefined).join(':') + ': ' : '';
  return `${where}${d.severity}: ${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

export type Result<T> = { ok: true; value: T; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };
