/**
 * The desired state matching a Site, as a repository would hold it: a small mailstate.yaml with
 * `include: ["domains/*.yaml"]` and one file per domain, in the style `mailstate import` writes
 * (fields at their default left out).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { maskToFlags } from '../src/model/flags.js';
import { defaultComment } from '../src/model/names.js';
import { NOQUOTA, formatSize } from '../src/model/quota.js';
import type { Site, SiteDomain, SiteUser } from './site.js';
import type { TreePaths } from './write-tree.js';

function sizeValue(bytes: number): string | number {
  const human = formatSize(bytes);
  return human === String(bytes) ? bytes : human;
}

/** The canonical vpasswd quota field as YAML: `1G`, `{ size: 1G, messages: 10000 }`. */
function quotaValue(field: string): unknown {
  const [size, messages] = field.split(',');
  const bytes = sizeValue(Number(size!.slice(0, -1)));
  return messages === undefined ? bytes : { size: bytes, messages: Number(messages.slice(0, -1)) };
}

function userEntry(user: SiteUser): Record<string, unknown> {
  const entry: Record<string, unknown> = { password: user.hash };
  if (user.quota !== NOQUOTA) entry.quota = quotaValue(user.quota);
  if (user.comment !== defaultComment(user.name)) entry.comment = user.comment;
  if (user.flags !== 0) entry.flags = maskToFlags(user.flags);
  if (user.forward)
    entry.forward = user.forward.keepCopy ? { to: user.forward.to, keepCopy: true } : { to: user.forward.to };
  return entry;
}

function domainFile(domain: SiteDomain): string {
  const users: Record<string, unknown> = {};
  for (const user of [...domain.users].sort((a, b) => (a.name < b.name ? -1 : 1))) users[user.name] = userEntry(user);
  const aliases: Record<string, unknown> = {};
  for (const alias of domain.aliases) aliases[alias.name] = alias.to;
  return stringify({ domains: { [domain.name]: { users, aliases } } }, { lineWidth: 0 });
}

/** Writes `<dir>/mailstate.yaml` and `<dir>/domains/<domain>.yaml`; returns the main file. */
export function writeDesired(site: Site, paths: TreePaths, dir: string): string {
  mkdirSync(join(dir, 'domains'), { recursive: true });
  const main = stringify(
    {
      version: 1,
      vpopmail: { home: paths.vpopmailHome },
      qmail: { home: paths.qmailHome },
      relay: site.relay,
      include: ['domains/*.yaml'],
    },
    { lineWidth: 0 },
  );
  const mainFile = join(dir, 'mailstate.yaml');
  writeFileSync(mainFile, main);
  for (const domain of site.domains) writeFileSync(join(dir, 'domains', `${domain.name}.yaml`), domainFile(domain));
  return mainFile;
}
