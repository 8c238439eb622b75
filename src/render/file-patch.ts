import { basename } from 'node:path';
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from 'diff';
import { CONTROL_CHARACTER, INVISIBLE } from '../model/display.js';

/** Lines of context around each change, as `diff -u` and git show by default. */
const CONTEXT = 3;

const SHOWN_AS_ESCAPE = new RegExp(`(?!\\t)(?:${CONTROL_CHARACTER.source}|${INVISIBLE.source})`, 'g');

/**
 * A vpasswd line with its password hash (field 2) and clear text (field 8 on) replaced by
 * `<hash>` and `<clear>`: what the review needs is that a password changes, never what it is.
 * Empty fields stay empty: "no password" and "no clear text kept" are no secret.
 */
export function redactVpasswdLine(line: string): string {
  const fields = line.split(':');
  if (fields.length < 2) return line;
  if (fields[1] !== '') fields[1] = '<hash>';
  if (fields.length > 7) {
    const clear = fields.slice(7).join(':');
    fields.splice(7, fields.length - 7, clear === '' ? '' : '<clear>');
  }
  return fields.join(':');
}

/**
 * Control, bidirectional and zero-width characters written as `\uXXXX`: a line of a file that the
 * vpopmail account can edit must not be able to drive the reviewer's terminal or hide text.
 */
function visible(line: string): string {
  return line.replace(SHOWN_AS_ESCAPE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The unified diff of one text file, `before` undefined for a file that does not exist yet.
 * The diff is made of the real texts (so a changed hash is a changed line), then each line shown
 * is redacted when the file is a vpasswd.
 */
export function textPatch(path: string, before: string | undefined, after: string): string {
  const shownPath = `${path.startsWith('/') ? '' : '/'}${path}`;
  const patch = structuredPatch(
    before === undefined ? '/dev/null' : `a${shownPath}`,
    `b${shownPath}`,
    before ?? '',
    after,
    undefined,
    undefined,
    { context: CONTEXT },
  );
  const redact = basename(path) === 'vpasswd' ? redactVpasswdLine : (line: string) => line;
  for (const hunk of patch.hunks) {
    hunk.lines = hunk.lines.map((line) =>
      line.startsWith('\\') ? line : `${line[0]}${visible(redact(line.slice(1)))}`,
    );
  }
  return formatPatch(patch, FILE_HEADERS_ONLY);
}

/** Bytes as text: UTF-8 when they are, else Latin-1 (a gecos of another tool); undefined for binary (a NUL byte). */
export function textOf(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}
