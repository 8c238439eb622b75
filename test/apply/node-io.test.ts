/**
 * nodeIo's own refusals, which no check before the call can replace: between a check and a chmod
 * the vpopmail account can swap the file, so the port itself acts only on what it opened.
 */
import { chmodSync, linkSync, lstatSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeIo } from '../../src/io/node-io.js';

let root: string;
let secret: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mailstate-node-io-'));
  secret = join(root, 'shadow');
  writeFileSync(secret, 'root:$1$salt$hash:19000::::::\n');
  chmodSync(secret, 0o600);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('nodeIo', () => {
  it('refuses to chmod a file through a second name of it (EMLINK), leaving the file as it was', () => {
    const linked = join(root, 'vpasswd');
    linkSync(secret, linked);
    expect(() => nodeIo().setModeAndOwner(linked, 0o644, { uid: 89, gid: 89 })).toThrow(
      expect.objectContaining({
        code: 'EMLINK',
        message: `EMLINK: ${linked} has 2 names (a hard link), chmod refused`,
      }),
    );
    const after = lstatSync(secret);
    expect({ mode: after.mode & 0o7777, uid: after.uid }).toEqual({ mode: 0o600, uid: process.getuid?.() });
  });

  it('refuses to chmod through a symbolic link (ELOOP), leaving its target as it was', () => {
    const linked = join(root, 'tcp.smtp.cdb');
    symlinkSync(secret, linked);
    expect(() => nodeIo().setModeAndOwner(linked, 0o644)).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    expect(lstatSync(secret).mode & 0o7777).toBe(0o600);
  });

  it('refuses to read a file with a second name, so its bytes are never copied into a rewrite', () => {
    const linked = join(root, 'vpasswd');
    linkSync(secret, linked);
    expect(() => nodeIo().read(linked)).toThrow(expect.objectContaining({ code: 'EMLINK' }));
  });

  it('chmods and reads a file with one name', () => {
    const own = join(root, 'own');
    writeFileSync(own, 'x');
    nodeIo().setModeAndOwner(own, 0o640);
    expect(lstatSync(own).mode & 0o7777).toBe(0o640);
    expect(nodeIo().read(own)?.toString()).toBe('x');
    expect(nodeIo().read(join(root, 'missing'))).toBeUndefined();
  });
});
