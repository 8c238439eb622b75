import { gitRaw, type Repo } from './repo.js';

/** One notes ref per server, so several servers applying one repository do not overwrite each other. */
export function notesRef(host: string): string {
  const safe = host.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.-]+/, '') || 'server';
  return `mailstate/${safe}`;
}

/**
 * Adds to the note of `commit` what this server did with it (`git notes --ref mailstate/<host>`).
 * It appends, never replaces: a later drift repair must not erase the record of the first apply.
 * An identity is supplied only when git has none configured.
 */
export async function recordNote(repo: Repo, commit: string, host: string, text: string): Promise<string> {
  const email = (await repo.git.raw(['config', '--get', 'user.email']).catch(() => '')).trim();
  const identity = email ? [] : ['-c', 'user.name=mailstate', '-c', `user.email=mailstate@${host}`];
  const ref = notesRef(host);
  await gitRaw(
    repo,
    [...identity, 'notes', '--ref', ref, 'append', '--message', text, commit],
    `cannot record a git note on ${commit}`,
  );
  return `refs/notes/${ref}`;
}
