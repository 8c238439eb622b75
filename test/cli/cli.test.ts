import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lock, unlock } from 'os-lock';
import { EXAMPLE_SANDBOX, bob2Warning, server, treeFingerprint } from '../support/harness.js';
import { mailstate } from '../support/cli.js';

function homes(srv: { vpopmailHome: string; qmailHome: string }): string[] {
  return ['--vpopmail-home', srv.vpopmailHome, '--qmail-home', srv.qmailHome];
}

describe('mailstate validate', () => {
  it('accepts the bundled example with a one-line summary', () => {
    const run = mailstate(['validate']);
    expect(run).toEqual({
      code: 0,
      stdout: 'mailstate.yaml is valid: 2 domains, 5 users, 5 aliases, 3 relay rules.\n',
      stderr: '',
    });
  });

  it('reports every problem with file, line and column, and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailstate-cli-'));
    writeFileSync(
      join(dir, 'bad.yaml'),
      [
        'version: 1',
        'domains:',
        '  example.com:',
        '    users:',
        '      Alice: {}',
        '      bob: { forward: { to: ["|/bin/sh"] } }',
        '',
      ].join('\n'),
    );
    const run = mailstate(['validate', '-f', 'bad.yaml'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')).toEqual([
      'bad.yaml:5:7: error: user "Alice": name must be lowercase (vpopmail lowercases it): write "alice"',
      'bad.yaml:6:30: error: to: "|/bin/sh" is refused: program deliveries ("|command") are not allowed',
      'Error: bad.yaml: 2 errors.',
      '',
    ]);
  });
});

describe('mailstate plan and apply on the bundled example', () => {
  it('plans, refuses to apply without --yes, applies, then plans no changes', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const plan = mailstate(['plan', '--detailed-exitcode', ...homes(srv)]);
    expect(plan.stderr).toBe(`${bob2Warning(srv.vpopmailHome)}\n`);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('  - user bob (mailbox ');
    expect(plan.stdout).toContain(
      '  ~ user alice\n      comment:  "alice" -> "Alice Smith"\n      quota:    none -> 1G\n      flags:    +no_webmail +no_imap\n',
    );
    expect(plan.stdout.trimEnd().split('\n').at(-1)).toBe('Plan: 2 to add, 2 to change, 3 to delete, 2 CDB rebuilds.');
    expect(mailstate(['plan', ...homes(srv)]).code).toBe(0);

    const before = treeFingerprint(srv.root);
    const refused = mailstate(['apply', ...homes(srv)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `${bob2Warning(srv.vpopmailHome)}\nError: apply changes a live mail server: pass --yes when not running on a terminal. Nothing was applied.\n`,
    );
    expect(treeFingerprint(srv.root)).toEqual(before);

    const applied = mailstate(['apply', '--yes', ...homes(srv)]);
    // No plan on screen with --yes: the small domain's exemption from maxChangePercent is said here.
    expect(applied.stderr).toBe(
      `${bob2Warning(srv.vpopmailHome)}\nWarning: example.com: 2 of 4 users (50%) deleted or changed, over policy.maxChangePercent 30%, allowed because the domain has fewer than 10 users.\n`,
    );
    expect(applied.code).toBe(0);
    expect(applied.stdout.split('\n')[0]).toBe(
      'Apply complete (files driver): 2 added, 2 changed, 3 deleted; vpasswd.cdb rebuilt for example.com; tcp.smtp.cdb rebuilt.',
    );

    const again = mailstate(['plan', '--detailed-exitcode', ...homes(srv)]);
    expect(again.code).toBe(0);
    expect(again.stdout.trimEnd().split('\n').at(-1)).toBe('No changes. The live state matches mailstate.yaml.');

    const fingerprint = treeFingerprint(srv.root);
    const second = mailstate(['apply', '--yes', ...homes(srv)]);
    expect(second).toEqual({ code: 0, stdout: 'No changes. The live state matches mailstate.yaml.\n', stderr: '' });
    expect(treeFingerprint(srv.root)).toEqual(fingerprint);
  });

  it('renders markdown and a JSON plan without secrets, and refuses a saved plan that went stale', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const md = mailstate(['plan', '--format', 'markdown', ...homes(srv)]);
    expect(md.stdout.split('\n').slice(0, 3)).toEqual([
      '## mailstate plan',
      '',
      '**Plan: 2 to add, 2 to change, 3 to delete, 2 CDB rebuilds.**',
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'mailstate-cli-'));
    const out = join(dir, 'plan.json');
    const json = mailstate(['plan', '--format', 'json', '--out', out, ...homes(srv)]);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.formatVersion).toBe(1);
    expect(parsed.summary).toEqual({ add: 2, change: 2, delete: 3, cdbRebuilds: 2 });
    expect(json.stdout).not.toMatch(/\$6\$/);
    expect(readFileSync(out, 'utf8')).toBe(json.stdout);

    // Someone changes the server after the review: the saved plan no longer applies.
    const vpasswd = join(srv.vpopmailHome, 'domains/example.com/vpasswd');
    writeFileSync(vpasswd, readFileSync(vpasswd, 'utf8').replace(':john.doe:/', ':John Doe:/'));
    const stale = mailstate(['apply', '--yes', out, ...homes(srv)]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(`${out} no longer matches what mailstate would do now`);
    expect(existsSync(join(srv.vpopmailHome, 'archive'))).toBe(false);
  });

  it('names the holder of a busy apply lock and applies nothing', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const lockPath = join(srv.vpopmailHome, 'etc/mailstate.lock');
    // This test process plays the running apply: it holds the fcntl lock and wrote its pid.
    const holder = openSync(lockPath, 'w+', 0o600);
    await lock(holder, { exclusive: true });
    // Written through the locked descriptor: closing any other descriptor of the file would drop an fcntl lock.
    writeSync(holder, `${process.pid}\n`);
    const before = treeFingerprint(join(srv.vpopmailHome, 'domains'));
    const run = mailstate(['apply', '--yes', ...homes(srv)]);
    await unlock(holder);
    closeSync(holder);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `${bob2Warning(srv.vpopmailHome)}\nWarning: example.com: 2 of 4 users (50%) deleted or changed, over policy.maxChangePercent 30%, allowed because the domain has fewer than 10 users.\nError: another mailstate apply is running (pid ${process.pid}, lock ${lockPath}); nothing was applied.\n`,
    );
    expect(treeFingerprint(join(srv.vpopmailHome, 'domains'))).toEqual(before);
    // A lock file left by a dead process (nobody holds its fcntl lock) is taken over.
    writeFileSync(join(srv.vpopmailHome, 'etc/mailstate.lock'), '999999999\n');
    expect(mailstate(['apply', '--yes', ...homes(srv)]).code).toBe(0);
    expect(existsSync(join(srv.vpopmailHome, 'etc/mailstate.lock'))).toBe(false);
  });

  it('stops at an injected fault, says what was applied, and the next apply converges', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const failed = mailstate(['apply', '--yes', ...homes(srv)], {
      env: { MAILSTATE_FAULT_AT: '6', MAILSTATE_FAULT_CODE: 'ENOSPC' },
    });
    expect(failed.code).toBe(1);
    expect(
      failed.stderr.startsWith(
        `${bob2Warning(srv.vpopmailHome)}\nWarning: example.com: 2 of 4 users (50%) deleted or changed, over policy.maxChangePercent 30%, allowed because the domain has fewer than 10 users.\nApply failed: `,
      ),
    ).toBe(true);
    expect(failed.stderr).toMatch(/\nApply failed: .* failed: injected fault at write point 6 /);
    expect(failed.stderr).toContain('Run "mailstate plan" to see what is left; "mailstate apply" converges from here.');
    expect(mailstate(['apply', '--yes', ...homes(srv)]).code).toBe(0);
    expect(mailstate(['plan', '--detailed-exitcode', ...homes(srv)]).code).toBe(0);
  });
});

