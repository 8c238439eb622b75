import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { globMatcher, globSegments } from '../../src/desired/glob.js';
import { loadDesired } from '../../src/desired/load.js';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { lines, state } from './helpers.js';

const domainFile = (name: string, user = 'postmaster'): string =>
  `domains:\n  ${name}:\n    users:\n      ${user}: {}\n`;

function tempTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'mailstate-include-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('include', () => {
  it('adds the domains of every matching file, sorted, after the main file', () => {
    const desired = state('version: 1\ninclude: ["domains/*.yaml"]\ndomains:\n  main.example: {}\n', {
      includes: {
        'domains/b.yaml': domainFile('b.example'),
        'domains/a.yaml': domainFile('a.example'),
        'domains/.hidden.yaml': domainFile('hidden.example'),
        'domains/sub/c.yaml': domainFile('c.example'),
        'other/d.yaml': domainFile('d.example'),
      },
    });
    expect(desired.files).toEqual(['mailstate.yaml', 'domains/a.yaml', 'domains/b.yaml']);
    expect([...desired.domains.keys()]).toEqual(['main.example', 'a.example', 'b.example']);
    expect(desired.domains.get('a.example')!.users.get('postmaster')!.source).toEqual({
      file: 'domains/a.yaml',
      line: 4,
      col: 7,
    });
  });

  it('matches ** at any depth and ? within a segment, never the main file itself', () => {
    const desired = state('version: 1\ninclude: ["**/*.yaml", "x?.yml"]\n', {
      includes: {
        'top.yaml': domainFile('top.example'),
        'a/b/c/deep.yaml': domainFile('deep.example'),
        'x1.yml': domainFile('x1.example'),
        'x12.yml': domainFile('x12.example'),
        '.git/config.yaml': domainFile('git.example'),
      },
    });
    expect(desired.files).toEqual(['mailstate.yaml', 'a/b/c/deep.yaml', 'top.yaml', 'x1.yml']);
  });

  it('reports a domain declared in two files, naming both', () => {
    const b = 'domains:\n  example.com: {}\n  example.org: {}\n';
    expect(
      lines('version: 1\ninclude: ["domains/*.yaml"]\ndomains:\n  example.com: {}\n', {
        includes: { 'domains/a.yaml': domainFile('example.org'), 'domains/b.yaml': b },
      }),
    ).toEqual([
      'domains/b.yaml:2:3: error: domain "example.com" is declared twice (first in mailstate.yaml at line 4)',
      'domains/b.yaml:3:3: error: domain "example.org" is declared twice (first in domains/a.yaml at line 2)',
    ]);
  });

  it('reports an alias domain that another file declares as a domain', () => {
    expect(
      lines('version: 1\ninclude: [other.yaml]\ndomains:\n  example.com:\n    aliasDomains: [example.net]\n', {
        includes: { 'other.yaml': domainFile('example.net') },
      }),
    ).toEqual([
      'mailstate.yaml:5:20: error: aliasDomains: "example.net" is also declared as a domain (in other.yaml at line 2)',
    ]);
  });

  it('refuses patterns that match nothing or leave the directory', () => {
    expect(
      lines(
        'version: 1\ninclude: ["domains/*.yaml", "../shared/*.yaml", "/etc/*.yaml", "a/../b.yaml", "{a,b}.yaml", "a**.yaml"]\n',
        {
          includes: { '../shared/x.yaml': domainFile('x.example') },
        },
      ),
    ).toEqual([
      'mailstate.yaml:2:11: error: include: "domains/*.yaml" matches no file',
      'mailstate.yaml:2:29: error: include: "../shared/*.yaml" points outside the directory of the main file ("..")',
      'mailstate.yaml:2:49: error: include: "/etc/*.yaml" is an absolute path; patterns are relative to the main file',
      'mailstate.yaml:2:64: error: include: "a/../b.yaml" points outside the directory of the main file ("..")',
      'mailstate.yaml:2:79: error: include: "{a,b}.yaml" uses a glob feature mailstate does not support (only *, ? and ** are)',
      'mailstate.yaml:2:93: error: include: "a**.yaml" "**" must be a whole path segment, as in domains/**/*.yaml',
    ]);
  });

  it('allows only domains in an included file, one level deep', () => {
    expect(
      lines('version: 1\ninclude: ["d/*.yaml"]\n', {
        includes: {
          'd/a.yaml':
            '# yaml-language-server: $schema=../schema/mailstate.schema.json\ninclude: [more.yaml]\ndomains: {}\n',
          'd/b.yaml': 'version: 1\nrelay: []\ndomains: {}\n',
          'd/c.yaml': 'users: {}\n',
          'd/d.yaml': '',
          'd/e.yaml': 'domains:\n  example.com: [\n',
          'd/f.yaml': 'domains:\n  example.org:\n    users:\n      Bob: {}\n',
        },
      }),
    ).toEqual([
      'd/a.yaml:2:1: error: an included file cannot include other files (includes are one level only)',
      'd/b.yaml:1:1: error: unknown key "version" in an included file (included files hold domains only; allowed: domains)',
      'd/b.yaml:2:1: error: unknown key "relay" in an included file (included files hold domains only; allowed: domains)',
      'd/c.yaml:1:1: error: missing required key "domains" (an included file holds domains: and nothing else)',
      'd/c.yaml:1:1: error: unknown key "users" in an included file (included files hold domains only; allowed: domains)',
      'd/d.yaml:1:1: error: the file is empty (write domains: …)',
      'd/e.yaml:3:1: error: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      'd/f.yaml:4:7: error: user "Bob": name must be lowercase (vpopmail lowercases it): write "bob"',
    ]);
  });

  it('glob segments and matching', () => {
    const match = (pattern: string, path: string): boolean => {
      const parsed = globSegments(pattern);
      if ('problem' in parsed) throw new Error(parsed.problem);
      return globMatcher(parsed.segments)(path);
    };
    expect(match('./domains//*.yaml', 'domains/a.yaml')).toBe(true);
    expect(match('domains/*.yaml', 'domains/a.yml')).toBe(false);
    expect(match('domains/*.yaml', 'domains/sub/a.yaml')).toBe(false);
    expect(match('domains/**', 'domains/sub/a.yaml')).toBe(true);
    expect(match('**/a.yaml', 'a.yaml')).toBe(true);
    expect(match('**/a.yaml', '.git/a.yaml')).toBe(false);
    expect(match('*.yaml', '.hidden.yaml')).toBe(false);
    expect(match('.hidden.yaml', '.hidden.yaml')).toBe(true);
    expect(match('a+b(1).yaml', 'a+b(1).yaml')).toBe(true);
    expect(match('a.yaml', 'aXyaml')).toBe(false);
  });
});

