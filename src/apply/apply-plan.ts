import { assertNever, type Change, type Plan, type StructureChange } from '../model/change.js';
import { applySteps, firstChangeOf, type ApplyStep } from '../plan/steps.js';
import { applyRedirection } from './dot-qmail-write.js';
import { rebuildUsersCdbFromAssign } from './domain-files.js';
import { applyRelayChanges } from './relay-write.js';
import { ApplyStepError, type ApplyEnvironment, type Driver } from './types.js';

function describeForError(change: Change): string {
  const where = 'domain' in change ? ` (${change.domain})` : '';
  const name =
    change.kind === 'add-user'
      ? change.user.name
      : 'name' in change
        ? change.name
        : 'address' in change
          ? change.address
          : '';
  return `${change.kind}${name ? ` ${name}` : ''}${where}`;
}

/** A domain's user changes run as one batch: the error cannot blame its first change for another's failure. */
function describeStep(step: ApplyStep): string {
  if (step.kind === 'users' && step.changes.length > 1)
    return `the ${step.changes.length} user changes of ${step.domain}`;
  return describeForError(firstChangeOf(step));
}

async function structure(change: StructureChange, driver: Driver, env: ApplyEnvironment): Promise<void> {
  switch (change.kind) {
    case 'add-domain':
      return driver.addDomain(change, env);
    case 'add-alias-domain':
      return driver.addAliasDomain(change, env);
    case 'rebuild-users-cdb':
      // qmail's file, not vpopmail's: the same for both drivers.
      rebuildUsersCdbFromAssign(env);
      return env.done(change);
    default:
      return assertNever(change, 'structure change');
  }
}

async function run(step: ApplyStep, driver: Driver, env: ApplyEnvironment): Promise<void> {
  switch (step.kind) {
    case 'users':
      return driver.applyDomainUsers(step.domain, step.changes, env);
    case 'structure':
      return structure(step.change, driver, env);
    case 'redirection':
      applyRedirection(step.change, env);
      return env.done(step.change);
    case 'relay':
      return applyRelayChanges(step.changes, env);
    default:
      return assertNever(step, 'apply step');
  }
}

/**
 * Executes a plan in its order, step by step (plan/steps.ts: a domain's user changes are one
 * batch, all relay changes another). Stops at the first failure, which names the step; what was
 * done before it stays done and the next apply converges from there.
 */
export async function applyPlan(plan: Plan, driver: Driver, env: ApplyEnvironment): Promise<void> {
  for (const step of applySteps(plan.changes)) {
    const first = firstChangeOf(step);
    // A step is never cut short: a signal stops the apply between two, with what was done reported.
    // Steps run synchronously, so the signal's callback gets its turn only if the loop is let run.
    if (env.stopRequested) await new Promise((resolve) => setImmediate(resolve));
    const stop = env.stopRequested?.();
    if (stop) throw new ApplyStepError(`stopped by ${stop} before ${describeForError(first)}`, first);
    try {
      await run(step, driver, env);
    } catch (error) {
      throw new ApplyStepError(`${describeStep(step)} failed: ${(error as Error).message}`, first, { cause: error });
    }
  }
}
