import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AssignEntry } from '../formats/assign.js';
import type { NewDomainOwner } from '../model/live-owner.js';
import { resolveNewDomainOwner, SYSTEM_ACCOUNTS, type AccountFiles } from './accounts.js';

/** A missing (or unreadable) account file is one that names no vpopmail account. */
async function textOrUndefined(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

async function ownerOf(path: string): Promise<{ path: string; uid: number; gid: number } | undefined> {
  return stat(path).then(
    (info) => ({ path, uid: info.uid, gid: info.gid }),
    () => undefined,
  );
}

/**
 * Reads what the owner of a domain added now is resolved from (live/accounts.ts): the account
 * files, the uid/gid of users/assign's lines, the owner of ~vpopmail/domains (links followed, as
 * vadddomain follows them). Read with the rest of the live state, so the planner can refuse a
 * root-owned domain before apply writes anything.
 */
export async function readNewDomainOwner(
  vpopmailHome: string,
  assignFile: string,
  entries: readonly AssignEntry[],
  accounts: AccountFiles = SYSTEM_ACCOUNTS,
): Promise<NewDomainOwner> {
  const domainsDir = join(vpopmailHome, 'domains');
  const [passwdText, groupText, dirOwner] = await Promise.all([
    textOrUndefined(accounts.passwd),
    textOrUndefined(accounts.group),
    ownerOf(domainsDir).then(async (owner) => owner ?? ownerOf(vpopmailHome)),
  ]);
  return resolveNewDomainOwner({
    accounts,
    passwdText,
    groupText,
    assignFile,
    assignOwners: entries.map((entry) => ({ uid: entry.uid, gid: entry.gid })),
    domainsDir,
    dirOwner,
  });
}
