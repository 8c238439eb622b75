import { resolve } from 'node:path';
import { peerEvidenceFromSnapshots } from '../fleet/peers.js';
import type { ServerChoice } from '../fleet/server-name.js';
import { formatDiagnostic } from '../model/diagnostic.js';
import type { PeerEvidence } from '../plan/moves.js';
import type { PlanOptions } from '../plan/plan.js';
import type { DesiredState } from '../model/state.js';
import {
  loadDesiredFile,
  loadDesiredWithSecrets,
  planAgainstServer,
  readLiveState,
  resolveDesiredSecrets,
  type DesiredSource,
  type LiveRead,
  type LiveSource,
  type PlanRun,
  type Report,
  type Staged,
} from '../reconcile/index.js';
import { EXIT, ExitError, type CliIo } from './io.js';

/**
 * The commands' side of the reconcile library (src/reconcile): its diagnostics go to standard
 * error, its refusals become an ExitError (printed by main.ts, exit 1).
 */

export function stderrReport(io: CliIo): Report {
  return (d) => io.stderr(`${formatDiagnostic(d)}\n`);
}

/** A sentence the library has for the user, as a note on standard error. */
export function stderrNote(io: CliIo): (sentence: string) => void {
  return (sentence) => io.stderr(`note: ${sentence}\n`);
}

export function orExit<T>(result: Staged<T>): T {
  if (result.ok) return result.value;
  throw new ExitError(result.refusal.reason, EXIT.error, result.refusal.kind);
}

export async function loadDesiredOrExit(
  io: CliIo,
  source: DesiredSource,
  report: Report = stderrReport(io),
  consequence?: string,
): Promise<DesiredState> {
  return orExit(await loadDesiredFile(source, io.cwd, report, consequence));
}

export function resolveSecretsOrExit(desired: DesiredState, env: CliIo['env'], report: Report): DesiredState {
  return orExit(resolveDesiredSecrets(desired, env, report));
}

export async function readLiveOrExit(report: Report, source: LiveSource): Promise<LiveRead> {
  return orExit(await readLiveState(source, report));
}

/** validate → resolve the secrets the plan compares → read live → diff. */
export async function planFromOptions(
  io: CliIo,
  source: DesiredSource,
  consequence?: string,
  options: PlanOptions = {},
): Promise<PlanRun> {
  const report = stderrReport(io);
  const desired = orExit(await loadDesiredWithSecrets(source, io.cwd, io.env, report, consequence));
  return orExit(await planAgainstServer(desired, report, options));
}

/** Which server of a fleet this run is for: --server, MAILSTATE_SERVER, the host name (fleet/server-name.ts). */
export function serverChoice(io: CliIo, flag: string | undefined): ServerChoice {
  return { flag, env: io.env.MAILSTATE_SERVER, hostname: io.hostname };
}

/** The desired-state source every command that reads the YAML and a server takes from COMMON_OPTIONS and --server. */
export function desiredSourceOf(
  io: CliIo,
  values: { file: string; 'vpopmail-home'?: string; 'qmail-home'?: string; 'domain-base'?: string[]; server?: string },
  targets?: string[],
): DesiredSource {
  return {
    file: values.file,
    vpopmailHome: values['vpopmail-home'],
    qmailHome: values['qmail-home'],
    domainBases: values['domain-base'],
    ...(targets ? { targets } : {}),
    server: serverChoice(io, values.server),
  };
}

/** --peer-snapshots DIR as plan options: the evidence a move-out waits for. */
export function peerOptions(io: CliIo, dir: string | undefined): { peers?: PeerEvidence } {
  return dir === undefined ? {} : { peers: peerEvidenceFromSnapshots(resolve(io.cwd, dir)) };
}
