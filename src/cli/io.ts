/** What a command may touch of the process: injected so commands stay testable in-process. */
export interface CliIo {
  cwd: string;
  env: Record<string, string | undefined>;
  stdout(text: string): void;
  stderr(text: string): void;
  isTty: boolean;
  /**
   * Calls `handler` on SIGTERM or SIGINT instead of the default (dying at once); returns the
   * function that removes it. Only long-running commands (watch) ask for it.
   */
  onStopSignal?(handler: (signal: string) => void): () => void;
  /** This machine's name (snapshots and git notes record it). */
  hostname?: string;
}

/** Exit codes, as in Terraform's -detailed-exitcode. */
export const EXIT = { ok: 0, error: 1, changes: 2 } as const;

/**
 * Why a run stopped before applying: the desired state is invalid, the live state could not be
 * read, the plan was refused (conflict, threshold, digest, stale plan, not confirmed), or another
 * apply holds the lock. The watcher logs it as the outcome; the CLI only prints the message.
 */
export type AbortKind = 'invalid' | 'unreadable' | 'refused' | 'busy';

/**
 * Raised for a user-facing abort; caught in main.ts, and by the watcher, which logs it as the
 * outcome of one reconcile and keeps running.
 */
export class ExitError extends Error {
  readonly code: number;
  readonly kind: AbortKind;
  constructor(message: string, code: number = EXIT.error, kind: AbortKind = 'refused') {
    super(message);
    this.code = code;
    this.kind = kind;
  }
}
