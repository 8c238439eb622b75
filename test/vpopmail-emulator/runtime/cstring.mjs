// C string handling over binary strings (one char per byte), where vpopmail's results depend on
// C's exact semantics: atoi's saturation, strtok, fgets' fixed-size buffers, NUL-terminated
// buffers.

export const toBin = (s) => Buffer.from(s, 'utf8').toString('latin1');
export const P = (p) => Buffer.from(p, 'latin1');

export const lower = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
export const upper = (s) => s.replace(/[a-z]/g, (c) => c.toUpperCase());

/** atoi/atol: leading blanks, sign, digits; saturates like strtol, then truncates to int. */
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
export const atoi = (s) => Number(BigInt.asIntN(32, strtoll(s ?? '')));
export const atolUnsigned = (s) => BigInt.asUintN(64, strtoll(s ?? ''));

/** strtok(s, delims) first token, or null. */
export function strtok1(s, delims) {
  let i = 0;
  while (i < s.length && delims.includes(s[i])) i++;
  if (i >= s.length) return null;
  let j = i;
  while (j < s.length && !delims.includes(s[j])) j++;
  return s.slice(i, j);
}

/** fgets() over a whole file: chunks of at most size-1 bytes, each ending after its '\n' if any. */
export function fgetsChunks(text, size) {
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
export const dirString = (arr) => {
  let s = '';
  for (const c of arr) {
    if (c === undefined || c === '\0') break;
    s += c;
  }
  return s;
};
