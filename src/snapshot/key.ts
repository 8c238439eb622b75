import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** The snapshot key: 32 random bytes, kept on the server as 64 hex digits and a newline. */
export const KEY_BYTES = 32;

/** `~vpopmail/etc/mailstate.key`. */
export function keyFilePath(vpopmailHome: string): string {
  return `${vpopmailHome}/etc/mailstate.key`;
}

/** A key as hex (64 digits, surrounding white space ignored), or undefined when it is not one. */
export function parseKey(text: string): Buffer | undefined {
  const hex = text.trim();
  return /^[0-9a-fA-F]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

/** A key file holds the hex form; a raw 32-byte file is accepted too. */
export function readKeyFile(path: string): Buffer {
  const bytes = readFileSync(path);
  const key = parseKey(bytes.toString('latin1')) ?? (bytes.length === KEY_BYTES ? bytes : undefined);
  if (!key) throw new Error(`${path} does not hold a mailstate key (64 hex digits)`);
  return key;
}

/**
 * The server's snapshot key, created on first use: O_EXCL with mode 0600 so it never exists with
 * looser permissions and two first runs cannot make two keys (the loser reads the winner's).
 */
export function loadOrCreateKey(path: string): { key: Buffer; created: boolean } {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { key: readKeyFile(path), created: false };
  }
  const key = randomBytes(KEY_BYTES);
  try {
    writeSync(fd, `${key.toString('hex')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { key, created: true };
}

/** The keyed digest a snapshot holds instead of a hash: HMAC-SHA256(key, hash), hex. */
export function hashDigest(key: Buffer, hash: string): string {
  return createHmac('sha256', key).update(hash, 'utf8').digest('hex');
}

/**
 * Names a key without revealing it, so a plan can tell "wrong key" from "password changed":
 * the first 16 hex digits of HMAC-SHA256(key, "mailstate key id").
 */
export function keyId(key: Buffer): string {
  return createHmac('sha256', key).update('mailstate key id', 'utf8').digest('hex').slice(0, 16);
}
