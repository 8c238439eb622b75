/**
 * Fault injection for the crash tests: MAILSTATE_FAULT_AT=N makes the N-th write point (each
 * change made through the apply port, fault-io.ts) throw (MAILSTATE_FAULT_CODE picks the error
 * code, default EIO) and MAILSTATE_FAULT_KILL=N kills the process with SIGKILL there instead. MAILSTATE_FAULT_DELAY_MS=N blocks N ms at every write point
 * (a slow apply, for the signal tests). Off unless the variables are set.
 */
export function faultHookFromEnv(env: Record<string, string | undefined>): (point: string) => void {
  const failAt = Number(env.MAILSTATE_FAULT_AT ?? 0);
  const killAt = Number(env.MAILSTATE_FAULT_KILL ?? 0);
  const delayMs = Number(env.MAILSTATE_FAULT_DELAY_MS ?? 0);
  if (!failAt && !killAt && !delayMs) return () => {};
  let reached = 0;
  return (point) => {
    reached++;
    if (delayMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delayMs);
    if (reached === killAt) process.kill(process.pid, 'SIGKILL');
    if (reached === failAt) {
      const error = new Error(`injected fault at write point ${reached} (${point})`) as NodeJS.ErrnoException;
      error.code = env.MAILSTATE_FAULT_CODE ?? 'EIO';
      throw error;
    }
  };
}
