import { loadDesiredAtCommit } from '../../git/desired-at-commit.js';
import {
  mirrorFleetNotes,
  inEffectRecord,
  lastNoteRecord,
  newestNoted,
  notedServers,
  notesRef,
  type NoteRecord,
} from '../../git/notes.js';
import { gitRaw, openRepo, RepoError, repoPath, resolveCommit, shortCommit, type Repo } from '../../git/repo.js';
import { EXIT, ExitError, type CliIo } from '../io.js';

/** What `status --fleet` found for one server, from its notes ref alone. */
export interface ServerStatus {
  server: string;
  /** Declared in the YAML at the tip (a ref of an undeclared server is still shown). */
  declared: boolean;
  /** The newest commit of the branch it recorded anything about, and how far below the tip. */
  commit?: string;
  behind?: number;
  record?: NoteRecord;
  /** The newest commit it recorded in effect (applied, or found matching), when not that one. */
  lastInEffect?: { commit: string; behind: number; record: NoteRecord };
}

export interface FleetStatus {
  branch: string;
  tip: string;
  file: string;
  /** Why the server list comes from the notes refs alone. */
  unreadYaml?: string;
  servers: ServerStatus[];
}

/** The server names the YAML at the tip declares, or why they cannot be read. */
async function declaredServers(repo: Repo, tip: string, file: string): Promise<string[] | string> {
  const result = await loadDesiredAtCommit(repo, tip, file).catch((error: Error) => error);
  if (result instanceof Error) return result.message;
  if (!result.ok) return `${file} at ${shortCommit(tip)} does not validate (mailstate validate says where)`;
  return result.value.fleet?.servers.map((server) => server.name) ?? [];
}

async function serverStatus(
  repo: Repo,
  server: string,
  where: { branchRef: string; notesPrefix: string },
  declared: boolean,
): Promise<ServerStatus> {
  const { branchRef } = where;
  const ref = `${where.notesPrefix}${notesRef(server).slice('mailstate/'.length)}`;
  const newest = await newestNoted(repo, ref, branchRef, () => true);
  if (!newest) return { server, declared };
  const record = lastNoteRecord(newest.note);
  const status: ServerStatus = { server, declared, commit: newest.commit, behind: newest.behind };
  if (record) status.record = record;
  if (!inEffectRecord(record)) {
    const effective = await newestNoted(repo, ref, branchRef, (note) => inEffectRecord(lastNoteRecord(note)));
    const effectiveRecord = effective && lastNoteRecord(effective.note);
    if (effective && effectiveRecord)
      status.lastInEffect = { commit: effective.commit, behind: effective.behind, record: effectiveRecord };
  }
  return status;
}

/**
 * The whole fleet's state from the git repository alone: for each server, the newest commit of
 * the branch its watcher noted (under its own `refs/notes/mailstate/<server>`) and what it did
 * with it. With `remote`, the branch and the notes are fetched from it first, into refs of their
 * own: the remote's view, and never a watcher's own unpushed notes replaced.
 */
export async function fleetStatus(
  repoDir: string,
  options: { branch: string; file: string; remote?: string },
): Promise<FleetStatus> {
  const repo = await openRepo(repoDir);
  let branchRef = `refs/heads/${options.branch}`;
  let notesPrefix = 'refs/notes/mailstate/';
  if (options.remote !== undefined) {
    // The remote's branch is the one the watchers pull; this clone's own may lag behind it.
    branchRef = `refs/remotes/${options.remote}/${options.branch}`;
    await gitRaw(
      repo,
      ['fetch', '--quiet', '--no-tags', options.remote, `+refs/heads/${options.branch}:${branchRef}`],
      `git fetch ${options.remote} ${options.branch} failed`,
    );
    // Under refs/notes/, where git log --notes looks (it prefixes any other ref with it).
    notesPrefix = `refs/notes/mailstate-fleet/${options.remote}/`;
    await mirrorFleetNotes(repo, options.remote, notesPrefix);
  }
  const tip = await resolveCommit(repo, branchRef);
  if (!tip) throw new RepoError(`${repo.root} has no branch ${branchRef.replace(/^refs\/(heads|remotes)\//, '')}`);
  const rel = repoPath(repo, options.file);
  if (rel === undefined) throw new RepoError(`${options.file} is outside the repository ${repo.root}`);
  const declared = await declaredServers(repo, tip, rel);
  const noted = await notedServers(repo, notesPrefix);
  const names = typeof declared === 'string' ? noted : [...new Set([...declared, ...noted])];
  const servers = await Promise.all(
    names.map((name) =>
      serverStatus(repo, name, { branchRef, notesPrefix }, typeof declared === 'string' || declared.includes(name)),
    ),
  );
  return {
    branch: options.branch,
    tip,
    file: rel,
    ...(typeof declared === 'string' ? { unreadYaml: declared } : {}),
    servers,
  };
}

/** Whether the server is at the tip, with nothing held back. */
export function atTip(status: ServerStatus): boolean {
  return status.behind === 0 && inEffectRecord(status.record) && status.record?.detail === undefined;
}

function describeServer(status: ServerStatus): string {
  if (!status.commit || !status.record)
    return `nothing recorded (no notes under refs/notes/${notesRef(status.server)})`;
  const where =
    status.behind === 0 ? 'the tip' : `${status.behind} commit${status.behind === 1 ? '' : 's'} below the tip`;
  const detail = status.record.detail ? `: ${status.record.detail}` : '';
  const line = `${shortCommit(status.commit)} (${where}) ${status.record.what} at ${status.record.time}${detail}`;
  if (!status.lastInEffect) return line;
  const effective = status.lastInEffect;
  return `${line}; in effect: ${shortCommit(effective.commit)} (${effective.behind} below the tip), ${effective.record.what} at ${effective.record.time}`;
}

export function renderFleetStatus(view: FleetStatus): string {
  const width = Math.max(6, ...view.servers.map((s) => s.server.length));
  const lines = [
    `Fleet on ${view.branch} at ${shortCommit(view.tip)} (${view.file}): ${view.servers.length} server${view.servers.length === 1 ? '' : 's'}`,
    ...(view.unreadYaml ? [`(the servers come from the notes refs alone: ${view.unreadYaml})`] : []),
    '',
    ...view.servers.map((s) => {
      const flag = s.declared ? '' : ' (not declared at the tip)';
      return `  ${s.server.padEnd(width)}  ${describeServer(s)}${flag}`;
    }),
  ];
  const behind = view.servers.filter((s) => s.declared && !atTip(s)).map((s) => s.server);
  lines.push('', behind.length === 0 ? 'Every server is at the tip.' : `Not at the tip: ${behind.join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

/** `status --fleet`: exit 0 when every declared server is at the tip, 3 when one is not. */
export async function statusFleetCommand(
  io: CliIo,
  values: { repo?: string; branch: string; file: string; remote?: string; format: string },
  repoDir: string,
  notApplied: number,
): Promise<number> {
  if (values.format !== 'text' && values.format !== 'json')
    throw new ExitError(`mailstate status: unknown --format "${values.format}" (text or json)`);
  let view: FleetStatus;
  try {
    view = await fleetStatus(repoDir, values);
  } catch (error) {
    if (error instanceof RepoError) throw new ExitError(error.message);
    throw error;
  }
  io.stdout(values.format === 'json' ? `${JSON.stringify(view, null, 2)}\n` : renderFleetStatus(view));
  return view.servers.some((s) => s.declared && !atTip(s)) ? notApplied : EXIT.ok;
}
