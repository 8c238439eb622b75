/**
 * What a Terraform or octoDNS user expects of the CLI (issue 13): the file named as given, a
 * saved plan applied without asking, colour only on a terminal, --quiet/--verbose, --domain.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_SANDBOX, server, treeFingerprint } from '../support/harness.js';
import { mailstate, REPO } from '../support/cli.js';
import { homes, tempDir } from '../support/gitops.js';

const BIN = join(REPO, 'dist/cli/bin.js');
const ESC = '\u001b';

/** Runs the CLI on a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function onTerminal(args: string[], env: Record<string, string> = {}): string {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const run = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm', ...env },
    encoding: 'utf8',
    input: '',
  });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.replaceAll('\r\n', '\n');
}

describe('the desired-state file is named as the user gave it', () => {
  it('plan -f work.yaml ends with "matches work.yaml", in text and Markdown', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const dir = tempDir();
    const yaml = join(dir, 'work.yaml');
    expect(mailstate(['import', '-o', yaml, ...homes(srv)]).code).toBe(0);
    const text = mailstate(['plan', '-f', 'work.yaml', ...homes(srv)], { cwd: dir });
    expect(text.stdout.trimEnd().split('\n').at(-1)).toBe('No changes. The live state matches work.yaml.');
    const md = mailstate(['plan', '-f', 'work.yaml', '--format', 'markdown', ...homes(srv)], { cwd: dir });
    expect(md.stdout.split('\n')[2]).toBe('No changes. The live state matches work.yaml.');
  });
});

describe('validate', () => {
  it('says how many errors, not that nothing was planned, and names the file one way', () => {
    const dir = tempDir();
    mkdirIn(dir, 'typos');
    writeFileSync(
      join(dir, 'typos', 't.yaml'),
      'version: 1\ndomains:\n  example.com:\n    users:\n      bob: { quota: 5Q }\n',
    );
    const run = mailstate(['validate', '-f', '../typos/t.yaml'], { cwd: join(dir, 'sub') });
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n').at(-2)).toBe('Error: ../typos/t.yaml: 1 error.');
    expect(run.stderr.split('\n')[0]).toMatch(/^\.\.\/typos\/t\.yaml:5:\d+: error: quota: "5Q" is not a size/);
  });

  it('warns about a { env: NAME } password that is not set, and still passes', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'mailstate.yaml'),
      'version: 1\ndomains:\n  example.com:\n    users:\n      bob: { password: { env: BOB_PASSWORD } }\n',
    );
    const unset = mailstate(['validate'], { cwd: dir });
    expect(unset).toEqual({
      code: 0,
      stdout: 'mailstate.yaml is valid: 1 domain, 1 user, 0 aliases, relay unmanaged.\n',
      stderr:
        'mailstate.yaml:5:7: warning: user "bob@example.com": password: environment variable BOB_PASSWORD is not set here; plan and apply will need it\n',
    });
    expect(mailstate(['validate'], { cwd: dir, env: { BOB_PASSWORD: 'secret-pw-1' } }).stderr).toBe('');
  });
});

function mkdirIn(dir: string, name: string): void {
  spawnSync('mkdir', ['-p', join(dir, name), join(dir, 'sub')]);
}

describe('apply PLAN.json', () => {
  it('applies a saved plan without --yes off a terminal: it was reviewed when it was saved', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const dir = tempDir();
    const saved = join(dir, 'plan.json');
    expect(mailstate(['plan', '--out', saved, ...homes(srv)]).code).toBe(0);
    const apply = mailstate(['apply', saved, ...homes(srv)]);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout.split('\n')[0]).toMatch(/^Apply complete \(files driver\): 2 added, 2 changed, 3 deleted;/);
    // Without a saved plan, off a terminal, --yes is still required.
    const again = mailstate(['apply', ...homes(srv)]);
    expect(again).toEqual({
      code: 0,
      stdout: 'No changes. The live state matches mailstate.yaml.\n',
      stderr: expect.any(String),
    });
  });
});

describe('colour', () => {
  it('green adds, yellow changes, red deletes on a terminal; none with NO_COLOR, --no-color or in a pipe', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const coloured = onTerminal(['plan', '--quiet', ...homes(srv)]);
    expect(coloured).toContain(`${ESC}[32m  + user carol${ESC}[39m\n`);
    expect(coloured).toContain(`${ESC}[33m  ~ user alice${ESC}[39m\n`);
    expect(coloured).toContain(`${ESC}[31m  - relay 172.16. (tcp.smtp line 4)${ESC}[39m\n`);
    expect(coloured).toContain('  * rebuild tcp.smtp.cdb (relay rules changed)\n');
    for (const plain of [
      onTerminal(['plan', '--quiet', ...homes(srv)], { NO_COLOR: '1' }),
      onTerminal(['plan', '--quiet', '--no-color', ...homes(srv)]),
      mailstate(['plan', '--quiet', ...homes(srv)]).stdout,
    ]) {
      expect(plain).not.toContain(ESC);
      expect(plain).toContain('  + user carol\n');
    }
  });
});

describe('--quiet and --verbose', () => {
  it('--quiet leaves out the "Left alone" list; --verbose lists all of it', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const normal = mailstate(['plan', ...homes(srv)]).stdout;
    expect(normal).toContain('Left alone (not managed by mailstate):\n');
    const quiet = mailstate(['plan', '--quiet', ...homes(srv)]).stdout;
    expect(quiet).not.toContain('Left alone');
    expect(quiet).not.toContain('.qmail-default');
    expect(quiet.trimEnd().split('\n').at(-1)).toBe(normal.trimEnd().split('\n').at(-1));
    // 6 objects are left alone in the example: under 20, so --verbose lists what the default does.
    expect(mailstate(['plan', '--verbose', ...homes(srv)]).stdout).toBe(normal);
  });
});

describe('--domain', () => {
  it('plans only the matching domains, and says the plan is partial, in every format', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const text = mailstate(['plan', '--quiet', '--domain', '*.org', ...homes(srv)]);
    expect(text.stdout).toBe(
      [
        'Partial plan (--domain *.org): only example.org.',
        'Not planned, also declared: domain example.com; relay rules.',
        '',
        'No changes. The live state matches mailstate.yaml.',
        '',
      ].join('\n'),
    );
    const json = JSON.parse(mailstate(['plan', '--format', 'json', '--domain', 'example.com', ...homes(srv)]).stdout);
    expect(json.partial).toEqual({
      patterns: ['example.com'],
      domains: ['example.com'],
      leftOut: ['example.org'],
      relayLeftOut: true,
    });
    expect(json.changes.map((c: { kind: string }) => c.kind)).not.toContain('delete-relay');
    expect(json.unmanagedDomains).toEqual([]);
    const md = mailstate(['plan', '--format', 'markdown', '--domain', 'example.com', ...homes(srv)]).stdout;
    expect(md.split('\n').slice(0, 5)).toEqual([
      '## mailstate plan',
      '',
      '> [!IMPORTANT]',
      '> Partial plan (--domain example.com): only example.com.',
      '> Not planned, also declared: domain example.org; relay rules.',
    ]);
  });

  it('applies only the matching domains: relay rules and the other domain are untouched', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const org = treeFingerprint(join(srv.vpopmailHome, 'domains', 'example.org'));
    const tcp = readFileSync(join(srv.vpopmailHome, 'etc', 'tcp.smtp'), 'utf8');
    const apply = mailstate(['apply', '--yes', '--domain', 'example.com', ...homes(srv)]);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout.split('\n')[0]).toBe(
      'Apply complete (files driver): 2 added, 2 changed, 2 deleted; vpasswd.cdb rebuilt for example.com; tcp.smtp.cdb untouched.',
    );
    expect(readFileSync(join(srv.vpopmailHome, 'etc', 'tcp.smtp'), 'utf8')).toBe(tcp);
    expect(treeFingerprint(join(srv.vpopmailHome, 'domains', 'example.org'))).toEqual(org);
    // The rest is still to do: the relay rule.
    const rest = JSON.parse(mailstate(['plan', '--format', 'json', ...homes(srv)]).stdout);
    expect(rest.changes.map((c: { kind: string }) => c.kind)).toEqual(['delete-relay', 'rebuild-tcp-smtp-cdb']);
  });

  it('refuses a pattern that matches no declared domain, and a saved partial plan given other targets', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    expect(mailstate(['plan', '--domain', 'exmaple.com', ...homes(srv)])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error: --domain "exmaple.com" matches no domain declared in mailstate.yaml (declared: example.com, example.org); nothing was planned or applied.\n',
    });
    const saved = join(tempDir(), 'partial.json');
    expect(mailstate(['plan', '--domain', 'example.com', '--out', saved, ...homes(srv)]).code).toBe(0);
    const other = mailstate(['apply', saved, '--domain', 'example.org', ...homes(srv)]);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(
      `Error: ${saved} was made with --domain example.com; apply it without --domain (it applies what it was made for). Nothing was applied.\n`,
    );
    // Without --domain it applies what it was made for.
    const apply = mailstate(['apply', saved, ...homes(srv)]);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain('vpasswd.cdb rebuilt for example.com; tcp.smtp.cdb untouched.');
  });
});
