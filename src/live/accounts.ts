import type { NewDomainOwner } from '../model/live-owner.js';

/** Where the system keeps its accounts; a parameter so tests can give their own. */
export interface AccountFiles {
  passwd: string;
  group: string;
}

export const SYSTEM_ACCOUNTS: AccountFiles = { passwd: '/etc/passwd', group: '/etc/group' };

interface Owner {
  uid: number;
  gid: number;
}

/** The uid of `user` and the gid of `group` (else the user's own group) in passwd/group texts. */
export function accountOwner(
  passwd: string,
  group: string,
  user = 'vpopmail',
  groupName = 'vchkpw',
): Owner | undefined {
  const fields = (text: string, name: string) =>
    text
      .split('\n')
      .map((line) => line.split(':'))
      .find((f) => f[0] === name && f.length >= 4);
  const account = fields(passwd, user);
  if (!account || !/^\d+$/.test(account[2]!) || !/^\d+$/.test(account[3]!)) return undefined;
  const named = fields(group, groupName);
  const gid = named && /^\d+$/.test(named[2]!) ? Number(named[2]) : Number(account[3]);
  return { uid: Number(account[2]), gid };
}

/** What the owner of a new domain is resolved from; texts undefined when the file is missing. */
export interface OwnerSources {
  accounts: AccountFiles;
  passwdText: string | undefined;
  groupText: string | undefined;
  assignFile: string;
  /** uid/gid of every line of users/assign. */
  assignOwners: readonly Owner[];
  /** ~vpopmail/domains, named in the advice. */
  domainsDir: string;
  /** The owner of ~vpopmail/domains, or of ~vpopmail when it does not exist yet; undefined when neither does. */
  dirOwner: { path: string; uid: number; gid: number } | undefined;
}

const isRoot = (owner: Owner) => owner.uid === 0 || owner.gid === 0;
const pair = (owner: Owner) => `${owner.uid}:${owner.gid}`;

/**
 * The uid/gid vadddomain would give a new domain: the vpopmail user and vchkpw group it was
 * compiled with (89:89 in its INSTALL document), looked up in the account database; else the one
 * uid/gid every domain of users/assign already has; else the owner of ~vpopmail/domains. Root is
 * never taken (qmail-lspawn does not deliver as root: every message to the domain would wait in
 * the queue, then bounce), and an account that says root is refused rather than passed over.
 */
export function resolveNewDomainOwner(sources: OwnerSources): NewDomainOwner {
  const { accounts, assignFile, domainsDir } = sources;
  const account = accountOwner(sources.passwdText ?? '', sources.groupText ?? '');
  if (account && !isRoot(account)) return { ...account, from: `user vpopmail in ${accounts.passwd}` };
  const advice = `create the vpopmail user (group vchkpw), or chown ${domainsDir} to it`;
  if (account)
    return {
      refused: `user vpopmail and group vchkpw in ${accounts.passwd} and ${accounts.group} are ${pair(account)}, and vadddomain would give the domain that uid/gid, but qmail never delivers as root: give the account its own uid and gid`,
    };
  const why = [`no user vpopmail in ${accounts.passwd}`];
  const seen = new Set(sources.assignOwners.map(pair));
  const [only] = sources.assignOwners;
  if (only && seen.size === 1 && !isRoot(only)) return { ...only, from: `the domains of ${assignFile}` };
  if (seen.size === 0) why.push(`no domain in ${assignFile} to take its uid/gid from`);
  else if (seen.size > 1) why.push(`the domains in ${assignFile} do not agree on a uid/gid (${[...seen].join(', ')})`);
  else why.push(`the domains in ${assignFile} belong to root`);
  const dir = sources.dirOwner;
  if (dir && !isRoot(dir)) return { uid: dir.uid, gid: dir.gid, from: `the owner of ${dir.path}` };
  why.push(dir ? `${dir.path} belongs to root` : `${domainsDir} does not exist`);
  return {
    refused: `vadddomain gives a new domain the uid/gid of the vpopmail account, never root's, and there is none to take: ${why.slice(0, -1).join(', ')}, and ${why.at(-1)}: ${advice}`,
  };
}
