import { buildCdb } from '../cdb/write.js';
import type { Diagnostic, DiagnosticCode } from '../model/diagnostic.js';

/** One virtual-domain line of qmail's `users/assign`: `+<domain>-:<realDomain>:<uid>:<gid>:<dir>:-::`. */
export interface AssignEntry {
  /** The domain mail is addressed to (lowercased, as qmail-newu keys it). */
  domain: string;
  /** The domain whose directory serves it; differs from `domain` for an alias domain (vaddaliasdomain). */
  realDomain: string;
  uid: number;
  gid: number;
  dir: string;
  /** 1-based line in users/assign. */
  line: number;
  /** The value qmail-newu stores for it in users/cdb under `!<domain>-`: user, uid, gid, dir, dash, each NUL-ended. */
  usersCdbValue: string;
}

/** The virtual domains of users/assign in file order, and what is wrong with the file. */
export interface ParsedAssign {
  entries: AssignEntry[];
  diagnostics: Diagnostic[];
}

/**
 * Parses `users/assign` the way qmail-newu reads it (notqmail qmail-newu.c): a line starting with `.`
 * ends the file; every other line needs a complete `\n`, a `:` after a non-empty key and at least
 * six more `:`, or qmail-newu refuses the whole file ("bad format") and users/cdb is not rebuilt.
 * Such lines are reported and skipped so the remaining domains can still be read.
 *
 * Only `+<name>-` wildcard lines are virtual domains. Exact (`=`) lines and wildcards that do not
 * end in `-` are valid qmail but not vpopmail domains, so they are ignored without a warning.
 */
export function parseAssign(text: string, file: string): ParsedAssign {
  const entries: AssignEntry[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  // Text after the last '\n' is a line without a newline; nothing after it is no line at all.
  const unterminated = lines[lines.length - 1] !== '';
  if (!unterminated) lines.pop();
  const warn = (code: DiagnosticCode, line: number, message: string) =>
    diagnostics.push({ severity: 'warning', code, message, file, line });

  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    // qmail-newu checks for '.' before it checks for the newline, so a final "." needs none.
    if (raw.startsWith('.')) {
      const after = lines.slice(index + 1).findIndex((line) => line.trim() !== '');
      // Harmless to qmail today, but a tool that re-sorts the file and puts the "." back last
      // (as adding a domain does) moves such lines above it and so brings them to life.
      if (after >= 0)
        warn(
          'assign-after-end',
          lineNo + after + 1,
          `users/assign line ${lineNo + after + 1} comes after the final "." line: qmail-newu ignores it, but a tool that rewrites the file may not`,
        );
      return { entries, diagnostics };
    }
    // Reported, but still read: the line says what was meant.
    if (unterminated && index === lines.length - 1)
      warn('assign-malformed', lineNo, refusedBecause(lineNo, 'has no newline'));
    const reading = readAssignLine(raw, lineNo);
    if (reading.kind === 'malformed') warn('assign-malformed', lineNo, refusedBecause(lineNo, reading.why));
    else if (reading.kind === 'bad-ids') warn('assign-malformed', lineNo, reading.message);
    if (reading.kind !== 'entry') continue;
    const firstLine = seen.get(reading.entry.domain);
    if (firstLine !== undefined) {
      warn(
        'assign-duplicate',
        lineNo,
        `users/assign line ${lineNo} repeats domain ${reading.entry.domain} (first on line ${firstLine}); qmail uses the first, so this one is ignored`,
      );
      continue;
    }
    seen.set(reading.entry.domain, lineNo);
    entries.push(reading.entry);
  }
  // Placed at the last line, after which the "." is missing (line 1 for an empty file).
  warn(
    'assign-unterminated',
    Math.max(lines.length, 1),
    `users/assign has no final "." line after line ${lines.length}: qmail-newu refuses the file ("bad format")`,
  );
  return { entries, diagnostics };
}

