/**
 * Text from a pull request ends up in terminals, CI logs and review comments. JSON.stringify
 * escapes C0 control characters but leaves alone characters that are just as treacherous there:
 * DEL, the C1 controls (U+009B is an 8-bit CSI, which some terminals obey), soft hyphen,
 * zero-width and bidirectional formatting characters (a "Trojan Source" name reads differently
 * from what it is), the line and paragraph separators, and the byte order mark.
 */
export const INVISIBLE =
  /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/;

const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'g');

/** C0 controls, DEL and the C1 controls: never part of a name, address, comment or path mailstate writes. */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** `text` JSON-quoted with every character above written as a \u escape, shortened to `max` characters. */
export function quoted(text: string, max = 60): string {
  const shown = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(shown).replace(
    INVISIBLE_ALL,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** `text` as it is when it is harmless (paths, names: the usual case), JSON-quoted and escaped otherwise. */
export function inert(text: string): string {
  return CONTROL_CHARACTER.test(text) || INVISIBLE.test(text) ? quoted(text, Number.MAX_SAFE_INTEGER) : text;
}
