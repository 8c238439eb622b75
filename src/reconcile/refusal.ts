/**
 * Why a reconcile stopped before applying anything: the desired state is invalid, the live state
 * could not be read, the plan was refused (a conflict, the threshold, a digest or saved plan that
 * no longer matches, not confirmed), or another apply holds the lock. The CLI prints the reason and
 * exits 1; the watcher logs the kind as the outcome of one reconcile and keeps running.
 */
export type RefusalKind = 'invalid' | 'unreadable' | 'refused' | 'busy';

export interface Refusal {
  kind: RefusalKind;
  /** One sentence for the user, ending with what was (not) done. */
  reason: string;
  /** Set when a safety limit refused the plan: `reason` is the CLI's (re-run with --force); the watcher, which has no --force, words its own. */
  threshold?: ThresholdRefusal;
}

/** What a plan over its safety limits is over, for a front end to say what its user can do. */
export interface ThresholdRefusal {
  /** One clause per breach, without advice ("example.com: 10 of 16 users (62.5%) deleted or changed, over …"). */
  breaches: string[];
  /** The policy settings a commit could raise instead (none when only the loopback relay rule is in the way). */
  settings: string[];
}

/** What every stage of the library returns: its value, or why it stopped. */
export type Staged<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

/**
 * Thrown between the steps of one library function and turned into its `Staged` result by
 * `staged`: an early exit that never leaves the library. Anything else thrown is a bug, and passes.
 */
export class Refused extends Error {
  readonly kind: RefusalKind;
  readonly threshold: ThresholdRefusal | undefined;
  constructor(reason: string, kind: RefusalKind = 'refused', threshold?: ThresholdRefusal) {
    super(reason);
    this.kind = kind;
    this.threshold = threshold;
  }
}

/** A Refused thrown by a stage's steps, as its result; anything else is a bug and passes on. */
function refusalOf(error: unknown): { ok: false; refusal: Refusal } {
  if (error instanceof Refused)
    return {
      ok: false,
      refusal: { kind: error.kind, reason: error.message, ...(error.threshold ? { threshold: error.threshold } : {}) },
    };
  throw error;
}

/** Runs the steps of one stage; a `Refused` on the way becomes its refusal. */
export async function staged<T>(steps: () => Promise<T> | T): Promise<Staged<T>> {
  try {
    return { ok: true, value: await steps() };
  } catch (error) {
    return refusalOf(error);
  }
}

/** The synchronous `staged`. */
export function stagedSync<T>(steps: () => T): Staged<T> {
  try {
    return { ok: true, value: steps() };
  } catch (error) {
    return refusalOf(error);
  }
}

/** A stage's value, or its refusal thrown on to the stage that called it. */
export function unwrap<T>(result: Staged<T>): T {
  if (result.ok) return result.value;
  throw new Refused(result.refusal.reason, result.refusal.kind, result.refusal.threshold);
}
