/**
 * Help and version as a Terraform or octoDNS user expects them: `--help`/`-h` on every command
 * (usage, every flag it parses, exit codes) on standard output with exit 0, `--version`, and a
 * "did you mean" for a mistyped command or flag.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandSpec } from '../../src/cli/args.js';
import { APPLY } from '../../src/cli/commands/apply.js';
import { IMPORT } from '../../src/cli/commands/import.js';
import { PLAN } from '../../src/cli/commands/plan.js';
import { SNAPSHOT } from '../../src/cli/commands/snapshot.js';
import { STATUS } from '../../src/cli/commands/status.js';
import { VALIDATE } from '../../src/cli/commands/validate.js';
import { WATCH } from '../../src/cli/commands/watch.js';
import { mailstate, REPO } from '../support/cli.js';

const SPECS: CommandSpec[] = [VALIDATE, PLAN, APPLY, IMPORT, SNAPSHOT, WATCH, STATUS];

describe('mailstate COMMAND --help', () => {
  it.each(SPECS.map((spec) => [spec.name, spec] as const))(
    '%s: usage, every flag it parses, exit codes',
    (name, spec) => {
      const long = mailstate([name, '--help']);
      expect({ code: long.code, stderr: long.stderr }).toEqual({ code: 0, stderr: '' });
      expect(long.stdout.split('\n')[0]).toBe(`Usage: mailstate ${name} ${spec.usage}`);
      for (const [flag, option] of Object.entries(spec.options)) {
        const label = `--${flag}${option.type === 'string' ? ` ${option.value}` : ''}`;
        expect(long.stdout, `${name} --help lists ${label}`).toMatch(
          new RegExp(`^  (-${option.short}, |    )${label.replace(/[.]/g, '\\.')}  `, 'm'),
        );
      }
      expect(long.stdout).toContain(`\nExit codes:\n${spec.exitCodes.map((line) => `  ${line}\n`).join('')}`);
      // -h, `help NAME`, and --help among other flags (even ones that are wrong) print the same.
      expect(mailstate([name, '-h']).stdout).toBe(long.stdout);
      expect(mailstate(['help', name]).stdout).toBe(long.stdout);
      expect(mailstate([name, '--no-such-flag', '--help']).stdout).toBe(long.stdout);
    },
  );

  it('prints exactly this for validate', () => {
    expect(mailstate(['validate', '--help']).stdout).toBe(
      [
        'Usage: mailstate validate [-f FILE]',
        '',
        'Check the desired state without reading a server: YAML syntax, the schema, names, sizes and',
        'references. Every error names FILE:LINE:COL. Passwords given as { env: NAME } that are not set',
        'here are warnings (plan and apply need them).',
        '',
        'Options:',
        '  -f, --file FILE  the desired state (default: mailstate.yaml)',
        '  -h, --help       show this help',
        '',
        'Exit codes:',
        '  0  the file is valid (warnings may be printed)',
        '  1  it is not: every error is printed',
        '',
      ].join('\n'),
    );
  });
});

describe('mailstate --version', () => {
  it("prints package.json's version, exit 0", () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V', 'version'])
      expect(mailstate([flag])).toEqual({ code: 0, stdout: `mailstate ${version}\n`, stderr: '' });
  });
});

describe('did you mean', () => {
  it.each([
    ['plna', 'mailstate: unknown command "plna" (did you mean "mailstate plan"?)'],
    ['aply', 'mailstate: unknown command "aply" (did you mean "mailstate apply"?)'],
    ['valdate', 'mailstate: unknown command "valdate" (did you mean "mailstate validate"?)'],
    ['frobnicate', 'mailstate: unknown command "frobnicate"'],
  ])('a mistyped command %s', (word, line) => {
    expect(mailstate([word])).toEqual({
      code: 1,
      stdout: '',
      stderr: `${line}\nRun "mailstate help" for the commands.\n`,
    });
  });

  it.each([
    [['plan', '--fromat', 'json'], 'Error: mailstate plan: unknown option --fromat (did you mean --format?)'],
    [['apply', '--yess'], 'Error: mailstate apply: unknown option --yess (did you mean --yes?)'],
    [['watch', '--record-note'], 'Error: mailstate watch: unknown option --record-note (did you mean --record-notes?)'],
    [['plan', '--yes'], 'Error: mailstate plan: unknown option --yes'],
    [['plan', '-x'], 'Error: mailstate plan: unknown option -x'],
  ])('a mistyped flag %j', (argv, line) => {
    expect(mailstate(argv)).toEqual({
      code: 1,
      stdout: '',
      stderr: `${line}\nRun "mailstate ${argv[0]} --help" for its options.\n`,
    });
  });
});
