import type { Change, Plan } from '../model/change.js';
import { applyRedirection, isRedirection } from './dot-qmail-write.js';
import { rebuildUsersCdbFromAssign } from './domain-files.js';
import { applyRelayChanges } from './relay-write.js';
import { ApplyStepError, type ApplyEnvironment, type Driver } from './types.js';

const USER_KINDS = new Set<Change['kind']>(['add-user', 'modify-user', 'delete-user', 'rebuild-vpasswd-cdb']);
const RELAY_KINDS = new Set<Change['kind']>(['add-relay', 'delete-relay', 'rebuild-tcp-smtp-cdb']);

function describeForError(change: Change): string {
  const where = 'domain' in change ? ` (${change.domain})` : '';
  const name = change.kind === 'add-user' ? change.user.name : 'name' in change ? change.name : 'address' in change ? change.address : '';
  return `${change.kind}${name ? ` ${name}` : ''}${where}`;
}

async function step(change: Change, work: () => Promise<void> | void, what = describeForError(change)): Promise<void> {
  try {
    await work();
  } catch (error) {
    throw new ApplyStepError(`${what} failed: ${(error as Error).message}`, change, { cause: error });
  }
}

/** A domain's user changes run as one batch: the error cannot blame its first change for another's failure. */
function describeBatch(domain: string, batch: readonly Change[]): string {
  return batch.length === 1 ? describeForError(batch[0]!) : `the ${batch.length} user changes of ${domain}`;
}

/**
 * Executes a plan in its order. The user-level changes of a domain go to the driver as one batch
 * (one vpasswd rewrite and one cdb build for the files driver); everything else runs one by one.
 * Stops at the first failure, which names the step; what was done before it stays done and the
 * next apply converges from there.
 */
export async function applyPlan(plan: Plan, driver: Driver, env: ApplyEnvironment): Promise<void> {
  const changes = plan.changes;
  const handled = new Set<number>();
  for (let i = 0; i < changes.length; i++) {
    if (handled.has(i)) continue;
    const change = changes[i]!;
    // A step is never cut short: a signal stops the apply between two, with what was done reported.
    // Steps run synchronously, so the signal's callback gets its turn only if the loop is let run.
    if (env.stopRequested) await new Promise((resolve) => setImmediate(resolve));
    const stop = env.stopRequested?.();
    if (stop) throw new ApplyStepError(`stopped by ${stop} before ${describeForError(change)}`, change);
    if (USER_KINDS.has(change.kind) && 'domain' in change) {
      const batch: Change[] = [];
      for (let j = i; j < changes.length; j++) {
        const other = changes[j]!;
        if (USER_KINDS.has(other.kind) && 'domain' in other && other.domain === change.domain) {
          batch.push(other);
          handled.add(j);
        }
      }
      await step(change, () => driver.applyDomainUsers(change.domain, batch, env), describeBatch(change.domain, batch));
    } else if (change.kind === 'add-domain') {
      await step(change, () => driver.addDomain(change, env));
    } else if (change.kind === 'add-alias-domain') {
      await step(change, () => driver.addAliasDomain(change, env));
    } else if (change.kind === 'rebuild-users-cdb') {
      // qmail's file, not vpopmail's: the same for both drivers.
      await step(change, () => {
        rebuildUsersCdbFromAssign(env);
        env.done(change);
      });
    } else if (isRedirection(change)) {
      await step(change, () => {
        applyRedirection(change, env);
        env.done(change);
      });
    } else if (RELAY_KINDS.has(change.kind)) {
      // All relay changes at once: one tcp.smtp write and one tcprules compile.
      const relay: Change[] = [];
      changes.forEach((other, j) => {
        if (!RELAY_KINDS.has(other.kind) || handled.has(j)) return;
        relay.push(other);
        handled.add(j);
      });
      await step(change, () => applyRelayChanges(relay, env));
    } else {
      throw new ApplyStepError(`internal error: no executor for ${change.kind}`, change);
    }
  }
}
