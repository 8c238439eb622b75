import { CHANGING_OPERATIONS, type ApplyIo } from './io.js';

/**
 * A fault point before every change the port makes: `fault` is called with the operation and its
 * path (`writeAtomic /…/vpasswd`, `run /…/vadduser`) and may throw, as a full disk or a dying
 * process would at that moment. The crash tests count and fail these points one by one.
 */
export function withFaults(io: ApplyIo, fault: (point: string) => void): ApplyIo {
  const faulted: ApplyIo = { ...io };
  for (const operation of CHANGING_OPERATIONS) {
    const inner = io[operation] as (...args: unknown[]) => unknown;
    (faulted[operation] as (...args: unknown[]) => unknown) = (...args: unknown[]) => {
      fault(`${operation} ${String(args[0])}`);
      return inner(...args);
    };
  }
  return faulted;
}
