import type { CdbRanges } from '../cdb/write.js';

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
