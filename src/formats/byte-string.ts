declare const oneCharPerByte: unique symbol;

/**
 * A file's bytes held as a string of one char per byte (their Latin-1 decoding). vpasswd is bytes,
 * not UTF-8: a gecos written in Latin-1 by another tool must survive a rewrite byte for byte, so
 * apply re-reads and rewrites it this way. The brand keeps such a string from meeting text (a
 * value from the YAML, a path for the disk) without going through `encodeText`/`decodeBytes`.
 */
export type ByteString = string & { readonly [oneCharPerByte]: true };

export function byteString(data: Uint8Array): ByteString {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1') as ByteString;
}

/** The byte string of a text's UTF-8 encoding: how a value from the YAML is written into vpasswd. */
export function encodeText(text: string): ByteString {
  return Buffer.from(text, 'utf8').toString('latin1') as ByteString;
}

/** The text those bytes spell in UTF-8: how a path read from vpasswd is used on the disk. */
export function decodeBytes(value: ByteString): string {
  return Buffer.from(value, 'latin1').toString('utf8');
}

export function bufferOf(value: ByteString): Buffer {
  return Buffer.from(value, 'latin1');
}
