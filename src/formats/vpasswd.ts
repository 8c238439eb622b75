import type { Diagnostic, DiagnosticCode } from '../model/diagnostic.js';
import { canonicalQuotaField } from '../model/quota.js';
import type { LiveUser, MalformedVpasswdLine } from '../model/state.js';

/**
 * A user as its vpasswd line holds it, the password fields verbatim; the reader makes a LiveUser
 * of it, with the forward read from other files.
 */
export type VpasswdUser<S extends string = string> = {
  [K in keyof Omit<LiveUser, 'forward' | 'password'>]: LiveUser[K] extends string ? S : LiveUser[K];
} & {
  /** Field 2, verbatim. */
  hash: S;
  /** Field 8; undefined when the line has 7 fields. */
  clear?: S;
};

/**
 * The users of one vpasswd file and what is wrong with it. `S` is the text's own type: parsed
 * from a ByteString (apply's re-read), every field is one.
 */
export interface ParsedVpasswd<S extends string = string> {
  /** In file order; a repeated name keeps its first line, as the cdb lookup does. */
  users: VpasswdUser<S>[];
  /** True when any line carries the 8th (clear-text) field: the build keeps clear passwords. */
  clearPasswords: boolean;
  diagnostics: Diagnostic[];
  /**
   * The names of lines skipped as malformed (too few fields, bad flags), by line. Such a user is
   * invisible here but still has a line (and maybe a directory and a cdb record), so adding the
   * name again would make a second line for it: the planner refuses to touch these names.
   */
  malformed: MalformedVpasswdLine[];
}

/**
 * vpopmail keeps the flags (pw_gid) in a C int read with atoi, and mailstate's flag arithmetic is
 * 32-bit: a larger value means something else to each of them, so it is not read at all.
 */
export const MAX_VPASSWD_FLAGS = 2 ** 31 - 1;

/**
 * vpopmail's cdb builder reads vpasswd with `fgets` into a 512-byte buffer (vpopmail cdb/compile.c):
 * a longer line is split in two and the builder runs off the end of it.
 */
export const VPASSWD_MAX_LINE_BYTES = 511;

/**
 * Parses a domain's `vpasswd` text. Nothing is thrown: every line vpopmail would mishandle is
 * reported with its line number and left out, so one bad hand edit does not hide the other users.
 */
export function parseVpasswd<S extends string>(text: S, file: string): ParsedVpasswd<S> {
  const users: VpasswdUser[] = [];
  const diagnostics: Diagnostic[] = [];
  const malformed: MalformedVpasswdLine[] = [];
  const firstLine = new Map<string, number>();
  const quotas = new Map<string, string | undefined>();
  let withClear = 0;
  const lines = text.split('\n');
  const unterminated = lines[lines.length - 1] !== '';
  if (!unterminated) lines.pop();
  const warn = (code: DiagnosticCode, line: number, message: string): void => {
    diagnostics.push({ severity: 'warning', code, message, file, line });
  };

  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    const reading = readVpasswdLine(raw);
    if (reading.kind === 'skipped') {
      // An empty name is no one's: its record can lock nobody out.
      if (reading.name !== undefined && reading.name !== '') malformed.push({ name: reading.name, line: lineNo });
      warn('vpasswd-malformed', lineNo, reading.why);
      continue;
    }
    const { fields } = reading;
    // Only a warning prints the name: the usual line costs no escaping.
    const name = (): string => printable(fields.name);
    // raw.length * 3 bounds the UTF-8 size, which spares the byte count on the usual short line.
    if (raw.length * 3 + 1 > VPASSWD_MAX_LINE_BYTES && Buffer.byteLength(raw, 'utf8') + 1 > VPASSWD_MAX_LINE_BYTES) {
      warn(
        'vpasswd-line-too-long',
        lineNo,
        `user ${name()}: line is longer than vpopmail's ${VPASSWD_MAX_LINE_BYTES}-byte line buffer; its cdb builder splits it`,
      );
    }
    if (unterminated && index === lines.length - 1) {
      warn(
        'vpasswd-no-newline',
        lineNo,
        `user ${name()}: the last line of vpasswd has no newline, so vpopmail leaves it out of vpasswd.cdb and the user cannot log in or receive mail`,
      );
    }
    const seenAt = firstLine.get(fields.name);
    if (seenAt !== undefined) {
      warn(
        'vpasswd-duplicate',
        lineNo,
        `user ${name()} appears again (first on line ${seenAt}); the cdb lookup uses the first line, so this one is ignored`,
      );
      continue;
    }
    firstLine.set(fields.name, lineNo);
    // A domain has a handful of distinct quota fields; each is read once.
    if (!quotas.has(fields.quotaRaw)) quotas.set(fields.quotaRaw, canonicalQuotaField(fields.quotaRaw));
    let quota = quotas.get(fields.quotaRaw);
    if (quota === undefined) {
      warn(
        'vpasswd-quota',
        lineNo,
        `user ${name()}: quota "${printable(fields.quotaRaw)}" is not a form mailstate understands; kept as it is`,
      );
      quota = fields.quotaRaw;
    }
    if (fields.clear !== undefined) withClear++;
    users.push({ ...fields, quota, line: lineNo });
  }
  const withoutClear = users.length - withClear;
  if (withClear > 0 && withoutClear > 0) {
    // An upgrade from a clear-password build leaves both kinds; writing the 8th field is harmless
    // on either build, while dropping it would break CRAM-MD5/APOP on a clear-password build.
    diagnostics.push({
      severity: 'warning',
      code: 'vpasswd-mixed-fields',
      message: `vpasswd mixes ${withClear} lines with a clear-text field and ${withoutClear} without; mailstate writes the clear-text field`,
      file,
    });
  }
  // Every field is a slice of `text`, so it is bytes when `text` is.
  return { users: users as VpasswdUser<S>[], clearPasswords: withClear > 0, diagnostics, malformed };
}

