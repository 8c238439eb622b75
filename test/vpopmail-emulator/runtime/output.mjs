// @ts-check
// stdout/stderr and the ways a program ends. Writes are synchronous and unbuffered so that the
// interleaving of the two streams is what the C programs produce, and exit codes wrap like exit().

import fs from 'node:fs';

/**
 * @param {number} fd
 * @param {string} s a binary string
 */
function writeAll(fd, s) {
  const buf = Buffer.from(s, 'latin1');
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      const code = /** @type {NodeJS.ErrnoException} */ (e).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (code === 'EPIPE') return;
      throw e;
    }
  }
}
/** @param {string} s */
export const out = (s) => writeAll(1, s);
/** @param {string} s */
export const err = (s) => writeAll(2, s);

/** Thrown by vexit(); the entry script (vpopmail.mjs) turns it into the exit code. */
export class Exit extends Error {
  /** @param {number} code */
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}
/**
 * vpopmail's vexit(): exit(code), so -1 is 255, -10 is 246 and so on.
 * @param {number} code
 * @returns {never}
 */
export function vexit(code) {
  throw new Exit(((code % 256) + 256) % 256);
}
/**
 * Where the real program dereferences garbage (blank/comment vpasswd lines) it dies of SIGSEGV.
 * @returns {never}
 */
export function segv() {
  process.kill(process.pid, 'SIGSEGV');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
  process.exit(139);
}
