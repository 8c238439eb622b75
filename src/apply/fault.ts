/**
 * Fault injection for the crash tests: MAILSTATE_FAULT_AT=N makes the N-th write point throw
 * (MAILSTATE_FAULT_CODE picks the error code, default EIO) and MAILSTATE_FAULT_KILL=N kills the
 * process with SIGKILL there instead. Off unless the variables are set.
 */
export function faultHookFromEnv(env: Record<string, string | undefined>): (point: string) => void {
  const failAt = Number(env.MAILSTATE_FAULT_AT ?? 0);
  const killAt = Number(env.MAILSTATE_FAULT_KILL ?? 0);
  if (!failAt && !killAt) return () => {};
  let reached = 0;
  return (point) => {
    reached++;
    if (reached === killAt) process.kill(process.pid, 'SIGKILL');
    if (reached === failAt) {
      const error = new Error(`injected fault at write point ${reached} (${point})`) as NodeJS.ErrnoException;
      error.code = env.MAILSTATE_FAULT_CODE ?? 'EIO';
      throw error;
    }
  };
}