/** The fields of a line vpopmail can read, before its quota is made canonical. */
type LineFields = Omit<VpasswdUser, 'quota' | 'line'>;

type VpasswdLineReading =
  | { kind: 'read'; fields: LineFields }
  /** Left out with a warning; `name` is set when the line still names a user vpopmail may see. */
  | { kind: 'skipped'; why: string; name?: string };

function readVpasswdLine(raw: string): VpasswdLineReading {
  if (raw === '' || /^\s*$/.test(raw))
    return {
      kind: 'skipped',
      why: "blank line in vpasswd: vpopmail's cdb builder crashes on it (vmkpasswd and vadduser segfault); line skipped",
    };
  if (raw.startsWith('#'))
    return {
      kind: 'skipped',
      why: 'comment line in vpasswd: vpopmail has no comments and its cdb builder crashes on it; line skipped',
    };
  const fields = raw.split(':');
  if (fields.length < 7) {
    const name = fields[0]!;
    const what =
      fields.length === 1
        ? `vpasswd line "${printable(name)}" has no ":"`
        : `vpasswd line of "${printable(name)}" has ${fields.length} fields, not 7 or 8`;
    return { kind: 'skipped', why: `${what}; line skipped`, name };
  }
  const [name, hash, apop, flagsText, comment, dir, quotaRaw] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^\d+$/.test(flagsText) || Number(flagsText) > MAX_VPASSWD_FLAGS) {
    const why = /^\d+$/.test(flagsText) ? `is larger than ${MAX_VPASSWD_FLAGS}` : 'is not a decimal number';
    return {
      kind: 'skipped',
      why: `user ${printable(name)}: flags field "${printable(flagsText)}" ${why}; line skipped`,
      name,
    };
  }
  const read = { name, hash, apop, flags: Number(flagsText), comment, dir, quotaRaw };
  // Field 8 is last, so a clear-text password may itself contain ':'.
  return { kind: 'read', fields: fields.length > 7 ? { ...read, clear: fields.slice(7).join(':') } : read };
}

/** A value from a broken line, cut and with control characters escaped, for a one-line message. */
function printable(value: string): string {
  const cut = value.length > 64 ? `${value.slice(0, 61)}...` : value;
  // eslint-disable-next-line no-control-regex
  return cut.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The vpasswd fields of one line, in vpopmail's terms. */
export interface VpasswdLineFields<S extends string = string> {
  name: S;
  hash: S;
  apop: S;
  flags: number;
  comment: S;
  dir: S;
  quota: S;
  clear?: S;
}

/**
 * One vpasswd line, without the newline: 7 fields, or 8 when the build keeps clear passwords.
 * Throws on a value that would break the line: validation must have refused it earlier.
 */
export function formatVpasswdLine<S extends string>(user: VpasswdLineFields<S>, clearPasswords: boolean): S {
  const fixed: Array<[string, string]> = [
    ['name', user.name],
    ['hash', user.hash],
    ['apop', user.apop],
    ['comment', user.comment],
    ['dir', user.dir],
    ['quota', user.quota],
  ];
  for (const [field, value] of fixed) {
    if (/[:\n]/.test(value)) throw new Error(`vpasswd ${field} of ${user.name} contains ":" or a newline`);
  }
  if (!Number.isSafeInteger(user.flags) || user.flags < 0)
    throw new Error(`vpasswd flags of ${user.name} must be a non-negative integer`);
  const clear = user.clear ?? '';
  if (clearPasswords && clear.includes('\n')) throw new Error(`clear-text password of ${user.name} contains a newline`);
  const line = `${user.name}:${user.hash}:${user.apop}:${user.flags}:${user.comment}:${user.dir}:${user.quota}`;
  // Joined from fields of one kind (and ASCII flags), the line is of that kind.
  return (clearPasswords ? `${line}:${clear}` : line) as S;
}
