#!/usr/bin/env node
import { hostname } from 'node:os';
import { main } from './main.js';

/**
 * Standard output that can fail: a reader that went away (`mailstate plan | head -1`: EPIPE) or a
 * full disk (`> /dev/full`: ENOSPC). Either way the command runs to its end (an apply is never cut
 * short by its output) with nothing more written. EPIPE is quiet and keeps the command's exit code,
 * as the reader chose to stop reading (a program killed by SIGPIPE, like `yes | head`, is not an
 * error to the shell either). Any other error loses output the user asked for: it is said on
 * stderr and the exit code is 1.
 */
let stdoutError: NodeJS.ErrnoException | undefined;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  stdoutError ??= error;
});
// Nothing is left to report a stderr error to; only the exit code (below) says something went wrong.
process.stderr.on('error', () => {});

function writeStdout(text: string): void {
  if (stdoutError === undefined && !process.stdout.destroyed) process.stdout.write(text);
}

/** Resolves once every write so far has reached the descriptor (or failed). */
function flushStdout(): Promise<void> {
  if (stdoutError !== undefined || process.stdout.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    process.stdout.write('', (error) => {
      if (error) stdoutError ??= error as NodeJS.ErrnoException;
      resolve();
    });
  });
}

let code = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: writeStdout,
  stderr: (text) => {
    if (!process.stderr.destroyed) process.stderr.write(text);
  },
  isTty: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  stdoutIsTty: Boolean(process.stdout.isTTY),
  hostname: hostname(),
  onStopSignal: (handler) => {
    const signals = ['SIGTERM', 'SIGINT'] as const;
    for (const signal of signals) process.on(signal, handler);
    return () => {
      for (const signal of signals) process.off(signal, handler);
    };
  },
});
await flushStdout();
if (stdoutError !== undefined && stdoutError.code !== 'EPIPE') {
  const { code: errno, message } = stdoutError;
  const reason = errno === undefined || message.startsWith(errno) ? message : `${errno}: ${message}`;
  if (!process.stderr.destroyed) process.stderr.write(`mailstate: cannot write standard output: ${reason}\n`);
  code = 1;
}
process.exitCode = code;
