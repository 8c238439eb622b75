import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  lstatSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { RefusalKind } from '../reconcile/refusal.js';

/** What a command may touch of the process: injected so commands stay testable in-process. */
export interface CliIo {
  cwd: string;
  env: Record<string, string | undefined>;
  stdout(text: string): void;
  stderr(text: string): void;
  isTty: boolean;
  /** Standard output is a terminal (colours); unset is "no". */
  stdoutIsTty?: boolean;
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

/** Why a run stopped before applying (src/reconcile/refusal.ts); the CLI only prints the message. */
export type AbortKind = RefusalKind;

/** Raised for a user-facing abort; caught in main.ts, which prints it and exits with its code. */
export class ExitError extends Error {
  readonly code: number;
  readonly kind: AbortKind;
  constructor(message: string, code: number = EXIT.error, kind: AbortKind = 'refused') {
    super(message);
    this.code = code;
    this.kind = kind;
  }
}

/** Why a write failed, short. desired/io-reason.ts words a failed read; a write that meets ENOENT lacks a directory on the way, so it says more. */
export function ioReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a parent is not a directory',
  };
  if (typeof code === 'string') return reasons[code] ?? code;
  return error instanceof Error ? error.message : String(error);
}

/** What a non-regular file is, for refusals ("it is a directory"). */
export function describeKind(info: Stats): string {
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * Refuses an output path (`-o`, `--out`) that is anything but a regular file or nothing yet: a
 * device, FIFO, socket, directory or symbolic link (lstat: a link is never followed). Called before
 * the command does any work, and again just before writing.
 */
export function checkOutputTarget(target: string, shown: string): void {
  if (shown === '') throw new ExitError('an output option needs a file name ("-" for standard output)');
  let info: Stats | undefined;
  try {
    info = lstatSync(target, { throwIfNoEntry: false });
  } catch (error) {
    throw new ExitError(`cannot write ${shown}: ${ioReason(error)}; nothing was written.`);
  }
  if (info && !info.isFile())
    throw new ExitError(
      `refusing to write ${shown}: it is ${describeKind(info)}, not a regular file; nothing was written.`,
    );
}

/**
 * Writes a command's output file atomically: a temp file of its own in the same directory
 * (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), fsync, then rename over the target. The rename replaces
 * a directory entry and never writes through a link that appeared since the check.
 */
export function writeOutputFile(target: string, shown: string, data: string): void {
  checkOutputTarget(target, shown);
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    throw new ExitError(`cannot write ${shown}: ${ioReason(error)}; nothing was written.`);
  }
  try {
    try {
      fchmodSync(fd, 0o600);
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new ExitError(`cannot write ${shown}: ${ioReason(error)}; nothing was written.`);
  }
}
