import { cdbHash } from './hash.js';

export class CdbFormatError extends Error {}

export interface CdbRecord {
  key: Buffer;
  value: Buffer;
}

const HEADER_SIZE = 2048;

/**
 * All records of a cdb file in file order (the order `cdb -d` prints). Throws CdbFormatError on a
 * truncated or inconsistent file instead of reading past its end.
 */
export function readCdbRecords(data: Buffer): CdbRecord[] {
  if (data.length < HEADER_SIZE)
    throw new CdbFormatError(`file is ${data.length} bytes, shorter than the 2048-byte header`);
  // Records end where the first hash table starts.
  let end = data.length;
  for (let t = 0; t < 256; t++) {
    const tablePos = data.readUInt32LE(t * 8);
    const slots = data.readUInt32LE(t * 8 + 4);
    if (tablePos < HEADER_SIZE || tablePos + slots * 8 > data.length) {
      throw new CdbFormatError(`hash table ${t} points outside the file`);
    }
    end = Math.min(end, tablePos);
  }
  const records: CdbRecord[] = [];
  let pos = HEADER_SIZE;
  while (pos < end) {
    if (pos + 8 > end) throw new CdbFormatError(`record header at byte ${pos} is truncated`);
    const keyLength = data.readUInt32LE(pos);
    const valueLength = data.readUInt32LE(pos + 4);
    const keyStart = pos + 8;
    const valueStart = keyStart + keyLength;
    const next = valueStart + valueLength;
    if (next > end) throw new CdbFormatError(`record at byte ${pos} runs past the end of the data`);
    records.push({ key: data.subarray(keyStart, valueStart), value: data.subarray(valueStart, next) });
    pos = next;
  }
  return records;
}

/** The first value stored under `key`, as a cdb lookup (`cdb -q`) returns it. */
export function lookupCdb(data: Buffer, key: Buffer): Buffer | undefined {
  if (data.length < HEADER_SIZE) throw new CdbFormatError('file shorter than its header');
  const h = cdbHash(key);
  const tablePos = data.readUInt32LE((h & 0xff) * 8);
  const slots = data.readUInt32LE((h & 0xff) * 8 + 4);
  if (slots === 0) return undefined;
  let slot = (h >>> 8) % slots;
  for (let probes = 0; probes < slots; probes++) {
    const entry = tablePos + slot * 8;
    if (entry + 8 > data.length) throw new CdbFormatError('hash table runs past the end of the file');
    const recordPos = data.readUInt32LE(entry + 4);
    if (recordPos === 0) return undefined;
    if (data.readUInt32LE(entry) === h) {
      // A damaged slot can point anywhere: check before reading the record header, or Buffer
      // throws a RangeError that callers (vpasswdCdbFreshness) do not expect.
      if (recordPos + 8 > data.length) throw new CdbFormatError('hash table entry points past the end of the file');
      const keyLength = data.readUInt32LE(recordPos);
      const valueLength = data.readUInt32LE(recordPos + 4);
      const keyStart = recordPos + 8;
      if (keyStart + keyLength + valueLength > data.length)
        throw new CdbFormatError('record runs past the end of the file');
      if (keyLength === key.length && data.subarray(keyStart, keyStart + keyLength).equals(key)) {
        return data.subarray(keyStart + keyLength, keyStart + keyLength + valueLength);
      }
    }
    slot = (slot + 1) % slots;
  }
  return undefined;
}
