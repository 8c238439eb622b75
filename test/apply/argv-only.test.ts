import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vpopmailDriver } from '../../src/apply/vpopmail-driver.js';
import { lines } from '../desired/helpers.js';
import { HASH_SECRET6 } from '../support/builders.js';
import { installEmulator, readEmulatorCalls } from '../emulator/install.js';
import { EXAMPLE_SANDBOX, applyDesired, desiredFromLive, live, server } from '../support/harness.js';

const SRC = join(import.meta.dirname, '../../src');

describe('a shell-looking name', () => {
  it('is refused at validation', () => {
    const text =
      'version: 1\ndomains:\n  example.com:\n    users:\n      "x;touch /tmp/pwned": {}\n      "$(touch /tmp/pwned)": {}\n      "x;id": {}\n      "`id`": {}\n';
    expect(lines(text)).toEqual([
      'mailstate.yaml:5:7: error: user "x;touch /tmp/pwned": name contains white space',
      'mailstate.yaml:6:7: error: user "$(touch /tmp/pwned)": name contains white space',
      'mailstate.yaml:7:7: error: user "x;id": name may only contain a-z, 0-9 and . _ + = ! # & \' ^ { } ~ -',
      'mailstate.yaml:8:7: error: user "`id`": name may only contain a-z, 0-9 and . _ + = ! # & \' ^ { } ~ -',
    ]);
  });

  it('reaches a vpopmail program as one argument, and runs nothing, if validation were bypassed', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    installEmulator(srv.vpopmailHome, srv.qmailHome);
    const witness = mkdtempSync(join(tmpdir(), 'mailstate-pwned-'));
    const name = `x;touch ${witness}/pwned`;
    const comment = `$(touch ${witness}/pwned2) \`touch ${witness}/pwned3\``;
    const desired = desiredFromLive(await live(srv));
    desired.domains.get('example.com')!.users.set(name, {
      name,
      password: { kind: 'hash', hash: HASH_SECRET6 },
      comment,
      quota: 'NOQUOTA',
      flags: 0,
      source: { file: 'test.yaml' },
    });
    // The vpopmail emulator, like vadduser, may refuse the name; either way nothing may have run.
    await applyDesired(desired, srv, vpopmailDriver).catch(() => undefined);
    expect(readEmulatorCalls(srv.vpopmailHome)[0]).toEqual([
      'vadduser',
      '-q',
      'NOQUOTA',
      '-c',
      comment,
      '-e',
      HASH_SECRET6,
      `${name}@example.com`,
    ]);
    expect(readdirSync(witness)).toEqual([]);
  });

  it('cannot reach a shell: src spawns programs only with argv arrays', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.ts$/.test(entry.name)) {
          const text = readFileSync(path, 'utf8');
          const imported = /import\s*\{([^}]*)\}\s*from\s*'(?:node:)?child_process'/.exec(text)?.[1] ?? '';
          if (/shell\s*:/.test(text) || /\b(exec|execSync)\b/.test(imported) || /child_process'\)?\.exec/.test(text))
            offenders.push(path);
        }
      }
    };
    walk(SRC);
    expect(existsSync(join(SRC, 'apply/vpopmail-driver.ts'))).toBe(true);
    expect(offenders).toEqual([]);
  });
});
