import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { EXAMPLE_SANDBOX, server } from '../support/harness.js';
import { HASH_SECRET6 } from '../support/builders.js';
import { REPO, mailstate } from '../support/cli.js';
import { COUNTED_WORK, watchedStep } from '../support/budget.js';

const BIN = join(REPO, 'dist/cli/bin.js');

interface Ended {
  pid: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

function applyAsync(args: string[], env: Record<string, string>): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'apply', '--yes', ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ pid: child.pid!, code, stdout, stderr }));
  });
}

/**
 * Several applies started together, each slowed at every write point so they overlap: exactly
 * one writes; every other one refuses naming that one's pid, or finds the work done. Some rounds
 * start with a lock left by a dead apply, which all of them see as stale at once.
 */
describe('concurrent applies', () => {
  it('let exactly one write, and the others name its pid or find nothing to do', {
    timeout: COUNTED_WORK,
  }, async () => {
    for (let round = 0; round < 4; round++) {
      await watchedStep(`round ${round}`, async () => {
        const srv = await server(EXAMPLE_SANDBOX);
        const dir = mkdtempSync(join(tmpdir(), 'mailstate-concurrent-'));
        const homes = ['--vpopmail-home', srv.vpopmailHome, '--qmail-home', srv.qmailHome];
        const file = join(dir, 'mailstate.yaml');
        expect(mailstate(['import', '-o', file, ...homes]).code).toBe(0);
        const doc = parseDocument(readFileSync(file, 'utf8'));
        for (let i = 0; i < 20; i++)
          doc.setIn(['domains', 'example.com', 'users', `racer${i}`], doc.createNode({ password: HASH_SECRET6 }));
        writeFileSync(file, doc.toString());
        if (round % 2 === 1) writeFileSync(join(srv.vpopmailHome, 'etc/mailstate.lock'), '999999999\n');

        const runs = await Promise.all(
          [0, 1, 2].map(() => applyAsync(['-f', file, ...homes], { MAILSTATE_FAULT_DELAY_MS: '50' })),
        );
        const applied = runs.filter((r) => r.code === 0 && /^Apply complete /m.test(r.stdout));
        expect(
          applied.map((r) => r.pid),
          `round ${round}: ${JSON.stringify(runs, null, 1)}`,
        ).toHaveLength(1);
        const winner = applied[0]!.pid;
        for (const other of runs.filter((r) => r.pid !== winner)) {
          const busy = `Error: another mailstate apply is running (pid ${winner}, lock ${srv.vpopmailHome}/etc/mailstate.lock); nothing was applied.\n`;
          const moved =
            'Error: the live state changed while waiting for confirmation or the lock; run apply again. Nothing was applied.\n';
          const outcome =
            other.code === 0 ? other.stdout.trim().split('\n').at(-1) : other.stderr.replace(/^Warning: .*\n/gm, '');
          expect([busy, moved, 'No changes. The live state matches mailstate.yaml.'], `round ${round}`).toContain(
            outcome,
          );
        }
        const after = mailstate(['plan', '--detailed-exitcode', '-f', file, ...homes]);
        expect(after.code).toBe(0);
        // vpasswd holds each racer once: nobody appended the same users a second time.
        const names = readFileSync(join(srv.vpopmailHome, 'domains/example.com/vpasswd'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(':')[0]!);
        expect(names.filter((n) => n.startsWith('racer'))).toHaveLength(20);
        expect(new Set(names).size).toBe(names.length);
      });
    }
  });
});
