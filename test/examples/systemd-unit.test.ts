import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WATCH } from '../../src/cli/commands/watch.js';

const REPO = join(import.meta.dirname, '../..');
const UNIT = join(REPO, 'examples/systemd/mailstate-watch.service');
const INSTALLED = '/usr/local/bin/mailstate';

/**
 * `systemd-analyze verify` of a copy of the unit whose ExecStart names a mailstate that exists
 * here (verify refuses a command that is not executable); its exit code ignores bad settings, so
 * the check is "exit 0 and nothing said".
 */
function verify(unitText: string): { code: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mailstate-unit-'));
  const command = join(dir, 'mailstate');
  writeFileSync(command, `#!/bin/sh\nexec node ${join(REPO, 'dist/cli/bin.js')} "$@"\n`);
  chmodSync(command, 0o755);
  const unit = join(dir, 'mailstate-watch.service');
  writeFileSync(unit, unitText.replaceAll(INSTALLED, command));
  const run = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
  return { code: run.status, stderr: run.stderr };
}

describe('the shipped systemd unit (examples/systemd)', () => {
  const text = readFileSync(UNIT, 'utf8');

  it('passes systemd-analyze verify with nothing to say', () => {
    expect(verify(text)).toEqual({ code: 0, stderr: '' });
  });

  it('the same check catches a broken unit (a mistyped key, a bad value)', () => {
    const broken = verify(
      text.replace('Restart=on-failure', 'Restrat=on-failure').replace('RestartSec=10', 'RestartSec=ten'),
    );
    expect(broken.stderr).toMatch(/Unknown key 'Restrat' in section \[Service\]/);
    expect(broken.stderr).toMatch(/Failed to parse sec value, ignoring: ten/);
  });

  it('runs the installed command with flags mailstate watch has, and the log format journald reads best', () => {
    const exec = text.split('\n').find((line) => line.startsWith('ExecStart='))!;
    const [command, subcommand, ...args] = exec.slice('ExecStart='.length).split(' ');
    expect([command, subcommand]).toEqual([INSTALLED, 'watch']);
    const known = new Set(Object.keys(WATCH.options).map((name) => `--${name}`));
    const flags = args.filter((arg) => arg.startsWith('--'));
    expect(flags.filter((flag) => !known.has(flag))).toEqual([]);
    expect(flags).toEqual(expect.arrayContaining(['--repo', '--record-notes', '--log-format']));
    // The README shows this very file, from [Unit] on.
    expect(readFileSync(join(REPO, 'README.md'), 'utf8')).toContain(text.slice(text.indexOf('[Unit]')));
  });
});
