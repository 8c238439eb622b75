import type { DriverName } from '../../apply/choose-driver.js';
import type { Overrides } from '../../desired/normalize.js';
import { loadDesiredAtCommit } from '../../git/desired-at-commit.js';
import { RepoError, shortCommit, type Repo } from '../../git/repo.js';
import type { Plan } from '../../model/change.js';
import type { Diagnostic } from '../../model/diagnostic.js';
import type { DesiredState } from '../../model/state.js';
import { runApply } from '../apply-run.js';
import { ExitError, type AbortKind } from '../io.js';
import { acceptDesired, planAgainstServer, resolveSecretsOrExit } from '../pipeline.js';
import type { Outcome } from './log.js';

export interface ConvergeRequest {
  repo: Repo;
  commit: string;
  file: string;
  overrides: Overrides;
  env: Record<string, string | undefined>;
  driver: DriverName;
  selfHeal: boolean;
  /**
   * Told the loaded desired state (whose vpopmail home locates the saved watch state); answers
   * whether `commit` is the one already in effect, which makes this a drift check.
   */
  alreadyInEffect(desired: DesiredState): boolean;
}

export interface ConvergeResult {
  outcome: Outcome;
  /** Every problem and warning the stages reported. */
  diagnostics: Diagnostic[];
  plan?: Plan;
  reason?: string;
  /** True when the commit was already in effect: any change made or found was drift. */
  driftCheck: boolean;
}

const OUTCOME_OF: Record<AbortKind, Outcome> = { invalid: 'invalid', unreadable: 'refused', refused: 'refused', busy: 'busy' };

/**
 * One commit through the ordinary pipeline — validate (from git) → plan → safety checks → apply,
 * exactly as `mailstate apply --yes` — with every way it can end turned into an outcome instead of
 * an exception. A drift check without self-heal only plans. Bugs still throw.
 */
export async function convergeCommit(request: ConvergeRequest): Promise<ConvergeResult> {
  const diagnostics: Diagnostic[] = [];
  const report = (d: Diagnostic): void => void diagnostics.push(d);
  const notes: string[] = [];
  const label = `${request.file} at ${shortCommit(request.commit)}`;
  let driftCheck = false;
  try {
    const loaded = await loadDesiredAtCommit(request.repo, request.commit, request.file, request.overrides);
    const desired = resolveSecretsOrExit(acceptDesired(loaded, label, report), request.env, report);
    driftCheck = request.alreadyInEffect(desired);
    if (driftCheck && !request.selfHeal) {
      const { plan } = await planAgainstServer(desired, report);
      return { outcome: plan.changes.length > 0 ? 'drift' : 'no-changes', plan, diagnostics, driftCheck };
    }
    const run = await runApply({
      loadDesired: async () => desired,
      driver: request.driver,
      force: false,
      note: (line) => notes.push(line),
      report,
      env: request.env,
      label,
    });
    if (run.outcome === 'failed') {
      const done = run.done.length === 0 ? 'nothing had been applied before it' : `${run.done.length} change(s) had been applied before it`;
      return { outcome: 'failed', plan: run.plan, reason: `${run.error.message}; ${done}; the next resync converges from there`, diagnostics, driftCheck };
    }
    return { outcome: run.outcome, plan: run.plan, diagnostics, driftCheck };
  } catch (error) {
    if (error instanceof ExitError) return { outcome: OUTCOME_OF[error.kind], reason: [...notes, error.message].join(' '), diagnostics, driftCheck };
    if (error instanceof RepoError) return { outcome: 'error', reason: error.message, diagnostics, driftCheck };
    throw error;
  }
}
