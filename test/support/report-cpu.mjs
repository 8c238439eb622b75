/**
 * Preload for a child process whose CPU time a test bounds (issue 11: wall time is stretched by
 * a loaded machine, the CPU time a process needs is not). Run the child as
 *
 *   node --import <absolute path of this file> program.js …
 *
 * with MAILSTATE_TEST_CPU_REPORT=<file> in its environment: when the process exits, the CPU time
 * it used, start-up included (`process.cpuUsage()`, every thread), and its peak resident set size
 * are written to that file as JSON: `{"userUs": …, "systemUs": …, "cpuMs": …, "maxRssKiB": …}`.
 *
 * It never writes to standard output or error, never throws and never changes the exit code, so
 * the program's output stays what it would be without it. The variable is removed from the
 * environment at once, so the program (and anything it starts) sees the environment it was given.
 * A process killed by a signal, or aborted (out of memory), writes no report.
 */
import { writeFileSync } from 'node:fs';

const target = process.env.MAILSTATE_TEST_CPU_REPORT;
delete process.env.MAILSTATE_TEST_CPU_REPORT;

if (target) {
  process.on('exit', () => {
    try {
      const { user, system } = process.cpuUsage();
      const maxRssKiB = process.resourceUsage().maxRSS;
      writeFileSync(
        target,
        JSON.stringify({ userUs: user, systemUs: system, cpuMs: (user + system) / 1000, maxRssKiB }),
      );
    } catch {
      // A report that cannot be written is missing, and the test says so; the program is not disturbed.
    }
  });
}
