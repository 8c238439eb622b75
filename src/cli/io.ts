/** What a command may touch of the process: injected so commands stay testable in-process. */
export interface CliIo {
  cwd: string;
  env: Record<string, string | undefined>;
  stdout(text: string): void;
  stderr(text: string): void;
  isTty: boolean;
}

/** Exit codes, as in Terraform's -detailed-exitcode. */
export const EXIT = { ok: 0, error: 1, changes: 2 } as const;

/** Raised for a user-facing abort; caught only in main.ts. */
export class ExitError extends Error {
  readonly code: number;
  constructor(message: string, code: number = EXIT.error) {
    super(message);
    this.code = code;
  }
}
