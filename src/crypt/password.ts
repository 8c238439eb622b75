import { randomBytes } from 'node:crypto';
import { encrypt } from 'unixcrypt';
import { md5Crypt } from './md5-crypt.js';

const SALT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Does `clear` match the stored crypt(3) string? `undefined` when the format cannot be checked
 * here (DES, bcrypt): the caller then treats the password as changed and rewrites it as SHA-512.
 */
export function clearMatchesHash(clear: string, hash: string): boolean | undefined {
  if (hash.startsWith('$6$') || hash.startsWith('$5$')) return encrypt(clear, hash) === hash;
  if (hash.startsWith('$1$')) {
    const salt = hash.slice(3, hash.indexOf('$', 3));
    return md5Crypt(clear, salt) === hash;
  }
  return undefined;
}

/** SHA-512 crypt with an 8-character salt, as vpopmail 5.6's mkpasswd3 makes it. */
export function sha512Crypt(clear: string, salt: string = randomSalt()): string {
  return encrypt(clear, `$6$${salt}`);
}

function randomSalt(): string {
  return Array.from(randomBytes(8), (byte) => SALT_ALPHABET[byte & 0x3f]).join('');
}
