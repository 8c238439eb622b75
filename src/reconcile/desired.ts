import { resolve } from 'node:path';
import { loadDesired } from '../desired/load.js';
import type { Overrides } from '../desired/normalize.js';
import { nodeSecretIo, resolveSecrets } from '../desired/secrets.js';
import type { Diagnostic, Result } from '../model/diagnostic.js';
import type { ServerChoice } from '../fleet/server-name.js';
import type { DesiredState } from '../model/state.js';
import { selectTargets } from '../desired/targets.js';
import { Refused, staged, stagedSync, unwrap, type Staged } from './refusal.js';

/** Where a stage sends the problems it found: standard error for commands, the log for the watcher. */
export type Report = (diagnostic: Diagnostic) => void;

/** A desired state on disk, and the homes the command line puts in place of the YAML's. */
export interface DesiredSource {
  file: string;
  vpopmailHome?: string;
  qmailHome?: string;
  domainBases?: string[];
  /** `--domain` patterns: only the declared domains that match are planned and applied. */
  targets?: string[];
  /** `--server`, MAILSTATE_SERVER and the host name: which share of a fleet is planned and applied. */
  server?: ServerChoice;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Command-line paths are relative to where the command runs (`cwd`), not to the YAML file. */
export function overridesFrom(cwd: string, source: Omit<DesiredSource, 'file'>): Overrides {
  return {
    vpopmailHome: source.vpopmailHome === undefined ? undefined : resolve(cwd, source.vpopmailHome),
    qmailHome: source.qmailHome === undefined ? undefined : resolve(cwd, source.qmailHome),
    domainBases: source.domainBases?.map((base) => resolve(cwd, base)),
    server: source.server,
  };
}

/** A loaded desired state, or a refusal that says how many errors `label` has (each one already reported). */
export function acceptDesired(
  result: Result<DesiredState>,
  label: string,
  report: Report,
  consequence = NOTHING_DONE,
): Staged<DesiredState> {
  return stagedSync(() => {
    for (const d of result.diagnostics) report(d);
    if (result.ok) return result.value;
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    throw new Refused(`${label}: ${plural(errors, 'error')}${consequence ? `; ${consequence}` : ''}.`, 'invalid');
  });
}

/** What a refused desired state stops, as the end of the refusal's sentence ('' for validate, which stops nothing). */
export const NOTHING_DONE = 'nothing was planned or applied';

/** Loads and validates the desired state from disk, reporting every diagnostic; refused on any error. */
export async function loadDesiredFile(
  source: DesiredSource,
  cwd: string,
  report: Report,
  consequence = NOTHING_DONE,
): Promise<Staged<DesiredState>> {
  const result = await loadDesired(resolve(cwd, source.file), {
    overrides: overridesFrom(cwd, source),
    displayBase: cwd,
  });
  const accepted = acceptDesired(result, source.file, report, consequence);
  if (!accepted.ok || source.targets === undefined) return accepted;
  const selected = selectTargets(accepted.value, source.targets, source.file);
  return selected.ok
    ? { ok: true, value: selected.desired }
    : { ok: false, refusal: { kind: 'invalid', reason: selected.reason } };
}

/** Reads the `{ env }`/`{ file }` passwords: apply and a plan against the server compare them. */
export function resolveDesiredSecrets(
  desired: DesiredState,
  env: Record<string, string | undefined>,
  report: Report,
): Staged<DesiredState> {
  return stagedSync(() => {
    const secrets = resolveSecrets(desired, () => true, nodeSecretIo(env));
    for (const d of secrets.diagnostics) report(d);
    if (!secrets.ok) throw new Refused('secrets could not be read; nothing was planned or applied.', 'invalid');
    return secrets.value;
  });
}

/** The desired state apply and a server plan need: loaded, validated, its secrets read. */
export async function loadDesiredWithSecrets(
  source: DesiredSource,
  cwd: string,
  env: Record<string, string | undefined>,
  report: Report,
  consequence = NOTHING_DONE,
): Promise<Staged<DesiredState>> {
  return staged(async () =>
    unwrap(resolveDesiredSecrets(unwrap(await loadDesiredFile(source, cwd, report, consequence)), env, report)),
  );
}
