import { join } from 'node:path';
import type { DriverName } from '../apply/choose-driver.js';
import type { Overrides } from '../desired/normalize.js';
import { loadDesiredAtCommit } from '../git/desired-at-commit.js';
import { RepoError, shortCommit, type Repo } from '../git/repo.js';
import type { Plan } from '../model/change.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { PeerEvidence } from '../plan/moves.js';
import type { DesiredState } from '../model/state.js';
import { applyWithLock } from './apply.js';
import { acceptDesired, resolveDesiredSecrets } from './desired.js';
import { planAgainstServer } from './plan.js';
import type { Refusal, RefusalKind } from './refusal.js';
import { watcherThresholdReason, type HandApply } from './threshold.js';

/** How one reconcile of a commit ended, as the watcher logs and saves it. */
export type ConvergeOutcome = 'applied' | 'no-changes' | 'drift' | 'invalid' | 'refused' | 'busy' | 'failed' | 'error';

/** Whether the server is at the commit after this outcome: it was applied, or it already matched. */
export function inEffectAfter(outcome: ConvergeOutcome): boolean {
  return outcome === 'applied' || outcome === 'no-changes';
}

export interface ConvergeRequest {
  repo: Repo;
  commit: string;
  file: string;
  overrides: Overrides;
  env: Record<string, string | undefined>;
  driver: DriverName;
  selfHeal: boolean;
  allowMoves?: boolean;
  peers?: PeerEvidence;
  /**
   * Told the loaded desired state (whose vpopmail home locates the saved watch state); answers
   * whether `commit` is the one already in effect, which makes this a drift check.
   */
  alreadyInEffect(desired: DesiredState): boolean;
}

export interface ConvergeResult {
  outcome: ConvergeOutcome;
  /** Every problem and warning the stages reported. */
  diagnostics: Diagnostic[];
  plan?: Plan;
  reason?: string;
  /** True when the commit was already in effect: any change made or found was drift. */
  driftCheck: boolean;
}

const OUTCOME_OF: Record<RefusalKind, ConvergeOutcome> = {
  invalid: 'invalid',
  unreadable: 'refused',
  refused: 'refused',
  busy: 'busy',
};

/** The command that applies the watcher's commit by hand, from a working copy at it. */
function handApply(request: ConvergeRequest): HandApply {
  return {
    file: join(request.repo.root, request.file),
    commit: shortCommit(request.commit),
    vpopmailHome: request.overrides.vpopmailHome,
    qmailHome: request.overrides.qmailHome,
    domainBases: request.overrides.domainBases,
    driver: request.driver,
  };
}

/**
 * One commit through the ordinary pipeline — validate (from git) → plan → safety checks → apply,
 * exactly as `mailstate apply --yes` — with every way it can end turned into an outcome. A drift
 * check without self-heal only plans. Bugs still throw.
 */
export async function convergeCommit(request: ConvergeRequest): Promise<ConvergeResult> {
  const diagnostics: Diagnostic[] = [];
  const report = (d: Diagnostic): void => void diagnostics.push(d);
  const label = `${request.file} at ${shortCommit(request.commit)}`;
  let driftCheck = false;
  // The CLI's reason for a threshold refusal says "re-run with --force", which watch has not.
  const refused = ({ kind, reason, threshold }: Refusal): ConvergeResult => ({
    outcome: OUTCOME_OF[kind],
    reason: threshold ? watcherThresholdReason(threshold, handApply(request)) : reason,
    diagnostics,
    driftCheck,
  });
  let loaded: Awaited<ReturnType<typeof loadDesiredAtCommit>>;
  try {
    loaded = await loadDesiredAtCommit(request.repo, request.commit, request.file, request.overrides);
  } catch (error) {
    if (error instanceof RepoError) return { outcome: 'error', reason: error.message, diagnostics, driftCheck };
    throw error;
  }
  const accepted = acceptDesired(loaded, label, report);
  if (!accepted.ok) return refused(accepted.refusal);
  const resolved = resolveDesiredSecrets(accepted.value, request.env, report);
  if (!resolved.ok) return refused(resolved.refusal);
  const desired = resolved.value;
  driftCheck = request.alreadyInEffect(desired);
  if (driftCheck && !request.selfHeal) {
    const planned = await planAgainstServer(desired, report, request.peers ? { peers: request.peers } : {});
    if (!planned.ok) return refused(planned.refusal);
    const { plan } = planned.value;
    return { outcome: plan.changes.length > 0 ? 'drift' : 'no-changes', plan, diagnostics, driftCheck };
  }
  const run = await applyWithLock({
    loadDesired: async () => ({ ok: true, value: desired }),
    driver: request.driver,
    force: false,
    allowMoves: request.allowMoves ?? false,
    ...(request.peers ? { peers: request.peers } : {}),
    // The breaches are in the refusal itself; the plan's own lines are for a terminal.
    note: () => {},
    report,
    env: request.env,
    label,
  });
  switch (run.outcome) {
    case 'refused':
      return refused(run.refusal);
    case 'failed': {
      const done =
        run.done.length === 0
          ? 'nothing had been applied before it'
          : `${run.done.length} change(s) had been applied before it`;
      return {
        outcome: 'failed',
        plan: run.plan,
        reason: `${run.error.message}; ${done}; the next resync converges from there`,
        diagnostics,
        driftCheck,
      };
    }
    case 'applied':
    case 'no-changes':
      return { outcome: run.outcome, plan: run.plan, diagnostics, driftCheck };
  }
}
