import type { CdbRanges } from '../cdb/write.js';
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
  let withoutClear = 0;
  const lines = text.split('\n');
  const unterminated = lines[lines.length - 1] !== '';
  if (!unterminated) lines.pop();

  const warn = (code: DiagnosticCode, line: number, message: string): void => {
    diagnostics.push({ severity: 'warning', code, message, file, line });
  };

  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    if (raw === '' || /^\s*$/.test(raw)) {
      warn(
        'vpasswd-malformed',
        lineNo,
        "blank line in vpasswd: vpopmail's cdb builder crashes on it (vmkpasswd and vadduser segfault); line skipped",
      );
      continue;
    }
    if (raw.startsWith('#')) {
      warn(
        'vpasswd-malformed',
        lineNo,
        'comment line in vpasswd: vpopmail has no comments and its cdb builder crashes on it; line skipped',
      );
      continue;
    }
    const fields = raw.split(':');
    if (fields.length < 7) {
      const name = fields[0]!;
      // An empty name is no one's: its record can lock nobody out.
      if (name !== '') malformed.push({ name, line: lineNo });
      const what =
        fields.length === 1
          ? `vpasswd line "${printable(name)}" has no ":"`
          : `vpasswd line of "${printable(name)}" has ${fields.length} fields, not 7 or 8`;
      warn('vpasswd-malformed', lineNo, `${what}; line skipped`);
      continue;
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
    // Field 8 is last, so a clear-text password may itself contain ':'.
    const clear = fields.length > 7 ? fields.slice(7).join(':') : undefined;
    if (!/^\d+$/.test(flagsText) || Number(flagsText) > MAX_VPASSWD_FLAGS) {
      if (name !== '') malformed.push({ name, line: lineNo });
      const why = /^\d+$/.test(flagsText) ? `is larger than ${MAX_VPASSWD_FLAGS}` : 'is not a decimal number';
      warn(
        'vpasswd-malformed',
        lineNo,
        `user ${printable(name)}: flags field "${printable(flagsText)}" ${why}; line skipped`,
      );
      continue;
    }
    // raw.length * 3 bounds the UTF-8 size, which spares the byte count on the usual short line.
    if (raw.length * 3 + 1 > VPASSWD_MAX_LINE_BYTES && Buffer.byteLength(raw, 'utf8') + 1 > VPASSWD_MAX_LINE_BYTES) {
      warn(
        'vpasswd-line-too-long',
        lineNo,
        `user ${printable(name)}: line is longer than vpopmail's ${VPASSWD_MAX_LINE_BYTES}-byte line buffer; its cdb builder splits it`,
      );
    }
    if (unterminated && index === lines.length - 1) {
      warn(
        'vpasswd-no-newline',
        lineNo,
        `user ${printable(name)}: the last line of vpasswd has no newline, so vpopmail leaves it out of vpasswd.cdb and the user cannot log in or receive mail`,
      );
    }
    const seenAt = firstLine.get(name);
    if (seenAt !== undefined) {
      warn(
        'vpasswd-duplicate',
        lineNo,
        `user ${printable(name)} appears again (first on line ${seenAt}); the cdb lookup uses the first line, so this one is ignored`,
      );
      continue;
    }
    firstLine.set(name, lineNo);
    // A domain has a handful of distinct quota fields; each is read once.
    if (!quotas.has(quotaRaw)) quotas.set(quotaRaw, canonicalQuotaField(quotaRaw));
    let quota = quotas.get(quotaRaw);
    if (quota === undefined) {
      warn(
        'vpasswd-quota',
        lineNo,
        `user ${printable(name)}: quota "${printable(quotaRaw)}" is not a form mailstate understands; kept as it is`,
      );
      quota = quotaRaw;
    }
    const flags = Number(flagsText);
    if (clear === undefined) {
      withoutClear++;
      users.push({ name, hash, apop, flags, comment, dir, quota, quotaRaw, line: lineNo });
    } else {
      withClear++;
      users.push({ name, hash, apop, flags, comment, dir, quota, quotaRaw, clear, line: lineNo });
    }
  }
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

/**
 * The `[key, value]` records vpopmail's make_vpasswd_cdb stores for a vpasswd text: per line, the
 * text before the first `:` and the rest without the newline, in file order. Its `fgets`/`feof`
 * loop never stores a last line without `\n`, so neither does this. Lines without `:` (on which
 * vpopmail's builder crashes) are left out; parseVpasswd reports them.
 *
 * Given bytes it returns bytes, so a file that is not valid UTF-8 still compares exactly.
 */
export function cdbRecordsFromVpasswdText(text: string): Array<[string, string]>;
export function cdbRecordsFromVpasswdText(text: Uint8Array): Array<[Buffer, Buffer]>;
export function cdbRecordsFromVpasswdText(
  text: string | Uint8Array,
): Array<[string, string]> | Array<[Buffer, Buffer]> {
  if (typeof text === 'string') {
    const records: Array<[string, string]> = [];
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; start = end + 1, end = text.indexOf('\n', start)) {
      const colon = text.indexOf(':', start);
      if (colon < 0 || colon > end) continue;
      records.push([text.slice(start, colon), text.slice(colon + 1, end)]);
    }
    return records;
  }
  const bytes = Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  const { ranges } = cdbRangesFromVpasswd(bytes);
  const records: Array<[Buffer, Buffer]> = [];
  for (let i = 0; i < ranges.length; i += 4)
    records.push([bytes.subarray(ranges[i]!, ranges[i + 1]!), bytes.subarray(ranges[i + 2]!, ranges[i + 3]!)]);
  return records;
}

/** The same records as ranges of the vpasswd bytes, for buildCdbFromRanges (no copy of each record). */
export function cdbRangesFromVpasswd(text: Uint8Array): CdbRanges {
  const bytes = Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  const ranges: number[] = [];
  let start = 0;
  for (let end = bytes.indexOf(0x0a); end >= 0; start = end + 1, end = bytes.indexOf(0x0a, start)) {
    const colon = bytes.indexOf(0x3a, start);
    if (colon < 0 || colon > end) continue;
    ranges.push(start, colon, colon + 1, end);
  }
  return { source: bytes, ranges: Uint32Array.from(ranges) };
}
