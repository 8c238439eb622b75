// @ts-check
// C string handling over binary strings (one char per byte), where vpopmail's results depend on
// C's exact semantics: atoi's saturation, strtok, fgets' fixed-size buffers, NUL-terminated
// buffers.

/** @param {string} s a JavaScript string, as node decodes argv and environment variables */
export const toBin = (s) => Buffer.from(s, 'utf8').toString('latin1');
/** @param {string} p a binary string, for fs calls */
export const P = (p) => Buffer.from(p, 'latin1');

/**
 * tolower() of every byte: ASCII only, as in the C locale.
 * @param {string} s
 */
export const lower = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
/** @param {string} s */
export const upper = (s) => s.replace(/[a-z]/g, (c) => c.toUpperCase());

/**
 * atoi/atol: leading blanks, sign, digits; saturates like strtol, then truncates to int.
 * @param {string} s
 * @returns {bigint}
 */
export function strtoll(s) {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(s);
  if (!m || m[2] === '') return 0n;
  let v = BigInt(m[2]);
  if (m[1] === '-') v = -v;
  const max = (1n << 63n) - 1n;
  const min = -(1n << 63n);
  if (v > max) v = max;
  if (v < min) v = min;
  return v;
}
/** @param {string | undefined} s a missing field reads as "", as C's atoi of an empty buffer */
export const atoi = (s) => Number(BigInt.asIntN(32, strtoll(s ?? '')));
/** @param {string | undefined} s */
export const atolUnsigned = (s) => BigInt.asUintN(64, strtoll(s ?? ''));

/**
 * strtok(s, delims) first token, or null.
 * @param {string} s
 * @param {string} delims
 * @returns {string | null}
 */
export function strtok1(s, delims) {
  let i = 0;
  while (i < s.length && delims.includes(s[i])) i++;
  if (i >= s.length) return null;
  let j = i;
  while (j < s.length && !delims.includes(s[j])) j++;
  return s.slice(i, j);
}

/**
 * fgets() over a whole file: chunks of at most size-1 bytes, each ending after its '\n' if any.
 * @param {string} text
 * @param {number} size
 */
export function fgetsChunks(text, size) {
  /** @type {string[]} */
  const res = [];
  const max = size - 1;
  let i = 0;
  while (i < text.length) {
    const nl = text.indexOf('\n', i);
    const end = nl < 0 ? text.length : nl + 1;
    const j = end - i > max ? i + max : end;
    res.push(text.slice(i, j));
    i = j;
  }
  return res;
}
/**
 * The string in a C char buffer: everything before the first NUL (or the end of the array).
 * @param {Iterable<string | undefined>} arr
 */
export const dirString = (arr) => {
  let s = '';
  for (const c of arr) {
    if (c === undefined || c === '\0') break;
    s += c;
  }
  return s;
};
