import { cdbHash } from './hash.js';

export type CdbInput = string | Uint8Array;

const HEADER_SIZE = 2048;

function toBytes(value: CdbInput): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * Builds a cdb file in one linear pass. The layout is the one tinycdb's `cdb -c` and vpopmail's
 * cdbmake produce: records in input order, then 256 hash tables of twice their entry count,
 * entries placed at (hash >> 8) % size with linear probing in input order. Same records, same
 * bytes (golden scenario 18), so real vpopmail and `cdb -d` read it exactly as their own.
 */
export function buildCdb(records: Iterable<readonly [CdbInput, CdbInput]>): Buffer {
  const chunks: Buffer[] = [];
  const hashes: number[] = [];
  const positions: number[] = [];
  let position = HEADER_SIZE;
  for (const [rawKey, rawValue] of records) {
    const key = toBytes(rawKey);
    const value = toBytes(rawValue);
    const head = Buffer.allocUnsafe(8);
    head.writeUInt32LE(key.length, 0);
    head.writeUInt32LE(value.length, 4);
    chunks.push(head, key, value);
    hashes.push(cdbHash(key));
    positions.push(position);
    position += 8 + key.length + value.length;
    if (position > 0xffffffff) throw new RangeError('cdb larger than 4 GiB');
  }

  // Bucket record indexes by the low byte of their hash, keeping input order.
  const bucketCounts = new Uint32Array(256);
  for (const h of hashes) bucketCounts[h & 0xff]!++;
  const bucketStart = new Uint32Array(257);
  for (let t = 0; t < 256; t++) bucketStart[t + 1] = bucketStart[t]! + bucketCounts[t]!;
  const order = new Uint32Array(hashes.length);
  const fill = bucketStart.slice(0, 256);
  for (let i = 0; i < hashes.length; i++) order[fill[hashes[i]! & 0xff]!++] = i;

  const header = Buffer.alloc(HEADER_SIZE);
  const tables: Buffer[] = [];
  for (let t = 0; t < 256; t++) {
    const count = bucketCounts[t]!;
    const slots = count * 2;
    header.writeUInt32LE(position, t * 8);
    header.writeUInt32LE(slots, t * 8 + 4);
    if (slots === 0) continue;
    const table = Buffer.alloc(slots * 8);
    for (let j = bucketStart[t]!; j < bucketStart[t + 1]!; j++) {
      const record = order[j]!;
      const h = hashes[record]!;
      let slot = (h >>> 8) % slots;
      while (table.readUInt32LE(slot * 8 + 4) !== 0) slot = (slot + 1) % slots;
      table.writeUInt32LE(h, slot * 8);
      table.writeUInt32LE(positions[record]!, slot * 8 + 4);
    }
    tables.push(table);
    position += table.length;
    if (position > 0xffffffff) throw new RangeError('cdb larger than 4 GiB');
  }
  return Buffer.concat([header, ...chunks, ...tables]);
}
