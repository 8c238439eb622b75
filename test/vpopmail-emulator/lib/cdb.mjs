// @ts-check
// cdb files (djb layout; byte-identical to qmail's cdbmake and to tinycdb for these sizes), for
// vpasswd.cdb, users/cdb and morercpthosts.cdb.

/** @param {Buffer} buf */
function cdbHash(buf) {
  let h = 5381;
  for (let i = 0; i < buf.length; i++) h = ((h * 33) ^ buf[i]) >>> 0;
  return h >>> 0;
}

/** @typedef {{ h: number, p: number }} Slot a record's hash and position, as the hash tables hold them */

/**
 * @param {Array<[Buffer, Buffer]>} records [key, data] in insertion order
 * @returns {Buffer}
 */
export function cdbMake(records) {
  const header = Buffer.alloc(2048);
  /** @type {Buffer[]} */
  const parts = [header];
  /** @type {Slot[]} */
  const entries = [];
  let pos = 2048;
  for (const [k, d] of records) {
    const head = Buffer.alloc(8);
    head.writeUInt32LE(k.length, 0);
    head.writeUInt32LE(d.length, 4);
    parts.push(head, k, d);
    entries.push({ h: cdbHash(k), p: pos });
    pos += 8 + k.length + d.length;
  }
  const buckets = Array.from({ length: 256 }, () => /** @type {Slot[]} */ ([]));
  for (const e of entries) buckets[e.h & 255].push(e);
  for (let b = 0; b < 256; b++) {
    const list = buckets[b];
    const len = list.length * 2;
    header.writeUInt32LE(pos, b * 8);
    header.writeUInt32LE(len, b * 8 + 4);
    if (len === 0) continue;
    const slots = Array.from({ length: len }, () => /** @type {Slot | null} */ (null));
    for (const e of list) {
      let where = (e.h >>> 8) % len;
      while (slots[where]) if (++where === len) where = 0;
      slots[where] = e;
    }
    const table = Buffer.alloc(len * 8);
    slots.forEach((s, i) => {
      if (!s) return;
      table.writeUInt32LE(s.h, i * 8);
      table.writeUInt32LE(s.p, i * 8 + 4);
    });
    parts.push(table);
    pos += len * 8;
  }
  return Buffer.concat(parts);
}

/**
 * Looks key up in a cdb file's bytes: the data of the first matching record, or null.
 * @param {Buffer | null} buf null for a file that could not be read, which has no records
 * @param {string} keyStr a binary string
 * @returns {string | null} a binary string
 */
export function cdbGet(buf, keyStr) {
  if (!buf || buf.length < 2048) return null;
  const key = Buffer.from(keyStr, 'latin1');
  const h = cdbHash(key);
  const b = h & 255;
  const tpos = buf.readUInt32LE(b * 8);
  const tlen = buf.readUInt32LE(b * 8 + 4);
  if (tlen === 0) return null;
  let slot = (h >>> 8) % tlen;
  for (let n = 0; n < tlen; n++) {
    const off = tpos + slot * 8;
    if (off + 8 > buf.length) return null;
    const sh = buf.readUInt32LE(off);
    const sp = buf.readUInt32LE(off + 4);
    if (sp === 0) return null;
    if (sh === h && sp + 8 <= buf.length) {
      const klen = buf.readUInt32LE(sp);
      const dlen = buf.readUInt32LE(sp + 4);
      if (klen === key.length && buf.subarray(sp + 8, sp + 8 + klen).equals(key)) {
        return buf.subarray(sp + 8 + klen, sp + 8 + klen + dlen).toString('latin1');
      }
    }
    if (++slot === tlen) slot = 0;
  }
  return null;
}