function refusedBecause(line: number, why: string): string {
  return `users/assign line ${line} ${why}: qmail-newu refuses the whole file ("bad format") until it is fixed`;
}

/** What one line before the "." is to qmail-newu and to vpopmail. */
type AssignLineReading =
  | { kind: 'entry'; entry: AssignEntry }
  /** Valid qmail that is not a vpopmail domain (an `=` line, a wildcard not ending in `-`). */
  | { kind: 'other' }
  /** A line that makes qmail-newu refuse the whole file. */
  | { kind: 'malformed'; why: string }
  /** Valid for qmail-newu, but not a domain mailstate can read. */
  | { kind: 'bad-ids'; message: string };

function readAssignLine(raw: string, lineNo: number): AssignLineReading {
  if (raw.length === 0) return { kind: 'malformed', why: 'is empty' };
  if (raw.includes('\0')) return { kind: 'malformed', why: 'contains a NUL byte' };
  const colon = raw.indexOf(':');
  if (colon <= 0) return { kind: 'malformed', why: colon < 0 ? 'has no ":"' : 'starts with ":"' };
  const fields = raw.slice(colon + 1).split(':');
  // qmail-newu needs six colons after the key: user:uid:gid:home:dash:ext:
  if (fields.length < 7) {
    const why = `has ${fields.length - 1} of the 6 ":" qmail-newu needs after the key (the line may have been cut)`;
    return { kind: 'malformed', why };
  }
  const key = raw.slice(1, colon).toLowerCase();
  if (!raw.startsWith('+') || key.length < 2 || !key.endsWith('-')) return { kind: 'other' };
  const [realDomain, uidText, gidText, dir] = fields as [string, string, string, string];
  if (!/^\d+$/.test(uidText) || !/^\d+$/.test(gidText)) {
    const message = `users/assign line ${lineNo}: uid ${JSON.stringify(uidText)} or gid ${JSON.stringify(gidText)} is not a number; line ignored`;
    return { kind: 'bad-ids', message };
  }
  const usersCdbValue = `${fields.slice(0, 5).join('\0')}\0`;
  const domain = key.slice(0, -1);
  return {
    kind: 'entry',
    entry: { domain, realDomain, uid: Number(uidText), gid: Number(gidText), dir, line: lineNo, usersCdbValue },
  };
}

/** The line vadddomain writes for a domain, and vaddaliasdomain for an alias (`domain`) of `realDomain`. */
export function formatAssignLine(entry: Pick<AssignEntry, 'domain' | 'realDomain' | 'uid' | 'gid' | 'dir'>): string {
  return `+${entry.domain}-:${entry.realDomain}:${entry.uid}:${entry.gid}:${entry.dir}:-::`;
}

/**
 * users/cdb as qmail-newu builds it (golden 01): `!loc` → `user\0uid\0gid\0dir\0dash\0`, then "" → the
 * wildcard chars. It reads every line as qmail does, `=` lines included, unlike parseAssign, which
 * keeps only vpopmail's domains.
 */
export function usersCdbFromAssign(assign: string): Buffer {
  const records: Array<[string, string]> = [];
  const wildChars = new Set<string>();
  for (const line of assign.split('\n')) {
    if (line === '.') break;
    if (line === '') continue;
    const kind = line[0];
    const fields = line.slice(1).split(':');
    if ((kind !== '+' && kind !== '=') || fields.length < 7) continue;
    const [loc, user, uid, gid, dir, dash, ext] = fields as [string, string, string, string, string, string, string];
    if (kind === '+') {
      records.push([`!${loc.toLowerCase()}`, `${user}\0${uid}\0${gid}\0${dir}\0${dash}\0`]);
      for (const c of dash) wildChars.add(c);
    } else {
      records.push([`=${loc.toLowerCase()}`, `${user}\0${uid}\0${gid}\0${dir}\0${dash}\0${ext}\0`]);
    }
  }
  records.push(['', [...wildChars].join('')]);
  return buildCdb(records);
}