describe('loadDesired on disk', () => {
  it('reads the main file and its includes, relative to the main file', async () => {
    const root = tempTree({
      'config/mailstate.yaml':
        'version: 1\ninclude: ["domains/*.yaml"]\ndomains:\n  main.example:\n    users:\n      bob: { password: { file: secrets/bob } }\n',
      'config/domains/a.yaml':
        'domains:\n  a.example:\n    users:\n      carol: { password: { file: ../secrets/carol } }\n',
      'config/domains/.b.yaml': domainFile('b.example'),
      'config/domains/notes.txt': 'not yaml',
    });
    const result = await loadDesired(join(root, 'config/mailstate.yaml'), { displayBase: root });
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    if (!result.ok) return;
    expect(result.value.files).toEqual(['config/mailstate.yaml', 'config/domains/a.yaml']);
    expect(result.value.domains.get('main.example')!.users.get('bob')!.password).toEqual({
      kind: 'secret',
      ref: { file: join(root, 'config/secrets/bob') },
      source: 'file:secrets/bob',
    });
    expect(result.value.domains.get('a.example')!.users.get('carol')!.password).toEqual({
      kind: 'secret',
      ref: { file: join(root, 'config/secrets/carol') },
      source: 'file:../secrets/carol',
    });
  });

  it('follows symbolic links to files, and walks ** below the main directory only', async () => {
    const root = tempTree({
      'mailstate.yaml': 'version: 1\ninclude: ["**/*.yaml"]\n',
      'a/b/deep.yaml': domainFile('deep.example'),
      '.shared/real.yaml': domainFile('real.example'),
      'node/.cache/x.yaml': domainFile('cache.example'),
    });
    symlinkSync(join(root, '.shared/real.yaml'), join(root, 'linked.yaml'));
    symlinkSync(join(root, 'a'), join(root, 'loop'));
    const result = await loadDesired(join(root, 'mailstate.yaml'), { displayBase: root });
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(result.ok && result.value.files).toEqual(['mailstate.yaml', 'a/b/deep.yaml', 'linked.yaml']);
  });

  it('reports a missing main file, and a missing include match', async () => {
    const root = tempTree({ 'mailstate.yaml': 'version: 1\ninclude: ["domains/*.yaml"]\n' });
    const missing = await loadDesired(join(root, 'nope.yaml'), { displayBase: root });
    expect(missing.diagnostics.map(formatDiagnostic)).toEqual(['nope.yaml: error: cannot read the file: no such file']);
    const noMatch = await loadDesired(join(root, 'mailstate.yaml'), { displayBase: root });
    expect(noMatch.diagnostics.map(formatDiagnostic)).toEqual([
      'mailstate.yaml:2:11: error: include: "domains/*.yaml" matches no file',
    ]);
  });

  it('uses the injected readFile', async () => {
    const files: Record<string, string> = {
      '/repo/mailstate.yaml': 'version: 1\ninclude: [x.yaml]\n',
      '/repo/x.yaml': domainFile('x.example'),
    };
    const result = await loadDesired('/repo/mailstate.yaml', {
      readFile: async (path) => files[path] ?? Promise.reject(Object.assign(new Error('nope'), { code: 'ENOENT' })),
      readDir: async () => [
        { name: 'mailstate.yaml', kind: 'file' },
        { name: 'x.yaml', kind: 'file' },
      ],
    });
    expect(result.ok && [...result.value.domains.keys()]).toEqual(['x.example']);
  });
});
