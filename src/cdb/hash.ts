/** djb's cdb hash: h = ((h << 5) + h) ^ c, from 5381, over the key bytes, unsigned 32-bit. */
export function cdbHash(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let h = 5381;
  for (let i = start; i < end; i++) {
    h = (((h << 5) + h) ^ bytes[i]!) >>> 0;
  }
  return h;
}