describe('mailstate import', () => {
  it('writes a YAML that plans no changes, hashes kept and clear texts left out', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const dir = mkdtempSync(join(tmpdir(), 'mailstate-cli-'));
    const run = mailstate(['import', '-o', join(dir, 'imported.yaml'), ...homes(srv)]);
    expect(run.code).toBe(0);
    const yaml = readFileSync(join(dir, 'imported.yaml'), 'utf8');
    expect(yaml).toContain('$6$uKhqVCH/$');
    expect(yaml).not.toContain('pmpass1');
    expect(run.stderr).toContain('note: example.com: catch-all default stays unmanaged');
    const plan = mailstate(['plan', '--detailed-exitcode', '-f', join(dir, 'imported.yaml'), ...homes(srv)]);
    expect(plan.code).toBe(0);
    // The file it was given, by the name it was given (issue 13: not always "mailstate.yaml").
    expect(plan.stdout.trimEnd().split('\n').at(-1)).toBe(
      `No changes. The live state matches ${join(dir, 'imported.yaml')}.`,
    );
  });

  it('prints usage with exit 1 for no command, 0 for help', () => {
    const bare = mailstate([]);
    expect(bare.code).toBe(1);
    const help = mailstate(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    // Without a command, the help is printed as usage, and the exit says nothing was done.
    expect({ stdout: bare.stdout, stderr: bare.stderr }).toEqual({ stdout: help.stdout, stderr: '' });
    for (const command of ['validate', 'plan', 'apply', 'import', 'snapshot', 'watch', 'status'])
      expect(help.stdout).toMatch(new RegExp(`^  mailstate ${command} `, 'm'));
  });
});
