import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mailstate } from '../support/cli.js';
import { homes } from '../support/gitops.js';
import { EXAMPLE_SANDBOX, GOLDEN, server } from '../support/harness.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'mailstate-split-'));
const mode = (path: string) => (lstatSync(path).mode & 0o777).toString(8);

describe('mailstate import --split DIR (issue 13)', () => {
  it('writes a main file that includes one file per domain, and planning it changes nothing', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const dir = scratch();
    const run = mailstate(['import', '--split', 'config', ...homes(srv)], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(
      'Wrote config/mailstate.yaml and 2 domain files in config/domains/ (2 domains read).',
    );
    const out = join(dir, 'config');
    expect(readdirSync(out).sort()).toEqual(['domains', 'mailstate.yaml']);
    expect(readdirSync(join(out, 'domains')).sort()).toEqual(['example.com.yaml', 'example.org.yaml']);
    // They hold password hashes: readable by root alone, as the single-file import.
    expect([out, join(out, 'domains')].map(mode)).toEqual(['700', '700']);
    expect(['mailstate.yaml', 'domains/example.com.yaml'].map((file) => mode(join(out, file)))).toEqual(['600', '600']);

    const main = readFileSync(join(out, 'mailstate.yaml'), 'utf8');
    expect(main).toMatch(/^include:\n {2}- domains\/\*\.yaml\n$/m);
    expect(main).not.toMatch(/^domains:/m);
    expect(main).not.toContain('$6$');
    const org = readFileSync(join(out, 'domains/example.org.yaml'), 'utf8');
    expect(org.split('\n').filter((line) => line && !line.startsWith('#'))).toEqual([
      'domains:',
      '  example.org:',
      '    users:',
      '      postmaster:',
      '        password: $6$PfNYxyMQ$X5IxPbCXz7lh7581fstxpG.JMYD.g45EJn4owKZAhvZMruTh.zyeqAdgr1r.Ez1KHde61/bxumlD77vZkeHfe/',
    ]);

    expect(mailstate(['validate', '-f', 'config/mailstate.yaml'], { cwd: dir }).code).toBe(0);
    const plan = mailstate(['plan', '--detailed-exitcode', '-f', 'config/mailstate.yaml', ...homes(srv)], { cwd: dir });
    expect(plan.code).toBe(0);
    expect(plan.stdout.trimEnd().split('\n').at(-1)).toBe('No changes. The live state matches config/mailstate.yaml.');

    // The same state as the single-file import: both plan nothing, and declare the same domains.
    const single = mailstate(['import', '-o', 'single.yaml', ...homes(srv)], { cwd: dir });
    expect(single.code).toBe(0);
    const json = (file: string) =>
      JSON.parse(mailstate(['plan', '--format', 'json', '-f', file, ...homes(srv)], { cwd: dir }).stdout);
    expect(json('config/mailstate.yaml').changes).toEqual([]);
    expect(json('single.yaml').changes).toEqual([]);
  });

  it('leaves out what import leaves out, and takes --domain', async () => {
    // Golden 12 has trail-.com, a name vadddomain accepted and mailstate refuses.
    const srv = await server(join(GOLDEN, '12-error-cases'));
    const dir = scratch();
    const run = mailstate(['import', '--split', 'all', ...homes(srv)], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('note: domain trail-.com stays unmanaged');
    const files = readdirSync(join(dir, 'all/domains'));
    expect(files).not.toContain('trail-.com.yaml');
    const plan = mailstate(['plan', '--detailed-exitcode', '-f', 'all/mailstate.yaml', ...homes(srv)], { cwd: dir });
    expect(plan.code).toBe(0);

    const one = files[0]!.replace(/\.yaml$/, '');
    const only = mailstate(['import', '--split', 'one', '--domain', one, ...homes(srv)], { cwd: dir });
    expect(only.code).toBe(0);
    expect(readdirSync(join(dir, 'one/domains'))).toEqual([`${one}.yaml`]);
    expect(
      mailstate(['plan', '--detailed-exitcode', '-f', 'one/mailstate.yaml', ...homes(srv)], { cwd: dir }).code,
    ).toBe(0);
  });

  it('refuses a directory that holds anything, a file, a link, and -o beside --split, writing nothing', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const dir = scratch();
    mkdirSync(join(dir, 'busy'));
    writeFileSync(join(dir, 'busy/keep.txt'), 'mine\n');
    writeFileSync(join(dir, 'plain'), 'mine\n');
    mkdirSync(join(dir, 'empty'));
    symlinkSync(join(dir, 'empty'), join(dir, 'link'));
    const refusals: [string[], string][] = [
      [
        ['--split', 'busy'],
        'refusing to write into busy: it is not empty (1 entry); give a new or empty directory; nothing was written.',
      ],
      [['--split', 'plain'], 'refusing to write into plain: it is a file, not a directory; nothing was written.'],
      [
        ['--split', 'link'],
        'refusing to write into link: it is a symbolic link, not a directory; nothing was written.',
      ],
      [['--split', 'new', '-o', 'x.yaml'], 'mailstate import: give -o FILE or --split DIR, not both'],
    ];
    for (const [args, message] of refusals) {
      const run = mailstate(['import', ...args, ...homes(srv)], { cwd: dir });
      expect(run.stderr).toBe(`Error: ${message}\n`);
      expect(run.code).toBe(1);
    }
    expect(readdirSync(dir).sort()).toEqual(['busy', 'empty', 'link', 'plain']);
    expect(readdirSync(join(dir, 'busy'))).toEqual(['keep.txt']);
    expect(readFileSync(join(dir, 'plain'), 'utf8')).toBe('mine\n');
    expect(readdirSync(join(dir, 'empty'))).toEqual([]);

    // An empty directory is taken, and ends up holding the import alone.
    expect(mailstate(['import', '--split', 'empty', ...homes(srv)], { cwd: dir }).code).toBe(0);
    expect(readdirSync(join(dir, 'empty')).sort()).toEqual(['domains', 'mailstate.yaml']);
    expect(readdirSync(dir).sort()).toEqual(['busy', 'empty', 'link', 'plain']);
  });
});
