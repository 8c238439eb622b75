import { type ReadLiveOptions, readLive } from '../live/read-live.js';
import type { Plan } from '../model/change.js';
import { type Diagnostic, hasErrors } from '../model/diagnostic.js';
import type { DesiredState, LiveState } from '../model/state.js';
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
    const planned = diffState(desired, live, options);
    for (const d of planned.diagnostics) report(d);
    if (!planned.ok) throw new Refused('the plan cannot be made safely; nothing was applied.');
    return planned.value;
  });
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
    return { desired, live, plan: unwrap(planChanges(desired, live, report, options)) };
  });
}
