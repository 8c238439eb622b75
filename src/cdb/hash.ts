/** djb's cdb hash: h = ((h << 5) + h) ^ c, from 5381, over the key bytes, unsigned 32-bit. */
export function cdbHash(key: Uint8Array): number {
  let h = 5381;
  for (let i = 0; i < key.length; i++) {
    h = (((h << 5) + h) ^ key[i]!) >>> 0;
  }
  return h;
}
