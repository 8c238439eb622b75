/**
 * How tests bound their time, so that a loaded machine (a shared CI runner, `stress-ng`) cannot
 * turn a good change red (issue 11):
 *
 * - An ordinary test keeps vitest's `testTimeout` (vitest.config.ts), a hang guard far above the
 *   time any of them needs.
 * - A test that does a fixed, counted amount of heavy work (a fault sweep, SIGKILL rounds, a
 *   million-line file) takes no per-test clock at all: `{ timeout: COUNTED_WORK }`. Its loop count
 *   bounds it; each round runs through `watchedStep`, which fails naming the round that hung.
 * - A synchronous hang, which no timer inside the worker can interrupt, is caught by the suite's
 *   hang watchdog (test/support/hang-watchdog.ts), which names the test and stops the run.
 *
 * Speed itself is measured by `npm run bench`, never here.
 */

/** vitest reads a timeout of 0 as "none". */
export const COUNTED_WORK = 0;

/** One round of a sweep (an apply, a replay, a CLI run) takes well under 5 s on an idle machine. */
export const STEP_HANG_MS = 5 * 60_000;

export class StepHangError extends Error {}

/** Runs one round of counted work; if it has not settled after `hangMs` it fails, naming `what`. */
export async function watchedStep<T>(what: string, work: () => Promise<T> | T, hangMs = STEP_HANG_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StepHangError(`${what}: still running after ${hangMs / 1000} s, so it hangs`)),
      hangMs,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(work), watchdog]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * How long a test may wait for something it expects to happen (a watcher's log line, a file a
 * child writes): far above the second or so it takes on an idle machine, so only an event that
 * never comes fails the test. Every wait ends as soon as the event is seen.
 */
export const EVENT_DEADLINE_MS = 120_000;

/** Waits until `probe` returns a value (checked every 25 ms), or fails after `timeoutMs` naming `what`. */
export async function eventually<T>(
  probe: () => T | undefined | false,
  what: string,
  timeoutMs = EVENT_DEADLINE_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
