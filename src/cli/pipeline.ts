import { resolve } from 'node:path';
import { loadDesired } from '../desired/load.js';
import type { Overrides } from '../desired/normalize.js';
import { nodeSecretIo, resolveSecrets } from '../desired/secrets.js';
import { readLive } from '../live/read-live.js';
import type { Plan } from '../model/change.js';
import { formatDiagnostic, type Diagnostic, type Result } from '../model/diagnostic.js';
import type { DesiredState, LiveState } from '../model/state.js';
import { diffState, type PlanOptions } from '../plan/plan.js';
import { EXIT, ExitError, type CliIo } from './io.js';

export interface StateOptions {
  file: string;
  vpopmailHome?: string;
  qmailHome?: string;
  domainBases?: string[];
}

/** Where a stage sends the problems it found: standard error for commands, the log for the watcher. */
export type Report = (diagnostic: Diagnostic) => void;

export function stderrReport(io: CliIo): Report {
  return (d) => io.stderr(formatDiagnostic(d) + '\n');
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Command-line paths are relative to where the command runs, not to the YAML file. */
export function overridesFrom(io: Pick<CliIo, 'cwd'>, options: Omit<StateOptions, 'file'>): Overrides {
  return {
    vpopmailHome: options.vpopmailHome === undefined ? undefined : resolve(io.cwd, options.vpopmailHome),
    qmailHome: options.qmailHome === undefined ? undefined : resolve(io.cwd, options.qmailHome),
    domainBases: options.domainBases?.map((base) => resolve(io.cwd, base)),
  };
}

/** A loaded desired state, or an abort that says how many errors `label` has (each one already reported). */
export function acceptDesired(result: Result<DesiredState>, label: string, report: Report): DesiredState {
  for (const d of result.diagnostics) report(d);
  if (result.ok) return result.value;
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  throw new ExitError(`${label}: ${plural(errors, 'error')}; nothing was planned or applied.`, EXIT.error, 'invalid');
}

/** Loads and validates the desired state from disk; prints every diagnostic; aborts on any error. */
export async function loadDesiredOrExit(io: CliIo, options: StateOptions, report: Report = stderrReport(io)): Promise<DesiredState> {
  const result = await loadDesired(resolve(io.cwd, options.file), { overrides: overridesFrom(io, options), displayBase: io.cwd });
  return acceptDesired(result, options.file, report);
}

/** Reads the `{ env }`/`{ file }` passwords: apply and a plan against the server compare them. */
export function resolveSecretsOrExit(desired: DesiredState, env: CliIo['env'], report: Report): DesiredState {
  const secrets = resolveSecrets(desired, () => true, nodeSecretIo(env));
  for (const d of secrets.diagnostics) report(d);
  if (!secrets.ok) throw new ExitError('secrets could not be read; nothing was planned or applied.', EXIT.error, 'invalid');
  return secrets.value;
}

export async function readLiveOrExit(
  report: Report,
  vpopmailHome: string,
  qmailHome: string,
  domains?: readonly string[],
  domainBases?: readonly string[],
): Promise<{ live: LiveState; diagnostics: Diagnostic[] }> {
  const { state, diagnostics } = await readLive({ vpopmailHome, qmailHome, ...(domains ? { domains } : {}), ...(domainBases ? { domainBases } : {}) });
  for (const d of diagnostics) report(d);
  if (diagnostics.some((d) => d.severity === 'error')) {
    throw new ExitError('the live state could not be read completely; nothing was planned or applied.', EXIT.error, 'unreadable');
  }
  return { live: state, diagnostics };
}

export function planOrExit(desired: DesiredState, live: LiveState, report: Report, options: PlanOptions = {}): Plan {
  const planned = diffState(desired, live, options);
  for (const d of planned.diagnostics) report(d);
  if (!planned.ok) throw new ExitError('the plan cannot be made safely; nothing was applied.');
  return planned.value;
}

export interface PlanRun {
  desired: DesiredState;
  live: LiveState;
  plan: Plan;
}

/** Reads the server the desired state names (only its domains) and plans against it. */
export async function planAgainstServer(desired: DesiredState, report: Report): Promise<PlanRun> {
  const { live } = await readLiveOrExit(report, desired.vpopmailHome, desired.qmailHome, [...desired.domains.keys()], desired.domainBases);
  return { desired, live, plan: planOrExit(desired, live, report) };
}

/** validate → resolve the secrets the plan compares → read live → diff. */
export async function planFromOptions(io: CliIo, options: StateOptions): Promise<PlanRun> {
  const report = stderrReport(io);
  const desired = resolveSecretsOrExit(await loadDesiredOrExit(io, options, report), io.env, report);
  return planAgainstServer(desired, report);
}
