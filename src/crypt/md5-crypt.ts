import { createHash } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function to64(value: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out += ITOA64[value & 0x3f];
    value >>>= 6;
  }
  return out;
}

/**
 * MD5-crypt (`$1$`), the hash vpopmail 5.4 wrote by default. Only used to tell whether a clear
 * text from `env`/`file` still matches a live `$1$` hash; new hashes are always SHA-512.
 * The algorithm is Poul-Henning Kamp's, as glibc implements it.
 */
export function md5Crypt(password: string, salt: string): string {
  const pw = Buffer.from(password, 'utf8');
  const saltBytes = Buffer.from(salt.slice(0, 8), 'utf8');
  const magic = Buffer.from('$1$');

  const alternate = createHash('md5').update(pw).update(saltBytes).update(pw).digest();
  const context = createHash('md5').update(pw).update(magic).update(saltBytes);
  for (let left = pw.length; left > 0; left -= 16) context.update(alternate.subarray(0, Math.min(16, left)));
  for (let bits = pw.length; bits > 0; bits >>= 1) context.update(bits & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  let digest = context.digest();

  for (let round = 0; round < 1000; round++) {
    const step = createHash('md5');
    step.update(round & 1 ? pw : digest);
    if (round % 3) step.update(saltBytes);
    if (round % 7) step.update(pw);
    step.update(round & 1 ? digest : pw);
    digest = step.digest();
  }

  const b = (i: number) => digest[i]!;
  const encoded =
    to64((b(0) << 16) | (b(6) << 8) | b(12), 4) +
    to64((b(1) << 16) | (b(7) << 8) | b(13), 4) +
    to64((b(2) << 16) | (b(8) << 8) | b(14), 4) +
    to64((b(3) << 16) | (b(9) << 8) | b(15), 4) +
    to64((b(4) << 16) | (b(10) << 8) | b(5), 4) +
    to64(b(11), 2);
  return `$1$${saltBytes.toString('utf8')}$${encoded}`;
}
