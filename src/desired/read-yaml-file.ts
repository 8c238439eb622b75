import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * The largest YAML file mailstate reads, main or included; a larger one is refused before it is
 * read. The benchmark's largest single file, one domain of 100,000 users, is 17.6 MB, and loading
 * takes about 40 bytes of memory per byte of YAML: the cap keeps a hostile file's cost near 1.3 GB
 * while leaving room for a domain of about 180,000 users. Larger sites split into files with
 * `include:`.
 */
export const MAX_YAML_BYTES = 32 * 1024 * 1024;

/** A file refused before or while reading it; its message is the reason shown. */
class RefusedFile extends Error {}

export function tooLarge(bytes: number): Error {
  return new RefusedFile(`it is larger than ${MAX_YAML_BYTES / 1024 / 1024} MiB (${bytes} bytes)`);
}

/**
 * Reads a YAML file as bytes: a regular file of at most MAX_YAML_BYTES, judged by its size before
 * anything is read and never read past the cap (it could grow meanwhile), so a huge file, a FIFO
 * or /dev/zero costs neither memory nor time.
 */
export async function readYamlFile(path: string): Promise<Uint8Array> {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new RefusedFile('not a regular file');
    if (info.size > MAX_YAML_BYTES) throw tooLarge(info.size);
    // One byte more than the size, so that a file that grew is noticed; only a file that did grow
    // costs further buffers (a fresh 1 MiB per file to find EOF cost 1 GB of garbage per 1,000 includes).
    const chunks: Buffer[] = [];
    let total = 0;
    let buffer = Buffer.allocUnsafe(info.size + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
      total += bytesRead;
      if (total > MAX_YAML_BYTES) throw tooLarge(total);
      if (filled === buffer.length) {
        chunks.push(buffer);
        buffer = Buffer.allocUnsafe(64 * 1024);
        filled = 0;
      }
    }
    if (filled > 0) chunks.push(buffer.subarray(0, filled));
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}
