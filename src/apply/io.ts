/**
 * The one door apply goes through to the disk and to other programs. apply/ never imports fs or
 * child_process: the drivers get an ApplyIo in their environment. Three implementations stand
 * behind it: Node's (src/io/node-io.ts), a fault-injecting decorator (fault-io.ts, a fault point
 * before every write) with the tree guard (guarded-io.ts, no write through a link in the mail
 * tree) wrapped around it, and an in-memory one for fast driver tests (test/support/memory-io.ts).
 */

/** uid/gid to give created files and directories; undefined when not running as root. */
export interface Ownership {
  uid: number;
  gid: number;
}

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

export type EntryKind = 'file' | 'directory' | 'symlink' | 'other';

/** What stands at a path, as lstat (or stat, for `followedEntry`) sees it. */
export interface Entry {
  kind: EntryKind;
  uid: number;
  gid: number;
  /** Permission bits only (& 0o7777). */
  mode: number;
  size: number;
}

export interface WriteOptions {
  /** Default 0600, vpopmail's mode for every file it writes. */
  mode?: number;
  owner?: Ownership;
  /** Keep the mode (and, as root, the owner) of the file being replaced: for files that are not vpopmail's (tcp.smtp, qmail's). */
  keepExisting?: boolean;
}

export interface ProgramResult {
  /** Exit status, or null when a signal ended it (or it never ran: see `error`). */
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started or was killed for its timeout. */
  error?: Error;
}

/**
 * Owners: a method given an `owner` chowns to it; callers give one only when running as root
 * (ApplyEnvironment.ownerOf). Paths are absolute; a parent component that is a file throws
 * ENOTDIR, as the kernel does. Errors are Node's: Error objects with the errno name in `code`.
 */
export interface ApplyIo {
  /** Running as root: `keepExisting` keeps the replaced file's owner only then, and callers give owners. */
  readonly isRoot: boolean;

  /** What stands at `path`, never following a link at its last component; undefined when nothing does. */
  entry(path: string): Entry | undefined;
  /** What `path` names after following links (stat); undefined when nothing does. */
  followedEntry(path: string): Entry | undefined;
  /** A file's bytes; undefined when it does not exist (EISDIR for a directory, EMLINK for a file with a second name). */
  read(path: string): Buffer | undefined;
  /** The names in a directory. */
  list(path: string): string[];

  /**
   * Replaces `path` so that a reader (or a crash) sees either the old file or the complete new
   * one; a link standing at `path` is replaced, never followed. Mode and owner are set before the
   * new file appears.
   */
  writeAtomic(path: string, data: string | Uint8Array, options?: WriteOptions): void;
  /** Creates a file that must not exist yet (refusing a link planted at the name), 0600 less the umask, no sync. */
  writeNew(path: string, data: string, owner?: Ownership): void;
  /** One directory (0700 less the umask); false when something already stands there; ENOENT without a parent. */
  makeDirectory(path: string, owner?: Ownership): boolean;
  /** mkdir -p with 0700 and `owner` on every directory it creates. */
  makeDirectories(path: string, owner?: Ownership): void;
  /** rename(2), made durable in both directories. Never falls back to a copy. */
  move(from: string, to: string): void;
  /** Removes a file or a link (never what it points to); nothing when neither exists. */
  remove(path: string): void;
  /**
   * chmod, and chown when `owner` is given, of an existing file or directory; ELOOP for a link at
   * the last component, EMLINK for a file with a second name (either would hand over another file).
   */
  setModeAndOwner(path: string, mode: number, owner?: Ownership): void;
  /** Runs a program with an argv array, never a shell. */
  run(program: string, args: readonly string[], options?: { input?: string; timeoutMs?: number }): ProgramResult;
  /**
   * Holds an exclusive fcntl lock on `path` (created 0600 for `owner`, never through a link)
   * while `task` runs; waits up to `timeoutMs` while another process holds it.
   */
  withLock<T>(path: string, owner: Ownership | undefined, timeoutMs: number, task: () => Promise<T> | T): Promise<T>;
}

/**
 * The port's methods that change the disk or run a program: each is a fault point, and each but
 * `run` a guarded path. (withLock creates its lock file too, O_NOFOLLOW; the guard checks its path,
 * but it is no fault point: a lock that cannot be taken fails before anything is written.)
 */
export const CHANGING_OPERATIONS = [
  'writeAtomic',
  'writeNew',
  'makeDirectory',
  'makeDirectories',
  'move',
  'remove',
  'setModeAndOwner',
  'run',
] as const satisfies readonly (keyof ApplyIo)[];

/** Text of a file read through the port ('' when it does not exist). */
export function readText(io: ApplyIo, path: string): string {
  return io.read(path)?.toString('utf8') ?? '';
}

export function exists(io: ApplyIo, path: string): boolean {
  return io.entry(path) !== undefined;
}
