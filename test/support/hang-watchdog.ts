import { readdirSync, readFileSync } from 'node:fs';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

/**
 * The suite's last line of defence against a hang (issue 11). vitest's per-test timeout is a
 * timer inside the worker, so a test stuck in synchronous code (a runaway regex, an endless loop)
 * is never interrupted, and a test with no timeout (counted work, see budget.ts) may wait forever.
 * This reporter runs in vitest's main process, which such a hang does not block: a test file that
 * reports no progress (no test started or finished) for MAILSTATE_TEST_HANG_MS
 * (15 minutes by default, far above the slowest test on a loaded machine) is named, every worker
 * process is killed and the run fails.
 */
export const DEFAULT_HANG_MS = 15 * 60_000;

interface Running {
  lastProgress: number;
  /** Tests started and not yet finished, by full name. */
  open: Set<string>;
}

export default class HangWatchdog implements Reporter {
  private readonly hangMs = Number(process.env.MAILSTATE_TEST_HANG_MS ?? DEFAULT_HANG_MS);
  private readonly running = new Map<string, Running>();
  private timer: NodeJS.Timeout | undefined;

  onTestRunStart(): void {
    this.timer = setInterval(() => this.check(), Math.min(10_000, Math.max(100, this.hangMs / 10)));
    this.timer.unref();
  }

  onTestRunEnd(): void {
    clearInterval(this.timer);
  }

  onTestModuleStart(module: TestModule): void {
    this.running.set(module.relativeModuleId, { lastProgress: Date.now(), open: new Set() });
  }

  onTestModuleEnd(module: TestModule): void {
    this.running.delete(module.relativeModuleId);
  }

  onTestCaseReady(test: TestCase): void {
    const entry = this.progress(test.module.relativeModuleId);
    entry?.open.add(test.fullName);
  }

  onTestCaseResult(test: TestCase): void {
    const entry = this.progress(test.module.relativeModuleId);
    entry?.open.delete(test.fullName);
  }

  private progress(moduleId: string): Running | undefined {
    const entry = this.running.get(moduleId);
    if (entry) entry.lastProgress = Date.now();
    return entry;
  }

  private check(): void {
    const now = Date.now();
    const hung = [...this.running].filter(([, entry]) => now - entry.lastProgress > this.hangMs);
    if (hung.length === 0) return;
    const lines = hung.map(([file, entry]) =>
      entry.open.size > 0
        ? `  ${file}, in: ${[...entry.open].map((name) => JSON.stringify(name)).join(', ')}`
        : `  ${file} (the worker reported no test as started: a hook, or synchronous code that never yielded)`,
    );
    process.stderr.write(
      `\nHang watchdog: no progress for ${Math.round(this.hangMs / 1000)} s, so the run is stopped and fails:\n${lines.join('\n')}\n`,
    );
    killDescendants(process.pid);
    process.exit(1);
  }
}

/** SIGKILLs every process below `pid` (vitest's workers and whatever they started), deepest first. */
function killDescendants(pid: number): void {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // The command name, in parentheses, may hold spaces: the parent pid is the second field after it.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
  }
  const kill = (of: number): void => {
    for (const child of children.get(of) ?? []) {
      kill(child);
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  kill(pid);
}
