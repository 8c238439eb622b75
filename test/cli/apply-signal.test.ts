/**
 * A failed or interrupted apply tells the truth about what it did (issue 10): SIGINT lets the
 * step in progress finish, then stops with exit 130 and lists what was applied; a step that fails
 * midway lists the mailboxes it had already moved to the archive.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { EXAMPLE_SANDBOX, server, type TestServer } from '../support/harness.js';
import { COUNTED_WORK } from '../support/budget.js';
import { mailstate, REPO } from '../support/cli.js';

const EXAMPLE_YAML = join(REPO, 'mailstate.yaml');

/** `apply --yes --force` of the bundled example against a sandbox server. */
function forcedApplyOfExample(srv: TestServer): string[] {
  return [
    'apply',
    '--yes',
    '--force',
    '-f',
    EXAMPLE_YAML,
    '--vpopmail-home',
    srv.vpopmailHome,
    '--qmail-home',
    srv.qmailHome,
  ];
}

it('SIGINT mid-apply finishes the step, stops, exits 130 and lists what was applied; a re-run converges', async () => {
  const srv = await server(EXAMPLE_SANDBOX);
  const args = forcedApplyOfExample(srv);
  const child = spawn(process.execPath, [join(REPO, 'dist/cli/bin.js'), ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MAILSTATE_FAULT_DELAY_MS: '150' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Wait for the event, not for a time: the first mailbox in the archive means the user step runs.
  // (bob's mailbox, not the .qmail-bob archived by the step before it).
  const archive = join(srv.vpopmailHome, 'archive', 'example.com');
  while (!(existsSync(archive) && readdirSync(archive).some((entry) => entry.startsWith('bob-')))) {
    if (child.exitCode !== null) throw new Error(`apply ended before it archived anything: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  child.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(stderr).toMatch(/^Apply failed: stopped by SIGINT before /m);
  expect(stderr).toMatch(/^Already applied \(\d+\):$/m);
  expect(stderr).toMatch(
    /^Moved to the archive \(\d+\):\n( {2}.*\n)* {2}.*\/archive\/example\.com\/bob-\d{8}T\d{6}Z\n/m,
  );
  expect(mailstate(args).code).toBe(0);
  expect(mailstate(['plan', '--detailed-exitcode', ...args.slice(3)]).code).toBe(0);
});

it(
  'a user step that fails after archiving a mailbox says where the mailbox went',
  async () => {
    // Fail each write point of the example's apply in turn until one fails the user step of
    // example.com after bob's mailbox was moved (bounded: the apply has fewer than 40 points).
    let failed: { stderr: string; args: string[] } | undefined;
    for (let at = 1; at < 40 && !failed; at++) {
      const srv = await server(EXAMPLE_SANDBOX);
      const args = forcedApplyOfExample(srv);
      const run = mailstate(args, { env: { MAILSTATE_FAULT_AT: String(at) } });
      if (
        run.code === 1 &&
        /^Apply failed: the \d+ user changes of example\.com failed/m.test(run.stderr) &&
        /\/archive\/example\.com\/bob-/.test(run.stderr)
      )
        failed = { stderr: run.stderr, args };
    }
    expect(failed?.stderr).toMatch(
      /^Moved to the archive \(\d+\):\n( {2}.*\n)* {2}.*\/archive\/example\.com\/bob-\d{8}T\d{6}Z\n/m,
    );
    expect(mailstate(failed!.args).code).toBe(0);
    expect(mailstate(['plan', '--detailed-exitcode', ...failed!.args.slice(3)]).code).toBe(0);
  },
  COUNTED_WORK,
); // at most 40 CLI runs (test/support/budget.ts)
