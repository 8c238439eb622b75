/**
 * The sandbox is owned as a real install is (issue 13, item 1): ~vpopmail by vpopmail:vchkpw
 * (89:89 on the golden oracle), the files root writes in ~vpopmail/etc by root, qmail's tree by
 * root. A tree left root's made mailstate register new domains for root.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_SANDBOX, GOLDEN, server } from '../support/harness.js';

/** "relative/path uid:gid" of every entry below root, the root itself as ".". */
function owners(root: string): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    const info = lstatSync(path);
    out.push(`${relative(root, path) || '.'} ${info.uid}:${info.gid}`);
    if (info.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
  };
  walk(root);
  return out;
}

// The suite runs as root, as apply does on a server; as another user the builder leaves owners alone.
describe('the sandbox builder, run as root', () => {
  it('gives ~vpopmail and everything under it to 89:89 (the bundled example)', async () => {
    expect(process.getuid?.()).toBe(0);
    const srv = await server(EXAMPLE_SANDBOX);
    const all = owners(srv.vpopmailHome);
    expect(all.length).toBeGreaterThan(30);
    expect(all.filter((line) => !line.endsWith(' 89:89'))).toEqual(['etc/tcp.smtp 0:0']);
    expect(all).toContain('domains/example.com/alice/Maildir/new 89:89');
    expect(all).toContain('domains/example.com/vpasswd 89:89');
    expect(owners(srv.qmailHome).filter((line) => !line.endsWith(' 0:0'))).toEqual([]);
  });

  it('leaves ~vpopmail/etc owned as golden 10 shows: tcp.smtp root’s, open-smtp vpopmail’s', async () => {
    const srv = await server(join(GOLDEN, '10-relay-tcprules-roaming'));
    expect(owners(join(srv.vpopmailHome, 'etc'))).toEqual([
      '. 89:89',
      'open-smtp 89:89',
      'tcp.smtp 0:0',
      'tcp.smtp.cdb 89:89',
    ]);
  });
});
