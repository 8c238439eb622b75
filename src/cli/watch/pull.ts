import type { PullResult } from '../../git/fast-forward.js';
import type { WatchEvent } from './log.js';

/** What one pull (--pull-interval) leads to. */
export interface PullStep {
  /** To log: the fast-forward, or a problem other than the one logged last. */
  event?: WatchEvent;
  /** The branch moved: a reconcile is due. */
  moved: boolean;
  /** The problem standing now, kept so that the same one is not logged again every interval. */
  problem: string | undefined;
}

function problem(outcome: 'refused' | 'failed', reason: string, lastProblem: string | undefined): PullStep {
  if (reason === lastProblem) return { moved: false, problem: reason };
  return { event: { event: 'pull', outcome, reason }, moved: false, problem: reason };
}

/** A pull's result, or what it threw, given the problem logged last. */
export function afterPull(result: PullResult | Error, lastProblem: string | undefined): PullStep {
  if (result instanceof Error) return problem('failed', result.message, lastProblem);
  if (result.kind === 'refused') return problem('refused', result.reason, lastProblem);
  if (result.kind === 'up-to-date') return { moved: false, problem: undefined };
  return {
    event: { event: 'pull', outcome: 'fast-forwarded', ...(result.from ? { from: result.from } : {}), to: result.to },
    moved: true,
    problem: undefined,
  };
}
