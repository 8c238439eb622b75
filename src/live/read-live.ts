import { join } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import type { LiveDomain, LiveState, UnmanagedObject } from '../model/state.js';
import { mapWithLimit, realpathOrMissing } from './fs-read.js';
import { createFsPool } from './fs-pool.js';
import { placeDomainDir, readDomain } from './domain.js';
import { readAssign, readUsersCdb, usersCdbRoutes } from './qmail-files.js';
import { readRelay } from './relay.js';
import { readNewDomainOwner } from './new-domain-owner.js';
import type { AccountFiles } from './accounts.js';

/** Where the server keeps its files, and which domains to read. */
export interface ReadLiveOptions {
  /** Home of the vpopmail user, e.g. `/home/vpopmail` (holds `etc/tcp.smtp`). */
  vpopmailHome: string;
  /** qmail's home, e.g. `/var/qmail` (holds `users/assign`). */
  qmailHome: string;
  /** Read only these domains in detail; the others in users/assign are left out of the state. */
  domains?: readonly string[];
  /**
   * Bases given to `vadddomain -d` whose `domains/` directory holds domains too (see
   * model/live-paths.ts); ~vpopmail always counts.
   */
  domainBases?: readonly string[];
  /** The account database the owner of a new domain is looked up in (default /etc/passwd, /etc/group). */
  accounts?: AccountFiles;
}

/** The live state, plus every problem found while reading it (errors and warnings). */
export interface ReadLiveResult {
  state: LiveState;
  diagnostics: Diagnostic[];
}

/** Domains read at once: many small domains overlap their few reads (16 measured best for 1,000 domains). */
const DOMAIN_CONCURRENCY = 16;

/**
 * Reads a live vpopmail server (cdb backend) into the live-state model. This is the only module of
 * the reader that touches the file system, and it only reads. Every problem becomes a diagnostic
 * (an unreadable file is an error, a file vpopmail would misread a warning); nothing is thrown.
 */
export async function readLive(options: ReadLiveOptions): Promise<ReadLiveResult> {
  // Each part collects its own diagnostics, merged below in a fixed order (assign, domains in
  // assign order, relay) so the output does not depend on which read finished first.
  const assignDiagnostics: Diagnostic[] = [];
  const relayDiagnostics: Diagnostic[] = [];
  const unmanaged: UnmanagedObject[] = [];
  const domains = new Map<string, LiveDomain>();
  const wanted = options.domains ? new Set(options.domains) : undefined;

  const [entries, usersCdb, relay] = await Promise.all([
    readAssign(options.qmailHome, assignDiagnostics),
    readUsersCdb(options.qmailHome, assignDiagnostics),
    readRelay(options.vpopmailHome, relayDiagnostics),
  ]);
  const assignFile = join(options.qmailHome, 'users', 'assign');
  const newDomainOwner = await readNewDomainOwner(options.vpopmailHome, assignFile, entries, options.accounts);
  const realEntries = new Map(entries.filter((e) => e.domain === e.realDomain).map((e) => [e.domain, e]));

  const bases = [options.vpopmailHome, ...(options.domainBases ?? [])];
  const realBases = await Promise.all(bases.map((base) => realpathOrMissing(`${base}/domains`)));
  const toRead = [...realEntries.values()].filter((entry) => !wanted || wanted.has(entry.domain));
  const fs = createFsPool();
  const read = await mapWithLimit(toRead, DOMAIN_CONCURRENCY, async (entry) => {
    const domainDiagnostics: Diagnostic[] = [];
    const place = await placeDomainDir(entry, bases, realBases);
    if ('problem' in place) {
      domainDiagnostics.push({
        // Asked for by name (a declared domain): nothing may be planned for it. Otherwise (import,
        // snapshot) it is one domain left out, with the reason.
        severity: wanted ? 'error' : 'warning',
        code: 'domain-dir-unsafe',
        message: `users/assign line ${entry.line} gives ${entry.domain} the ${place.problem}: mailstate will not read or change this domain (a copy of a server keeps the original's paths; a base made with vadddomain -d is named with --domain-base)`,
        file: assignFile,
        line: entry.line,
      });
      return { refused: entry, diagnostics: domainDiagnostics };
    }
    return { domain: await readDomain(entry, place.realDir, fs, domainDiagnostics), diagnostics: domainDiagnostics };
  }).finally(() => fs.close());
  const diagnostics = [...assignDiagnostics];
  for (const result of read) {
    if (result.domain) domains.set(result.domain.name, result.domain);
    else
      unmanaged.push({
        kind: 'domain',
        name: result.refused.domain,
        file: assignFile,
        reason: `users/assign line ${result.refused.line}: its directory is not one mailstate may act on`,
      });
    for (const d of result.diagnostics) diagnostics.push(d);
  }

  for (const entry of entries) {
    if (entry.domain === entry.realDomain) continue;
    const real = domains.get(entry.realDomain);
    if (real) {
      real.aliasDomains.push(entry.domain);
    } else if (
      !realEntries.has(entry.realDomain) &&
      (!wanted || wanted.has(entry.domain) || wanted.has(entry.realDomain))
    ) {
      unmanaged.push({
        kind: 'alias-domain',
        name: entry.domain,
        file: assignFile,
        reason: `users/assign line ${entry.line} makes it an alias of ${entry.realDomain}, which has no line of its own`,
      });
    }
    if (wanted?.has(entry.domain)) {
      diagnostics.push({
        severity: 'warning',
        code: 'domain-is-alias',
        message: `${entry.domain} is an alias domain of ${entry.realDomain} (vaddaliasdomain), not a domain of its own`,
        file: assignFile,
        line: entry.line,
      });
    }
  }

  for (const d of relayDiagnostics) diagnostics.push(d);
  return {
    state: {
      vpopmailHome: options.vpopmailHome,
      qmailHome: options.qmailHome,
      assignDomains: new Map(entries.map((entry) => [entry.domain, entry.realDomain])),
      domains,
      relay,
      unmanaged,
      usersCdbOutOfDate: entries.filter((entry) => !usersCdbRoutes(usersCdb, entry)).map((entry) => entry.domain),
      newDomainOwner,
    },
    diagnostics,
  };
}
