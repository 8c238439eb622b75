import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './cli.js';
import { eventually } from './budget.js';

/** Runs one file of test/fixtures/hang with the watchdog set to 2 s. */
function hangingRun(file: string, pidFile: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(REPO, 'node_modules/vitest/vitest.mjs'),
        'run',
        '--config',
        join(REPO, 'test/fixtures/hang/vitest.config.ts'),
        file,
      ],
      {
        cwd: REPO,
        env: { ...process.env, MAILSTATE_TEST_HANG_MS: '2000', MAILSTATE_HANG_PID_FILE: pidFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** A process SIGKILLed is gone, or a zombie until init reaps it. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe("the hang watchdog (a reporter in vitest's main process)", () => {
  it('stops a run stuck in synchronous code, names the file, kills its worker and fails', async () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), 'mailstate-hang-')), 'pid');
    const run = await hangingRun('spins', pidFile);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain(
      'Hang watchdog: no progress for 2 s, so the run is stopped and fails:\n  spins.fixture.ts (the worker reported no test as started',
    );
    // SIGKILL takes effect when the kernel next schedules the worker: wait for that, bounded.
    const worker = Number(readFileSync(pidFile, 'utf8'));
    await eventually(() => !running(worker), `worker ${worker} to be gone`, 30_000);
    expect(running(worker), `worker ${worker} still runs`).toBe(false);
  });

  it('names the test of a run waiting forever on a test without a timeout', async () => {
    const run = await hangingRun('waits', '/dev/null');
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain(
      'Hang watchdog: no progress for 2 s, so the run is stopped and fails:\n  waits.fixture.ts, in: "waits forever"\n',
    );
  });
});
