import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_SANDBOX, bob2Warning, server, treeFingerprint, type TestServer } from '../support/harness.js';
import { REPO, mailstate } from '../support/cli.js';

const BIN = join(REPO, 'dist/cli/bin.js');

function homes(srv: TestServer): string[] {
  return ['--vpopmail-home', srv.vpopmailHome, '--qmail-home', srv.qmailHome];
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'mailstate-hygiene-'));
}

describe('output files (-o, --out) are regular files only', () => {
  it('plan --out refuses a directory, a symbolic link and a device, exits 1 and writes nothing', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const dir = scratch();
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'keep me\n');
    symlinkSync(victim, join(dir, 'link.json'));
    mkdirSync(join(dir, 'plans'));

    const cases: Array<[string, string]> = [
      [join(dir, 'plans'), 'a directory'],
      [join(dir, 'link.json'), 'a symbolic link'],
      ['/dev/null', 'a character device'],
    ];
    for (const [target, kind] of cases) {
      const run = mailstate(['plan', '--out', target, ...homes(srv)]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        `Error: refusing to write ${target}: it is ${kind}, not a regular file; nothing was written.\n`,
      );
    }
    expect(readFileSync(victim, 'utf8')).toBe('keep me\n');
    expect(lstatSync(join(dir, 'link.json')).isSymbolicLink()).toBe(true);
    expect(readdirSync(join(dir, 'plans'))).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['link.json', 'plans', 'victim.txt']);
  });

  it('plan --out replaces a regular file atomically with mode 0600 and leaves no temp file', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const dir = scratch();
    const out = join(dir, 'plan.json');
    writeFileSync(out, 'old', { mode: 0o644 });
    const run = mailstate(['plan', '--format', 'json', '--out', out, ...homes(srv)]);
    expect(run.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(run.stdout);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['plan.json']);
  });

  it('snapshot -o and import -o refuse a symbolic link and a FIFO; "-o -" is standard output', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const dir = scratch();
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'keep me\n');
    symlinkSync(victim, join(dir, 'link'));
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);

    for (const command of ['snapshot', 'import']) {
      for (const [target, kind] of [
        ['link', 'a symbolic link'],
        ['fifo', 'a FIFO (named pipe)'],
      ] as const) {
        const run = mailstate([command, '-o', target, ...homes(srv)], { cwd: dir });
        expect(run.code).toBe(1);
        expect(run.stdout).toBe('');
        expect(run.stderr).toBe(
          `Error: refusing to write ${target}: it is ${kind}, not a regular file; nothing was written.\n`,
        );
      }
    }
    expect(readFileSync(victim, 'utf8')).toBe('keep me\n');

    const snapshot = mailstate(['snapshot', '-o', '-', ...homes(srv)], { cwd: dir });
    expect(snapshot.code).toBe(0);
    expect(JSON.parse(snapshot.stdout)).toBeTypeOf('object');
    const imported = mailstate(['import', '-o', '-', ...homes(srv)], { cwd: dir });
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('domains:');
    expect(existsSync(join(dir, '-'))).toBe(false);

    const written = mailstate(['import', '-o', 'mailstate.yaml', ...homes(srv)], { cwd: dir });
    expect(written.code).toBe(0);
    expect(statSync(join(dir, 'mailstate.yaml')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['fifo', 'link', 'mailstate.yaml', 'victim.txt']);
  });
});

describe('apply PLAN that is not a saved plan', () => {
  it('refuses a YAML file, a directory and JSON that is no plan, with nothing applied', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const dir = scratch();
    writeFileSync(join(dir, 'mailstate.yaml'), readFileSync(join(REPO, 'mailstate.yaml')));
    writeFileSync(join(dir, 'other.json'), '{"hello": 1}\n');
    mkdirSync(join(dir, 'plans'));
    const before = treeFingerprint(srv.root);
    const cases: Array<[string, string]> = [
      ['mailstate.yaml', 'it is not JSON'],
      ['plans', 'it is a directory'],
      ['other.json', 'it is JSON, but not a plan'],
    ];
    for (const [plan, why] of cases) {
      const run = mailstate(['apply', '--yes', plan, ...homes(srv)], { cwd: dir });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        `Error: ${plan} is not a saved plan (mailstate plan --out): ${why}; nothing was applied.\n`,
      );
    }
    expect(treeFingerprint(srv.root)).toEqual(before);
  });
});

describe('stray positional arguments', () => {
  it('every command refuses arguments it does not take', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const withFile = (command: string) =>
      `Error: mailstate ${command}: unexpected argument "other.yaml" (the file is given with -f FILE)\n`;
    const optionsOnly = (command: string) =>
      `Error: mailstate ${command}: unexpected argument "other.yaml" (mailstate ${command} takes options only)\n`;
    const cases: Array<[string[], string]> = [
      [['plan', 'other.yaml', ...homes(srv)], withFile('plan')],
      [['validate', 'other.yaml'], withFile('validate')],
      [['watch', 'other.yaml'], withFile('watch')],
      [['snapshot', 'other.yaml', ...homes(srv)], optionsOnly('snapshot')],
      [['import', 'other.yaml', ...homes(srv)], optionsOnly('import')],
      // status takes -f since --fleet reads the servers of the YAML at the branch tip.
      [['status', 'other.yaml', '--vpopmail-home', srv.vpopmailHome], withFile('status')],
      [
        ['apply', '--yes', 'plan.json', 'other.yaml', ...homes(srv)],
        'Error: mailstate apply: unexpected argument "other.yaml" (mailstate apply takes at most one saved plan, from plan --out; the file is given with -f FILE)\n',
      ],
    ];
    const before = treeFingerprint(srv.root);
    for (const [args, stderr] of cases) {
      expect(mailstate(args)).toEqual({ code: 1, stdout: '', stderr });
    }
    expect(treeFingerprint(srv.root)).toEqual(before);
  });
});

describe('standard output errors', () => {
  it('exits 1 with a one-line message when standard output is full (/dev/full)', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const full = openSync('/dev/full', 'w');
    try {
      const result = spawnSync(process.execPath, [BIN, 'plan', ...homes(srv)], {
        cwd: REPO,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        stdio: ['ignore', full, 'pipe'],
        encoding: 'utf8',
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(
        `${bob2Warning(srv.vpopmailHome)}\nmailstate: cannot write standard output: ENOSPC: no space left on device, write\n`,
      );
    } finally {
      closeSync(full);
    }
  });

  it('exits quietly, without a stack trace, when the reader closes the pipe early', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const child = spawn(process.execPath, [BIN, 'plan', '--detailed-exitcode', ...homes(srv)], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Closed before the child has started: its first write meets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', (status) => resolve(status)));
    expect(stderr).toBe(`${bob2Warning(srv.vpopmailHome)}\n`);
    // EPIPE keeps the command's own exit code: 2, the plan has changes.
    expect(code).toBe(2);
  });
});
