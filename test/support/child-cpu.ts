import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The CPU time of a child process, measured by the child itself (test/support/report-cpu.mjs):
 * a loaded machine stretches a child's wall time, not the CPU time it needs (issue 11). Spawn the
 * child as `process.execPath, [...cpuReportArgs(), program, ...args]` with
 * `{ [CPU_REPORT_ENV]: file }` added to its environment, then read the report with `readCpuReport`.
 */

/** Absolute path of the preload that writes the report. */
export const CPU_REPORT_PRELOAD = join(import.meta.dirname, 'report-cpu.mjs');

/** The environment variable naming the report file. */
export const CPU_REPORT_ENV = 'MAILSTATE_TEST_CPU_REPORT';

/** Node options that load the preload. */
export function cpuReportArgs(): string[] {
  return ['--import', CPU_REPORT_PRELOAD];
}

export interface CpuReport {
  userUs: number;
  systemUs: number;
  /** User + system CPU time of the whole process, start-up included, in milliseconds. */
  cpuMs: number;
  /** Peak resident set size in KiB. */
  maxRssKiB: number;
}

/** The report a child wrote, or undefined when it wrote none (killed by a signal, or aborted). */
export function readCpuReport(file: string): CpuReport | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as CpuReport;
}
