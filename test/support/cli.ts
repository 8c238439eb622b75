import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SECRET_ENV_NAME, leakedSecrets } from './leaked-secrets.js';
import { STEP_HANG_MS } from './budget.js';

export const REPO = join(import.meta.dirname, '../..');
const BIN = join(REPO, 'dist/cli/bin.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `mailstate` binary (npm test builds it first), as a user would. Every run of
 * the whole suite is also a secrecy check: its output may not contain any password hash or clear
 * text the suite's servers and YAML carry, nor the clear texts passed in the environment.
 * `import` is the one command whose output is a mailstate.yaml, hashes included, by design.
 */
export function mailstate(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): Run {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    input: options.input ?? '',
    encoding: 'utf8',
    // A synchronous child blocks the worker's own timers: this is the hang guard for the run.
    timeout: STEP_HANG_MS,
    killSignal: 'SIGKILL',
  });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT')
    throw new Error(`mailstate ${args.join(' ')}: still running after ${STEP_HANG_MS / 1000} s, so it hangs (killed)`);
  const clearTexts = Object.entries(options.env ?? {}).flatMap(([name, value]) =>
    SECRET_ENV_NAME.test(name) && value.length >= 3 ? [value] : [],
  );
  const shown = args[0] === 'import' ? result.stderr : `${result.stdout}${result.stderr}`;
  const leaked = leakedSecrets(shown, clearTexts);
  if (leaked.length > 0)
    throw new Error(
      `mailstate ${args.join(' ')} printed a secret: ${leaked.map((s) => JSON.stringify(`${s.slice(0, 12)}…`)).join(', ')}`,
    );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
