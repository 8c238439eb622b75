import { Document } from 'yaml';
import { parseQuota } from '../desired/value-specs.js';
import { quoted } from '../model/display.js';
import { maskToFlags } from '../model/flags.js';
import { NOQUOTA, formatSize } from '../model/quota.js';
import { defaultComment, domainNameProblem } from '../model/names.js';
import { hashFormat } from '../model/password.js';
import type { LiveDomain, LiveState, LiveUser } from '../model/state.js';

export interface ImportOptions {
  /** Only these domains; all domains of the server when undefined. */
  domains?: readonly string[];
  /** Written into the `$schema` comment so editors validate the file. */
  schemaPath: string;
}

export interface ImportResult {
  yaml: string;
  /** Things the YAML cannot say, reported to the admin (never silently dropped). */
  notes: string[];
}

/** A quota field as the YAML writes it: a size, `{ size, messages }`, `none` or `empty`. */
function quotaValue(field: string): unknown {
  if (field === NOQUOTA) return 'none';
  if (field === '') return 'empty';
  let size: string | number | undefined;
  let messages: number | undefined;
  for (const part of field.split(',')) {
    if (part.endsWith('C')) messages = Number(part.slice(0, -1));
    else size = sizeValue(Number(part.slice(0, -1)));
  }
  if (messages === undefined) return size;
  return size === undefined ? { messages } : { size, messages };
}

/**
 * The YAML value of a live quota field, or undefined when no mailstate quota says the same: a
 * field the reader kept as it was (`abc`, `-5`, `1G`, 10^22 bytes) or one over validate's limits.
 * Only a value that validates back to the very same field is written, so import never writes a
 * quota that validate refuses (`.nan`) or that means something else.
 */
function expressibleQuota(field: string): unknown {
  const value = quotaValue(field);
  const back = parseQuota(value);
  return back.ok && back.value === field ? value : undefined;
}

function sizeValue(bytes: number): string | number {
  const human = formatSize(bytes);
  return human === String(bytes) ? bytes : human;
}

export function userEntry(user: LiveUser, notes: string[], domain: string): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  const hash = user.password.kind === 'vpasswd' ? user.password.hash : '';
  if (hashFormat(hash)) entry.password = hash;
  else if (hash !== '')
    notes.push(`${user.name}@${domain}: password hash in an unrecognised format is left unmanaged (no password: key)`);
  if (user.quota !== NOQUOTA) {
    const quota = expressibleQuota(user.quota);
    if (quota !== undefined) entry.quota = quota;
    else {
      notes.push(
        `${user.name}@${domain}: vpasswd quota ${quoted(user.quotaRaw)} cannot be written as a mailstate quota, so it is left out (a plan would set it to none): add the quota: this user should have`,
      );
    }
  }
  if (user.comment !== defaultComment(user.name)) entry.comment = user.comment;
  const flags = maskToFlags(user.flags);
  if (flags.length > 0) entry.flags = flags;
  if (user.forward)
    entry.forward = user.forward.keepCopy ? { to: user.forward.to, keepCopy: true } : { to: user.forward.to };
  return entry;
}

function domainEntry(domain: LiveDomain, notes: string[]): Record<string, unknown> {
  const entry: Record<string, unknown> = {};
  const aliasDomains = domain.aliasDomains.filter((alias) => {
    const problem = domainNameProblem(alias);
    if (problem) notes.push(`alias domain ${alias} of ${domain.name} stays unmanaged: ${problem}`);
    return !problem;
  });
  if (aliasDomains.length > 0) entry.aliasDomains = aliasDomains.sort();
  const users: Record<string, unknown> = {};
  for (const name of [...domain.users.keys()].sort())
    users[name] = userEntry(domain.users.get(name)!, notes, domain.name);
  entry.users = users;
  if (domain.aliases.size > 0) {
    const aliases: Record<string, unknown> = {};
    for (const name of [...domain.aliases.keys()].sort()) aliases[name] = domain.aliases.get(name)!.to;
    entry.aliases = aliases;
  }
  for (const object of domain.unmanaged)
    notes.push(`${domain.name}: ${object.kind} ${object.name} stays unmanaged: ${object.reason}`);
  return entry;
}

/** The server-wide part of the YAML (homes, relay rules) and each expressible domain's entry. */
function importParts(live: LiveState, options: ImportOptions) {
  const notes: string[] = [];
  const names = options.domains ? [...options.domains] : [...live.domains.keys()];
  const domains = new Map<string, Record<string, unknown>>();
  for (const name of names.sort()) {
    const domain = live.domains.get(name);
    if (!domain) continue;
    // vadddomain accepts names mailstate refuses (trail-.com, golden 12): they stay unmanaged.
    const problem = domainNameProblem(name);
    if (problem) notes.push(`domain ${name} stays unmanaged: ${problem}`);
    else domains.set(name, domainEntry(domain, notes));
  }
  const relay = live.relay.lines.flatMap((line) => (line.kind === 'relay' ? [line.address] : []));
  const server: Record<string, unknown> = {
    version: 1,
    vpopmail: { home: live.vpopmailHome },
    qmail: { home: live.qmailHome },
  };
  // Without relay lines of our own spelling, tcp.smtp stays unmanaged rather than emptied.
  if (relay.length > 0) server.relay = [...new Set(relay)];
  return { server, domains, notes };
}

export function yamlText(root: Record<string, unknown>, comment: string): string {
  const document = new Document(root);
  document.commentBefore = comment;
  return document.toString({ lineWidth: 0 });
}

export const schemaComment = (schemaPath: string) => ` yaml-language-server: $schema=${schemaPath}`;

/**
 * The live state as a complete mailstate.yaml: planning it straight back gives no changes.
 * Hashes are kept (they are what the server compares); clear-text passwords never leave it.
 */
export function importToYaml(live: LiveState, options: ImportOptions): ImportResult {
  const { server, domains, notes } = importParts(live, options);
  const root = { ...server, domains: Object.fromEntries(domains) };
  return {
    yaml: yamlText(root, `${schemaComment(options.schemaPath)}\n Imported by mailstate from ${live.vpopmailHome}.`),
    notes,
  };
}

/** Where `import --split` puts each domain, relative to the main file (what its `include:` matches). */
export const SPLIT_DOMAIN_DIR = 'domains';

export interface SplitImport {
  /** The main file: homes, relay rules, and `include:` of the domain files. */
  main: string;
  /** Each domain's file by its path relative to the main file, in domain order. */
  domainFiles: Map<string, string>;
  notes: string[];
}

/**
 * The same state as importToYaml, as octodns-dump --split writes it: one file per domain, holding
 * `domains:` only, and a main file that includes them. Planning the main file gives no changes.
 */
export function importToSplitYaml(live: LiveState, options: ImportOptions): SplitImport {
  const { server, domains, notes } = importParts(live, options);
  const domainFiles = new Map<string, string>();
  for (const [name, entry] of domains)
    domainFiles.set(
      `${SPLIT_DOMAIN_DIR}/${name}.yaml`,
      yamlText(
        { domains: { [name]: entry } },
        ` Domain ${name}, imported by mailstate; included by ../mailstate.yaml.`,
      ),
    );
  // An include pattern that matches no file is an error: a server with no domain gets none.
  const root = domains.size > 0 ? { ...server, include: [`${SPLIT_DOMAIN_DIR}/*.yaml`] } : { ...server, domains: {} };
  const main = yamlText(
    root,
    `${schemaComment(options.schemaPath)}\n Imported by mailstate from ${live.vpopmailHome}; each domain is in ${SPLIT_DOMAIN_DIR}/.`,
  );
  return { main, domainFiles, notes };
}
