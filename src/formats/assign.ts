import { buildCdb } from '../cdb/write.js';
import type { Diagnostic } from '../model/diagnostic.js';

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
  let terminated = false;

  const malformed = (line: number, why: string): void => {
    diagnostics.push({
      severity: 'warning',
      code: 'assign-malformed',
      message: `users/assign line ${line} ${why}: qmail-newu refuses the whole file ("bad format") until it is fixed`,
      file,
      line,
    });
  };

  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    // qmail-newu checks for '.' before it checks for the newline, so a final "." needs none.
    if (raw.startsWith('.')) {
      terminated = true;
      const after = lines.slice(index + 1).findIndex((line) => line.trim() !== '');
      if (after >= 0) {
        // Harmless to qmail today, but a tool that re-sorts the file and puts the "." back last
        // (as adding a domain does) moves such lines above it and so brings them to life.
        diagnostics.push({
          severity: 'warning',
          code: 'assign-after-end',
          message: `users/assign line ${lineNo + after + 1} comes after the final "." line: qmail-newu ignores it, but a tool that rewrites the file may not`,
          file,
          line: lineNo + after + 1,
        });
      }
      break;
    }
    if (unterminated && index === lines.length - 1) {
      // Reported, but still read: the line says what was meant.
      malformed(lineNo, 'has no newline');
    }
    const colon = raw.indexOf(':');
    if (raw.length === 0) {
      malformed(lineNo, 'is empty');
      continue;
    }
    if (raw.includes('\0')) {
      malformed(lineNo, 'contains a NUL byte');
      continue;
    }
    if (colon <= 0) {
      malformed(lineNo, colon < 0 ? 'has no ":"' : 'starts with ":"');
      continue;
    }
    const fields = raw.slice(colon + 1).split(':');
    // qmail-newu needs six colons after the key: user:uid:gid:home:dash:ext:
    if (fields.length < 7) {
      malformed(
        lineNo,
        `has ${fields.length - 1} of the 6 ":" qmail-newu needs after the key (the line may have been cut)`,
      );
      continue;
    }
    if (!raw.startsWith('+')) continue;
    const key = raw.slice(1, colon).toLowerCase();
    if (key.length < 2 || !key.endsWith('-')) continue;
    const [realDomain, uidText, gidText, dir] = fields as [string, string, string, string];
    if (!/^\d+$/.test(uidText) || !/^\d+$/.test(gidText)) {
      diagnostics.push({
        severity: 'warning',
        code: 'assign-malformed',
        message: `users/assign line ${lineNo}: uid ${JSON.stringify(uidText)} or gid ${JSON.stringify(gidText)} is not a number; line ignored`,
        file,
        line: lineNo,
      });
      continue;
    }
    const domain = key.slice(0, -1);
    const firstLine = seen.get(domain);
    if (firstLine !== undefined) {
      diagnostics.push({
        severity: 'warning',
        code: 'assign-duplicate',
        message: `users/assign line ${lineNo} repeats domain ${domain} (first on line ${firstLine}); qmail uses the first, so this one is ignored`,
        file,
        line: lineNo,
      });
      continue;
    }
    seen.set(domain, lineNo);
    const usersCdbValue = `${fields.slice(0, 5).join('\0')}\0`;
    entries.push({ domain, realDomain, uid: Number(uidText), gid: Number(gidText), dir, line: lineNo, usersCdbValue });
  }

  if (!terminated) {
    // Placed at the last line, after which the "." is missing (line 1 for an empty file).
    diagnostics.push({
      severity: 'warning',
      code: 'assign-unterminated',
      message: `users/assign has no final "." line after line ${lines.length}: qmail-newu refuses the file ("bad format")`,
      file,
      line: Math.max(lines.length, 1),
    });
  }
  return { entries, diagnostics };
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
