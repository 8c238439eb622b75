import { resolve } from 'node:path';
import { loadDesired } from '../desired/load.js';
import { nodeSecretIo, resolveSecrets } from '../desired/secrets.js';
import { readLive } from '../live/read-live.js';
import type { Plan } from '../model/change.js';
import { formatDiagnostic, type Diagnostic } from '../model/diagnostic.js';
import type { DesiredState, LiveState } from '../model/state.js';
import { diffState } from '../plan/plan.js';
import { ExitError, type CliIo } from './io.js';

export interface StateOptions {
  file: string;
  vpopmailHome?: string;
  qmailHome?: string;
}

function report(io: CliIo, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) io.stderr(formatDiagnostic(d) + '\n');
}

/** Loads and validates the desired state; prints every diagnostic; aborts on any error. */
export async function loadDesiredOrExit(io: CliIo, options: StateOptions): Promise<DesiredState> {
  const file = resolve(io.cwd, options.file);
  // Command-line paths are relative to where the command runs, not to the YAML file.
  const overrides = {
    vpopmailHome: options.vpopmailHome === undefined ? undefined : resolve(io.cwd, options.vpopmailHome),
    qmailHome: options.qmailHome === undefined ? undefined : resolve(io.cwd, options.qmailHome),
  };
  const result = await loadDesired(file, { overrides, displayBase: io.cwd });
  report(io, result.diagnostics);
  if (!result.ok) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    throw new ExitError(`${options.file}: ${errors} error${errors === 1 ? '' : 's'}; nothing was planned or applied.`);
  }
  return result.value;
}

export async function readLiveOrExit(io: CliIo, vpopmailHome: string, qmailHome: string, domains?: readonly string[]): Promise<LiveState> {
  const { state, diagnostics } = await readLive({ vpopmailHome, qmailHome, ...(domains ? { domains } : {}) });
  report(io, diagnostics);
  if (diagnostics.some((d) => d.severity === 'error')) {
    throw new ExitError('the live state could not be read completely; nothing was planned or applied.');
  }
  return state;
}

export interface PlanRun {
  desired: DesiredState;
  live: LiveState;
  plan: Plan;
}

/** validate → read live → resolve the secrets the plan compares → diff. */
export async function planFromOptions(io: CliIo, options: StateOptions): Promise<PlanRun> {
  const loaded = await loadDesiredOrExit(io, options);
  const secrets = resolveSecrets(loaded, () => true, nodeSecretIo(io.env));
  report(io, secrets.diagnostics);
  if (!secrets.ok) throw new ExitError('secrets could not be read; nothing was planned or applied.');
  const desired = secrets.value;
  const live = await readLiveOrExit(io, desired.vpopmailHome, desired.qmailHome, [...desired.domains.keys()]);
  const planned = diffState(desired, live);
  report(io, planned.diagnostics);
  if (!planned.ok) throw new ExitError('the plan cannot be made safely; nothing was applied.');
  return { desired, live, plan: planned.value };
}
