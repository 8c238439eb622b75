import { existsSync } from 'node:fs';
import type { Overrides } from '../desired/normalize.js';
import { nodeSecretIo, resolveSecrets } from '../desired/secrets.js';
import { loadDesiredAtCommit } from '../git/desired-at-commit.js';
import { RepoError, shortCommit, type Repo } from '../git/repo.js';
import type { Plan } from '../model/change.js';
import type { DesiredDomain, DesiredState, LiveState } from '../model/state.js';
import { acceptDesired, type Report } from './desired.js';
import { planChanges, readLiveState } from './plan.js';
import { Refused, staged, unwrap, type Staged } from './refusal.js';

/**
 * Passwords a drift check can compare: secrets this shell can read are read; one it cannot read is
 * not compared for an existing user (said through `note`) and stands as a new password for a
 * missing one, which is drift either way.
 */
function comparableSecrets(
  desired: DesiredState,
  live: LiveState,
  env: Record<string, string | undefined>,
  report: Report,
  note: (sentence: string) => void,
): DesiredState {
  const readable = (domain: string, user: string): boolean => {
    const spec = desired.domains.get(domain)?.users.get(user)?.password;
    if (spec?.kind !== 'secret') return false;
    return 'env' in spec.ref ? env[spec.ref.env] !== undefined : existsSync(spec.ref.file);
  };
  const resolved = resolveSecrets(desired, readable, nodeSecretIo(env));
  for (const d of resolved.diagnostics) report(d);
  if (!resolved.ok) throw new Refused('secrets could not be read; drift is unknown.');
  const domains = new Map<string, DesiredDomain>();
  for (const [name, domain] of resolved.value.domains) {
    const users = new Map(domain.users);
    for (const [userName, user] of users) {
      if (user.password.kind !== 'secret') continue;
      const exists = live.domains.get(name)?.users.has(userName) ?? false;
      if (exists)
        note(`the password of ${userName}@${name} is not compared: ${user.password.source} cannot be read here.`);
      users.set(userName, {
        ...user,
        password: exists ? { kind: 'unmanaged' } : { kind: 'clear', clear: '', source: user.password.source },
      });
    }
    domains.set(name, { ...domain, users });
  }
  return { ...resolved.value, domains };
}

export interface DriftRequest {
  repo: Repo;
  /** The commit in effect. */
  commit: string;
  file: string;
  overrides: Overrides;
  env: Record<string, string | undefined>;
  note: (sentence: string) => void;
}

/** What converging the server to `commit` again would do: empty when nothing drifted. */
export async function driftFromCommit(request: DriftRequest, report: Report): Promise<Staged<Plan>> {
  return staged(async () => {
    let loaded: Awaited<ReturnType<typeof loadDesiredAtCommit>>;
    try {
      loaded = await loadDesiredAtCommit(request.repo, request.commit, request.file, request.overrides);
    } catch (error) {
      if (error instanceof RepoError) throw new Refused(`${error.message}; drift is unknown.`);
      throw error;
    }
    const desired = unwrap(acceptDesired(loaded, `${request.file} at ${shortCommit(request.commit)}`, report));
    const { live } = unwrap(
      await readLiveState(
        { vpopmailHome: desired.vpopmailHome, qmailHome: desired.qmailHome, domains: [...desired.domains.keys()] },
        report,
      ),
    );
    return unwrap(planChanges(comparableSecrets(desired, live, request.env, report, request.note), live, report));
  });
}
