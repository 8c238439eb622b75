import { isUtf8 } from 'node:buffer';
import type { Diagnostic } from '../model/diagnostic.js';
import { stripBom } from './parse.js';
import { MAX_YAML_BYTES, tooLarge } from './read-yaml-file.js';
import { lineColOf, lineStartsOf } from './yaml-tree.js';

type Decoded = { text: string } | { invalid: Omit<Diagnostic, 'file'> };

const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * A read file as text. Bytes that are not UTF-8 are refused at the first bad byte: decoding them
 * would silently turn them into U+FFFD (two different names could then meet, and what is applied
 * would not be what was reviewed). Text longer than the cap is refused too (readers that return text).
 */
export function decodeYaml(raw: string | Uint8Array): Decoded {
  if (typeof raw === 'string') {
    if (raw.length > MAX_YAML_BYTES) throw tooLarge(Buffer.byteLength(raw));
    return { text: raw };
  }
  if (raw.length > MAX_YAML_BYTES) throw tooLarge(raw.length);
  if (isUtf8(raw)) return { text: UTF8.decode(raw) };
  const bad = invalidUtf8Offset(raw);
  // Never expected (both checks follow RFC 3629), but a disagreement must not crash the loader.
  if (bad >= raw.length) return { text: UTF8.decode(raw) };
  // Columns count characters of the text before the bad byte, as everywhere else.
  const before = stripBom(UTF8.decode(raw.subarray(0, bad)));
  const byte = raw[bad]!.toString(16).padStart(2, '0');
  const message = `the file is not valid UTF-8 (byte 0x${byte}); save it as UTF-8`;
  return {
    invalid: { severity: 'error', code: 'not-utf8', message, ...lineColOf(lineStartsOf(before), before.length) },
  };
}

/** A multi-byte sequence: its length, and the range its second byte must be in. */
interface Sequence {
  length: number;
  low: number;
  high: number;
}

/**
 * The second byte's range is narrower after E0, ED, F0 and F4: that is what refuses overlong
 * forms, surrogates and code points above U+10FFFF (RFC 3629).
 */
function sequenceOf(lead: number): Sequence | undefined {
  if (lead >= 0xc2 && lead <= 0xdf) return { length: 2, low: 0x80, high: 0xbf };
  if (lead >= 0xe0 && lead <= 0xef)
    return { length: 3, low: lead === 0xe0 ? 0xa0 : 0x80, high: lead === 0xed ? 0x9f : 0xbf };
  if (lead >= 0xf0 && lead <= 0xf4)
    return { length: 4, low: lead === 0xf0 ? 0x90 : 0x80, high: lead === 0xf4 ? 0x8f : 0xbf };
  return undefined;
}

/** By lead byte, computed once: a file of non-ASCII text must not cost an object per character. */
const SEQUENCES = Array.from({ length: 256 }, (_, lead) => sequenceOf(lead));

/** The offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const sequence = SEQUENCES[lead];
    if (sequence === undefined) return i;
    for (let k = 1; k < sequence.length; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < (k === 1 ? sequence.low : 0x80) || next > (k === 1 ? sequence.high : 0xbf))
        return i;
    }
    i += sequence.length;
  }
  return bytes.length;
}
