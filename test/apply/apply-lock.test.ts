import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireApplyLock, LockBusyError } from '../../src/io/apply-lock.js';
import { REPO } from '../support/cli.js';
import { eventually } from '../support/budget.js';

/** A process that holds the fcntl lock on `path` without writing its pid, until its stdin closes. */
async function silentHolder(path: string) {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { openSync } from 'node:fs'; import { lock } from 'os-lock'; await lock(openSync(${JSON.stringify(path)}, 'r+'), { exclusive: true }); process.stdout.write('locked\\n'); process.stdin.resume();`,
    ],
    { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let said = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (said += chunk));
  await eventually(() => said === 'locked\n', 'the holder to lock');
  return child;
}

describe('the apply lock (~vpopmail/etc/mailstate.lock)', () => {
  it('names the process that holds it, not the pid a dead apply left in the file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mailstate-lock-')), 'mailstate.lock');
    // The moment between a winner's lock and its writing its pid, made to last.
    writeFileSync(path, '999999999\n');
    const holder = await silentHolder(path);
    try {
      const refused = await acquireApplyLock(path).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(LockBusyError);
      expect((refused as LockBusyError).holderPid).toBe(holder.pid);
      expect((refused as Error).message).toBe(`another mailstate apply is running (pid ${holder.pid}, lock ${path})`);
    } finally {
      holder.stdin!.end();
      await new Promise((resolve) => holder.once('exit', resolve));
    }
  });

  it('is taken over from a dead apply, holds our pid, and is removed on release', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mailstate-lock-')), 'mailstate.lock');
    writeFileSync(path, '999999999\n');
    const release = await acquireApplyLock(path);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    release();
    expect(existsSync(path)).toBe(false);
  });
});
