import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { peerEvidenceFromSnapshots } from '../fleet/peers.js';
import { shareOf } from '../fleet/share.js';
import type { DesiredState } from '../model/state.js';
import { planAgainstSnapshot, type PlanAgainst, type PlanContext } from './against.js';
import { loadDesiredFile, type DesiredSource, type Report } from './desired.js';
import { Refused, staged, unwrap, type Staged } from './refusal.js';

/** One plan per server of a fleet, each as that server would make it, and the whole desired state. */
export interface FleetPlanRun {
  desired: DesiredState;
  /** Only the plans are kept: each server's live state is let go once planned (ten of them would not fit). */
  servers: Array<{ server: string } & Pick<PlanAgainst, 'plan' | 'against'>>;
}

/**
 * `plan --fleet --live-dir DIR`: every server's plan from its snapshot (`DIR/<server>.json`, made
 * by `mailstate snapshot` there), for CI. The YAML is read once and cut to each server's share;
 * the snapshots are also the evidence each server's move-outs wait for, exactly as
 * `--peer-snapshots DIR` gives it to apply. Each server's snapshot key is `KEYDIR/<server>.key`
 * when given (passwords are not compared otherwise: each server has its own key).
 */
export async function planFleetFromSnapshots(
  context: PlanContext,
  source: DesiredSource,
  liveDir: string,
  keyDir: string | undefined,
  report: Report,
): Promise<Staged<FleetPlanRun>> {
  return staged(async () => {
    const { server: _server, ...whole } = source;
    const desired = unwrap(await loadDesiredFile(whole, context.cwd, report));
    if (!desired.fleet) throw new Refused(`--fleet: ${source.file} declares no servers:`, 'invalid');
    const dir = resolve(context.cwd, liveDir);
    const missing = desired.fleet.servers.filter((s) => !existsSync(join(dir, `${s.name}.json`))).map((s) => s.name);
    if (missing.length > 0)
      throw new Refused(
        `--live-dir ${liveDir} has no snapshot of ${missing.join(', ')} (expected ${missing.map((name) => `${name}.json`).join(', ')}, from mailstate snapshot on each server); nothing was planned.`,
        'unreadable',
      );
    const peers = peerEvidenceFromSnapshots(dir);
    // One server's key must never be taken for another's.
    const keyless: PlanContext = { ...context, env: { ...context.env, MAILSTATE_KEY: undefined } };
    const servers: FleetPlanRun['servers'] = [];
    for (const { name } of desired.fleet.servers) {
      const share = shareOf(desired, name, {
        vpopmail: source.vpopmailHome !== undefined,
        qmail: source.qmailHome !== undefined,
      });
      if (!share.ok) throw new Refused(share.reason, 'invalid');
      const keyFile = keyDir === undefined ? undefined : join(resolve(context.cwd, keyDir), `${name}.key`);
      const serverReport: Report = (d) => report({ ...d, message: `${name}: ${d.message}` });
      const run = unwrap(
        await planAgainstSnapshot(keyless, source, join(dir, `${name}.json`), keyFile, serverReport, {
          desired: share.desired,
          plan: { peers },
        }),
      );
      servers.push({ server: name, plan: run.plan, against: run.against });
    }
    return { desired, servers };
  });
}
