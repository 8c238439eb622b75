/**
 * What apply would do to the files of a server, as `plan --diff` shows it: made by a dry run of
 * the files driver (reconcile/dry-run.ts), secrets already redacted, rendered by
 * render/file-diffs.ts. Paths are absolute, in the order apply would touch them.
 */
export type FileDiff =
  /** A text file written: its unified diff against the disk (`--- a/PATH`, `+++ b/PATH`; `/dev/null` for a new file). */
  | { kind: 'text'; path: string; diff: string }
  /** A binary file (a cdb) written: its bytes are not shown. */
  | { kind: 'binary'; path: string; created: boolean }
  /** A directory created (only the topmost of a chain created together). */
  | { kind: 'mkdir'; path: string }
  /** A file or directory renamed; `archive` when it goes to ~vpopmail/archive. */
  | { kind: 'move'; from: string; to: string; archive: boolean }
  /** A file on disk removed. */
  | { kind: 'remove'; path: string }
  /** A program apply would run (tcprules, qmail-newu): its output is binary. */
  | { kind: 'run'; argv: string[] };

export interface FileDiffs {
  diffs: FileDiff[];
  /** Set when the dry run stopped at a step: apply would stop there too. */
  stopped?: string;
}
