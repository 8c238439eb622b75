/**
 * Time bounds measured in CPU time, not wall time (issue 11). A loaded machine (a shared CI
 * runner, `stress-ng --cpu 2`) stretches the wall time of a call many times over, but not the CPU
 * time the call itself needs: that grows only with the work done, so a bound on it still tells a
 * linear parser from a quadratic one, or a capped alias expansion from a bomb, however busy the
 * machine is.
 *
 * `process.cpuUsage()` counts the whole process, every thread. The calls measured here are
 * synchronous, so no other JavaScript of the process runs meanwhile, and what V8's helper threads
 * (garbage collector, compiler) do then is mostly for the call. This relies on one test file per
 * process (vitest's forks pool, vitest.config.ts): with worker threads, other test files would
 * run in the same process and their CPU time would be counted too.
 */

/** CPU time (user + system) this process used since `start` (a `process.cpuUsage()`), in ms. */
export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

export class CpuTimeExceeded extends Error {}

function check(start: NodeJS.CpuUsage, limitMs: number, cause?: unknown): void {
  const used = cpuMsSince(start);
  if (used > limitMs) {
    throw new CpuTimeExceeded(
      `used ${used.toFixed(1)} ms of CPU time (user + system), more than its limit of ${limitMs} ms of CPU time`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/**
 * Runs `fn` and fails when it used more than `limitMs` milliseconds of CPU time (user + system;
 * not wall time, which load from other processes inflates). A call that throws is measured too,
 * and keeps its own error unless it also went over the limit.
 */
export function withinCpuTime<T>(limitMs: number, fn: () => T): T {
  const start = process.cpuUsage();
  let result: T;
  try {
    result = fn();
  } catch (error) {
    check(start, limitMs, error);
    throw error;
  }
  check(start, limitMs);
  return result;
}
