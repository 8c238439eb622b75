import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type ReadLiveOptions, readLive } from '../live/read-live.js';
import type { Plan } from '../model/change.js';
import { type Diagnostic, hasErrors } from '../model/diagnostic.js';
import type { DesiredState, LiveState } from '../model/state.js';
import { PeerSnapshotError } from '../fleet/peers.js';
import { diffState, type PlanOptions } from '../plan/plan.js';
import type { Report } from './desired.js';
import { Refused, staged, stagedSync, unwrap, type Staged } from './refusal.js';

export interface PlanRun {
  desired: DesiredState;
  live: LiveState;
  plan: Plan;
}

export interface LiveRead {
  live: LiveState;
  diagnostics: Diagnostic[];
}

/** Where to read the live state, and which of its domains: readLive's own options. */
export type LiveSource = ReadLiveOptions;

/** Reads the live state, reporting every diagnostic; refused when any part could not be read. */
export async function readLiveState(source: LiveSource, report: Report): Promise<Staged<LiveRead>> {
  return staged(async () => {
    const { state, diagnostics } = await readLive(source);
    for (const d of diagnostics) report(d);
    if (hasErrors(diagnostics))
      throw new Refused('the live state could not be read completely; nothing was planned or applied.', 'unreadable');
    return { live: state, diagnostics };
  });
}

/** The diff of desired and live, reporting its diagnostics; refused when it cannot be made safely. */
export function planChanges(
  desired: DesiredState,
  live: LiveState,
  report: Report,
  options: PlanOptions = {},
): Staged<Plan> {
  return stagedSync(() => {
    let planned: ReturnType<typeof diffState>;
    try {
      planned = diffState(desired, live, options);
    } catch (error) {
      if (error instanceof PeerSnapshotError)
        throw new Refused(`${error.message}; nothing was planned or applied.`, 'unreadable');
      throw error;
    }
    for (const d of planned.diagnostics) report(d);
    if (!planned.ok) throw new Refused('the plan cannot be made safely; nothing was applied.');
    return planned.value;
  });
}

/** Far more than any real smtproutes; a larger file is not read (its routes are then not checked). */
const MAX_SMTPROUTES_BYTES = 1 << 20;

/**
 * qmail's control/smtproutes, for the routes a fleet server needs to its peers: empty when there
 * is none, undefined when it cannot be read sensibly. Only its left sides are looked at, and
 * nothing of it is ever printed.
 */
function readSmtproutes(qmailHome: string): string | undefined {
  const file = join(qmailHome, 'control', 'smtproutes');
  try {
    if (statSync(file).size > MAX_SMTPROUTES_BYTES) return undefined;
    return readFileSync(file, 'latin1');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? '' : undefined;
  }
}

/** Reads the server the desired state names (only its domains) and plans against it. */
export async function planAgainstServer(
  desired: DesiredState,
  report: Report,
  options: PlanOptions = {},
): Promise<Staged<PlanRun>> {
  return staged(async () => {
    const { live } = unwrap(
      await readLiveState(
        {
          vpopmailHome: desired.vpopmailHome,
          qmailHome: desired.qmailHome,
          domains: [...desired.domains.keys()],
          domainBases: desired.domainBases,
        },
        report,
      ),
    );
    const routes = desired.share ? { smtproutes: readSmtproutes(desired.qmailHome) } : {};
    return { desired, live, plan: unwrap(planChanges(desired, live, report, { ...options, ...routes })) };
  });
}
