import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../src/desired/load.js';
import { nodeSecretIo, resolveSecrets } from '../../src/desired/secrets.js';
import type { SecretIo } from '../../src/desired/secrets.js';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import type { DesiredState } from '../../src/model/state.js';
import { HASH6, load, state } from './helpers.js';

const TEXT = `version: 1
domains:
  example.com:
    users:
      alice: { password: { env: ALICE_PW } }
      bob: { password: { file: secrets/bob } }
      carol: { password: "${HASH6}" }
      dave: {}
`;

function fakeIo(env: Record<string, string | undefined>, files: Record<string, string>): SecretIo {
  return {
    env,
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
  };
}

const passwords = (desired: DesiredState): unknown[] =>
  [...desired.domains.get('example.com')!.users.values()].map((u) => u.password);

describe('resolveSecrets', () => {
  it('reads env and file secrets, dropping one trailing newline', () => {
    const result = resolveSecrets(
      state(TEXT),
      () => true,
      fakeIo({ ALICE_PW: 'S3cret pass' }, { 'secrets/bob': 'b0b:pw\n' }),
    );
    expect(result.diagnostics).toEqual([]);
    expect(result.ok && passwords(result.value)).toEqual([
      { kind: 'clear', clear: 'S3cret pass', source: 'env:ALICE_PW' },
      { kind: 'clear', clear: 'b0b:pw', source: 'file:secrets/bob' },
      { kind: 'hash', hash: HASH6 },
      { kind: 'unmanaged' },
    ]);
  });

  it('reads only what is needed and leaves the input state alone', () => {
    const desired = state(TEXT);
    const result = resolveSecrets(
      desired,
      (domain, user) => domain === 'example.com' && user === 'alice',
      fakeIo({ ALICE_PW: 'x' }, {}),
    );
    expect(result.ok && passwords(result.value).slice(0, 2)).toEqual([
      { kind: 'clear', clear: 'x', source: 'env:ALICE_PW' },
      { kind: 'secret', ref: { file: 'secrets/bob' }, source: 'file:secrets/bob' },
    ]);
    expect(passwords(desired)[0]).toEqual({ kind: 'secret', ref: { env: 'ALICE_PW' }, source: 'env:ALICE_PW' });
  });

  it('reports missing, unreadable and empty secrets at the user, without values', () => {
    const missing = resolveSecrets(state(TEXT), () => true, fakeIo({}, {}));
    expect(missing.ok).toBe(false);
    expect(missing.diagnostics.map(formatDiagnostic)).toEqual([
      'mailstate.yaml:5:7: error: user "alice@example.com": password: environment variable ALICE_PW is not set',
      'mailstate.yaml:6:7: error: user "bob@example.com": password: cannot read password file secrets/bob (no such file)',
    ]);
    const empty = resolveSecrets(state(TEXT), () => true, fakeIo({ ALICE_PW: '' }, { 'secrets/bob': '\n' }));
    expect(empty.diagnostics.map(formatDiagnostic)).toEqual([
      'mailstate.yaml:5:7: error: user "alice@example.com": password: env:ALICE_PW is empty',
      'mailstate.yaml:6:7: error: user "bob@example.com": password: file:secrets/bob is empty',
    ]);
    const odd = resolveSecrets(
      state(TEXT),
      () => true,
      fakeIo({ ALICE_PW: 'SEKRIT\tX' }, { 'secrets/bob': 'SEKRIT1\nSEKRIT2\n' }),
    );
    expect(odd.diagnostics.map(formatDiagnostic)).toEqual([
      'mailstate.yaml:5:7: error: user "alice@example.com": password: env:ALICE_PW contains a control character',
      'mailstate.yaml:6:7: error: user "bob@example.com": password: file:secrets/bob holds more than one line',
    ]);
    expect(JSON.stringify(odd.diagnostics)).not.toContain('SEKRIT');
  });

  it('reads files relative to the YAML file that names them, warns about world-readable ones', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mailstate-secrets-'));
    writeFileSync(join(root, 'mailstate.yaml'), TEXT.replace('secrets/bob', 'bob.pw'));
    writeFileSync(join(root, 'bob.pw'), 'from-file\r\n');
    chmodSync(join(root, 'bob.pw'), 0o644);
    const loaded = await loadDesired(join(root, 'mailstate.yaml'), { displayBase: root });
    if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join('\n'));
    const result = resolveSecrets(loaded.value, () => true, nodeSecretIo({ ALICE_PW: 'a' }));
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      'mailstate.yaml:6:7: warning: user "bob@example.com": password: password file bob.pw can be read by every user (chmod o-r)',
    ]);
    expect(result.ok && passwords(result.value)[1]).toEqual({
      kind: 'clear',
      clear: 'from-file',
      source: 'file:bob.pw',
    });
    chmodSync(join(root, 'bob.pw'), 0o600);
    expect(resolveSecrets(loaded.value, () => true, nodeSecretIo({ ALICE_PW: 'a' })).diagnostics).toEqual([]);
  });

  it('refuses a password "file" that is a device or a directory', () => {
    const loaded = load(TEXT.replace('secrets/bob', '/dev/zero'));
    if (!loaded.ok) throw new Error('expected a warning only');
    const desired = loaded.value;
    const result = resolveSecrets(desired, () => true, nodeSecretIo({ ALICE_PW: 'a' }));
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      'mailstate.yaml:6:7: error: user "bob@example.com": password: password file /dev/zero is not a regular file',
    ]);
  });
});
